// KTable.suppress, as Kafka Streams' KTableSuppressProcessorSupplier over an InMemoryTimeOrderedKeyValueChangeBuffer:
// updates wait in a buffer ordered by (buffer time, key bytes); a key keeps the buffer time of its first update
// while later updates replace its value. Entries leave the buffer once the suppress node's stream time passes
// their buffer time plus the suppression duration, or early when a bounded buffer overflows (emitEarly).
import { StreamsError } from '../../errors.ts'
import type { Processor, ProcessorContext } from '../../processor/processor.ts'
import { Record } from '../../processor/record.ts'
import { taskOf } from '../../processor/internals/stream-task.ts'
import type { Serde } from '../../serdes/serde.ts'
import type { Headers } from '../../processor/record.ts'
import type { RestoreRecord, StateStore, StateStoreContext } from '../../state/state-store.ts'
import type { StoreBuilder } from '../../state/store-builder.ts'
import { StoreBuilderImpl } from '../../state/internals/store-builder-impl.ts'
import { isInternalContext } from '../../state/internals/internal-store-context.ts'
import type { InternalStoreContext, RecordContext } from '../../state/internals/internal-store-context.ts'
import { ValueAndTimestamp } from '../../state/value-and-timestamp.ts'
import type { Suppressed } from '../suppressed.ts'
import { Windowed } from '../windowed.ts'
import { Change } from './change.ts'
import type { KTableProcessorSupplier } from './ktable-processor-supplier.ts'
import { valueGetterSupplierOf } from './ktable-value-getter.ts'
import type { KTableValueGetterSupplier } from './ktable-value-getter.ts'
import { changelogTopic } from '../../internals/names.ts'

interface Buffered {
  readonly time: number
  readonly keyBytes: Buffer
  readonly key: unknown
  /** The value downstream last saw for this key (the old value of the first buffered update). */
  readonly prior: unknown
  readonly change: Change<unknown>
  readonly context: RecordContext
  readonly size: number
}

function compareEntries(a: Buffered, b: Buffered): number {
  return a.time !== b.time ? a.time - b.time : Buffer.compare(a.keyBytes, b.keyBytes)
}

function longBytes(n: bigint): Buffer {
  const b = Buffer.allocUnsafe(8)
  b.writeBigInt64BE(BigInt.asIntN(64, n))
  return b
}

// Without a key serde (windowed tables carry none here) keys are ordered by the bytes Kafka Streams' default
// serdes would give: UTF-8 strings, big-endian integers, and windowed keys as [key][window start].
function fallbackKeyBytes(key: unknown): Buffer {
  if (key instanceof Windowed) return Buffer.concat([fallbackKeyBytes(key.key), longBytes(BigInt(key.window.start))])
  if (typeof key === 'string') return Buffer.from(key, 'utf8')
  if (typeof key === 'bigint') return longBytes(key)
  if (typeof key === 'number') {
    if (Number.isInteger(key)) return longBytes(BigInt(key))
    const b = Buffer.allocUnsafe(8)
    b.writeDoubleBE(key)
    return b
  }
  if (Buffer.isBuffer(key)) return key
  return Buffer.from(JSON.stringify(key) ?? '', 'utf8')
}

// Changelog value: [8 buffer time][8 timestamp][8 offset][4 partition][topic][headers][prior][old][new], where a
// string or value is [4-byte length or -1 for null][bytes] and headers are [4-byte count] then (key, value) pairs.
class Writer {
  readonly parts: Buffer[] = []
  long(n: number): void {
    const b = Buffer.allocUnsafe(8)
    b.writeBigInt64BE(BigInt(n))
    this.parts.push(b)
  }

  int(n: number): void {
    const b = Buffer.allocUnsafe(4)
    b.writeInt32BE(n)
    this.parts.push(b)
  }

  bytes(b: Buffer | null): void {
    this.int(b === null ? -1 : b.length)
    if (b !== null) this.parts.push(b)
  }
}

class Reader {
  #at = 0
  readonly #b: Buffer
  constructor(b: Buffer) {
    this.#b = b
  }

  long(): number {
    const n = Number(this.#b.readBigInt64BE(this.#at))
    this.#at += 8
    return n
  }

  int(): number {
    const n = this.#b.readInt32BE(this.#at)
    this.#at += 4
    return n
  }

  bytes(): Buffer | null {
    const len = this.int()
    if (len < 0) return null
    const out = this.#b.subarray(this.#at, this.#at + len)
    this.#at += len
    return out
  }
}

/**
 * The suppress buffer: a task-local in-memory store. With logging (the default) its changes go to a changelog at
 * each flush and are restored from it, so buffered updates survive a restart; that needs key and value serdes.
 */
export class SuppressBuffer implements StateStore {
  readonly name: string
  readonly #keySerde: Serde<unknown> | undefined
  readonly #valueSerde: Serde<unknown> | undefined
  readonly #index = new Map<string, Buffered>()
  #sorted: Buffered[] = []
  #bytes = 0
  #open = false
  #topic = ''
  #context: InternalStoreContext | null = null
  readonly #dirty = new Map<string, Buffer>()
  readonly #logging: boolean

  constructor(
    name: string,
    keySerde: Serde<unknown> | undefined,
    valueSerde: Serde<unknown> | undefined,
    logging: boolean
  ) {
    this.name = name
    this.#keySerde = keySerde
    this.#valueSerde = valueSerde
    this.#logging = logging && keySerde !== undefined && valueSerde !== undefined
  }

  persistent(): boolean {
    return false
  }

  init(context: StateStoreContext, root: StateStore): void {
    this.#topic = changelogTopic(context.applicationId, this.name)
    if (this.#logging && isInternalContext(context)) this.#context = context
    context.register(root, (batch) => this.#restore(batch))
    this.#open = true
  }

  flush(): void {
    const ctx = this.#context
    if (ctx === null) return
    for (const [id, keyBytes] of this.#dirty) {
      const entry = this.#index.get(id)
      if (entry === undefined) {
        const rc = ctx.recordContext()
        ctx.logChange(this.name, keyBytes, null, rc.timestamp, rc.headers)
      } else {
        ctx.logChange(this.name, keyBytes, this.#encode(entry), entry.context.timestamp, entry.context.headers)
      }
    }
    this.#dirty.clear()
  }

  #value(v: unknown): Buffer | null {
    return v === null ? null : ((this.#valueSerde as Serde<unknown>).serialize(this.#topic, v) ?? null)
  }

  #encode(e: Buffered): Buffer {
    const w = new Writer()
    w.long(e.time)
    w.long(e.context.timestamp)
    w.long(e.context.offset)
    w.int(e.context.partition)
    w.bytes(Buffer.from(e.context.topic, 'utf8'))
    w.int(e.context.headers.length)
    for (const h of e.context.headers) {
      w.bytes(Buffer.from(h.key, 'utf8'))
      w.bytes(h.value)
    }
    w.bytes(this.#value(e.prior))
    w.bytes(this.#value(e.change.oldValue))
    w.bytes(this.#value(e.change.newValue))
    return Buffer.concat(w.parts)
  }

  #restore(batch: readonly RestoreRecord[]): void {
    const keySerde = this.#keySerde
    const valueSerde = this.#valueSerde
    if (keySerde === undefined || valueSerde === undefined) return
    const value = (b: Buffer | null): unknown => (b === null ? null : valueSerde.deserialize(this.#topic, b))
    for (const record of batch) {
      const id = record.key.toString('latin1')
      const previous = this.#index.get(id)
      if (previous !== undefined) {
        this.#index.delete(id)
        this.#sorted.splice(this.#sorted.indexOf(previous), 1)
        this.#bytes -= previous.size
      }
      if (record.value === null) continue
      const r = new Reader(record.value)
      const time = r.long()
      const timestamp = r.long()
      const offset = r.long()
      const partition = r.int()
      const topic = (r.bytes() as Buffer).toString('utf8')
      const headers: Array<{ key: string; value: Buffer | null }> = []
      for (let n = r.int(); n > 0; n--) headers.push({ key: (r.bytes() as Buffer).toString('utf8'), value: r.bytes() })
      const prior = value(r.bytes())
      const oldValue = value(r.bytes())
      const newValue = value(r.bytes())
      const key = keySerde.deserialize(this.#topic, record.key)
      this.#insert(id, {
        time,
        keyBytes: Buffer.from(record.key),
        key,
        prior,
        change: new Change(newValue, oldValue),
        context: { timestamp, offset, partition, topic, headers: headers as Headers },
        size: record.key.length + record.value.length
      })
    }
  }

  #insert(id: string, entry: Buffered): void {
    let lo = 0
    let hi = this.#sorted.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (compareEntries(this.#sorted[mid] as Buffered, entry) < 0) lo = mid + 1
      else hi = mid
    }
    this.#sorted.splice(lo, 0, entry)
    this.#index.set(id, entry)
    this.#bytes += entry.size
  }

  close(): void {
    this.#open = false
    this.#index.clear()
    this.#sorted = []
  }

  isOpen(): boolean {
    return this.#open
  }

  #keyBytes(key: unknown): Buffer {
    return (this.#keySerde === undefined ? null : this.#keySerde.serialize(this.#topic, key)) ?? fallbackKeyBytes(key)
  }

  #valueSize(value: unknown): number {
    if (value === null || this.#valueSerde === undefined) return 0
    return this.#valueSerde.serialize(this.#topic, value)?.length ?? 0
  }

  get numRecords(): number {
    return this.#sorted.length
  }

  get bufferSize(): number {
    return this.#bytes
  }

  get minTimestamp(): number {
    return this.#sorted.length === 0 ? Infinity : (this.#sorted[0] as Buffered).time
  }

  put(time: number, key: unknown, change: Change<unknown>, context: RecordContext): void {
    const keyBytes = this.#keyBytes(key)
    const id = keyBytes.toString('latin1')
    const previous = this.#index.get(id)
    const size = keyBytes.length + this.#valueSize(change.newValue) + this.#valueSize(change.oldValue) + 8
    // A key already buffered keeps its place (time) and its prior value; only the update is replaced.
    const entry: Buffered = {
      time: previous?.time ?? time,
      keyBytes,
      key,
      prior: previous === undefined ? change.oldValue : previous.prior,
      change,
      context,
      size
    }
    if (previous !== undefined) {
      this.#sorted[this.#sorted.indexOf(previous)] = entry
      this.#bytes += size - previous.size
      this.#index.set(id, entry)
    } else {
      this.#insert(id, entry)
    }
    if (this.#context !== null) this.#dirty.set(id, keyBytes)
  }

  /** Evicts entries in (time, key) order while `predicate` holds, handing each to `emit`. */
  evictWhile(
    predicate: () => boolean,
    emit: (key: unknown, change: Change<unknown>, context: RecordContext) => void
  ): void {
    while (this.#sorted.length > 0 && predicate()) {
      const next = this.#sorted.shift() as Buffered
      const id = next.keyBytes.toString('latin1')
      this.#index.delete(id)
      this.#bytes -= next.size
      if (this.#context !== null) this.#dirty.set(id, next.keyBytes)
      emit(next.key, next.change, next.context)
    }
  }

  /** `undefined` when the key is not buffered; else the value downstream last saw (maybe null). */
  priorValueForBuffered(key: unknown): { value: unknown } | undefined {
    const entry = this.#index.get(this.#keyBytes(key).toString('latin1'))
    return entry === undefined ? undefined : { value: entry.prior }
  }
}

/** Logging follows the BufferConfig, but needs both serdes (a table without them cannot restore its buffer). */
export function suppressBufferBuilder(
  name: string,
  keySerde: Serde<unknown> | undefined,
  valueSerde: Serde<unknown> | undefined,
  suppressed: Suppressed
): StoreBuilder<StateStore> {
  const config = suppressed.bufferConfig
  const b = new StoreBuilderImpl<SuppressBuffer>(
    name,
    'keyValue',
    (o) => new SuppressBuffer(name, keySerde, valueSerde, o.logging)
  )
  if (config.loggingEnabled && keySerde !== undefined && valueSerde !== undefined) {
    b.withLoggingEnabled(config.topicConfig)
  } else b.withLoggingDisabled()
  return b as unknown as StoreBuilder<StateStore>
}

export class KTableSuppressSupplier implements KTableProcessorSupplier {
  readonly storeName = undefined
  readonly #parent: KTableProcessorSupplier
  readonly #bufferName: string
  readonly #suppressed: Suppressed
  readonly #durationMs: number

  /** `durationMs`: the window close delay (untilWindowCloses) or the time limit. */
  constructor(parent: KTableProcessorSupplier, bufferName: string, suppressed: Suppressed, durationMs: number) {
    this.#parent = parent
    this.#bufferName = bufferName
    this.#suppressed = suppressed
    this.#durationMs = durationMs
    // The buffer's view needs the value downstream last saw: the parent must send old values.
    parent.enableSendingOldValues(true)
  }

  enableSendingOldValues(force: boolean): boolean {
    return this.#parent.enableSendingOldValues(force)
  }

  view(): KTableValueGetterSupplier<unknown, unknown> {
    const parent = valueGetterSupplierOf<unknown, unknown>(this.#parent)
    const bufferName = this.#bufferName
    return {
      storeNames: () => [bufferName, ...parent.storeNames().filter((s) => s !== bufferName)],
      get: () => {
        const getter = parent.get()
        let buffer: SuppressBuffer
        return {
          init(context) {
            getter.init(context)
            buffer = context.getStateStore(bufferName)
          },
          get(key) {
            // A buffered key still shows what downstream last saw; its timestamp is unknown.
            const prior = buffer.priorValueForBuffered(key)
            return prior === undefined ? getter.get(key) : ValueAndTimestamp.make(prior.value, -1)
          }
        }
      }
    }
  }

  readonly supplier = (): Processor<unknown, unknown, unknown, unknown> => {
    const windowCloses = this.#suppressed.kind === 'windowCloses'
    const config = this.#suppressed.bufferConfig
    const duration = this.#durationMs
    const bufferName = this.#bufferName
    let context: ProcessorContext<unknown, unknown>
    let buffer: SuppressBuffer
    let observedStreamTime = -1
    let nodeName = ''

    const emit = (key: unknown, change: Change<unknown>, rc: RecordContext): void => {
      // untilWindowCloses never emits deletions (a window that disappeared was never final).
      if (change.newValue === null && windowCloses) return
      const task = taskOf(context)
      const previous = task.recordContext()
      task.setRecordContext(rc)
      try {
        context.forward(new Record(key, change, rc.timestamp, rc.headers))
      } finally {
        task.setRecordContext(previous)
      }
    }
    const overCapacity = (): boolean => buffer.numRecords > config.maxRecords || buffer.bufferSize > config.maxBytes

    return {
      init(ctx) {
        context = ctx
        buffer = ctx.getStateStore(bufferName)
        nodeName = taskOf(ctx).currentNodeName()
      },
      process(record: Record<unknown, unknown>) {
        observedStreamTime = Math.max(observedStreamTime, record.timestamp)
        let time = record.timestamp
        if (windowCloses) {
          if (!(record.key instanceof Windowed)) {
            throw new StreamsError('PROCESSING', 'suppress(untilWindowCloses) needs a windowed table')
          }
          time = record.key.window.end
        }
        const meta = context.recordMetadata()
        buffer.put(time, record.key, record.value as Change<unknown>, {
          timestamp: record.timestamp,
          headers: record.headers,
          topic: meta?.topic ?? '',
          partition: meta?.partition ?? -1,
          offset: meta?.offset ?? -1
        })
        const expiry = observedStreamTime - duration
        buffer.evictWhile(() => buffer.minTimestamp <= expiry, emit)
        if (overCapacity()) {
          if (config.whenFull === 'emitEarly') {
            buffer.evictWhile(overCapacity, emit)
          } else {
            throw new StreamsError(
              'PROCESSING',
              `${nodeName} buffer exceeded its max capacity. Currently [${buffer.numRecords}/${config.maxRecords}] records and [${buffer.bufferSize}/${config.maxBytes}] bytes.`
            )
          }
        }
      }
    }
  }
}
