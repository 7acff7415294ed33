import type { RestoreRecord, StateStore, StateStoreContext } from '../state-store.ts'
import type { WindowBytesEntry, WindowBytesStore } from './bytes-store.ts'
import { AFTER_LAST, FIRST, LmdbEnvironment } from './lmdb-environment.ts'
import { readLong, segmentPrefix, Segments, writeLong } from './lmdb-segments.ts'
import { storeNotOpen } from './store-support.ts'
import { decodeWindowStoreKey } from './window-key-schema.ts'

// Stored key: [segment id 8][key][windowStart 8][seqnum 4], i.e. the segment id followed by Kafka Streams'
// window store key; seqnum is 0 without duplicates.
const SUFFIX = 12
const MAX_SEQNUM = 0x7fffffff

function storeKey(segment: number, key: Buffer, windowStart: number, seqnum: number): Buffer {
  const out = Buffer.allocUnsafe(8 + key.length + SUFFIX)
  writeLong(out, segment, 0)
  key.copy(out, 8)
  writeLong(out, windowStart, 8 + key.length)
  out.writeInt32BE(seqnum, 8 + key.length + 8)
  return out
}

function windowStartOf(stored: Buffer): number {
  return readLong(stored, stored.length - SUFFIX)
}

function toEntry(stored: Buffer, value: Buffer): WindowBytesEntry {
  return { key: Buffer.from(stored.subarray(8, stored.length - SUFFIX)), windowStart: windowStartOf(stored), value }
}

function compareEntries(a: WindowBytesEntry, b: WindowBytesEntry): number {
  return a.windowStart - b.windowStart || Buffer.compare(a.key, b.key)
}

/**
 * Persistent window store on LMDB, with the retention semantics of the in-memory window store (see
 * {@link WindowBytesStore}) and Kafka Streams' segment layout: keys are grouped in time segments of
 * max(retention / 2, 1 minute) that are deleted whole once expired. A single key's windows are one range
 * read per segment; key-range and all-key queries sort each segment's matches by (windowStart, key).
 * Reopening recovers observed stream time from disk. See LmdbKeyValueBytesStore for durability.
 */
export class LmdbWindowBytesStore implements WindowBytesStore {
  readonly name: string
  readonly retentionPeriod: number
  readonly windowSize: number
  readonly retainDuplicates: boolean
  #env: LmdbEnvironment | undefined
  #segments: Segments | undefined
  #seqnum = 0

  constructor(name: string, retentionPeriod: number, windowSize: number, retainDuplicates: boolean) {
    this.name = name
    this.retentionPeriod = retentionPeriod
    this.windowSize = windowSize
    this.retainDuplicates = retainDuplicates
  }

  persistent(): boolean {
    return true
  }

  isOpen(): boolean {
    return this.#env?.isOpen ?? false
  }

  init(context: StateStoreContext, root: StateStore): void {
    const env = new LmdbEnvironment(this.name, context.stateDir)
    this.#env = env
    this.#segments = new Segments(env, this.retentionPeriod, windowStartOf)
    if (this.retainDuplicates) {
      // New duplicates must not reuse a sequence number already on disk.
      for (const key of env.iterate({ start: FIRST, end: AFTER_LAST }, (k) => k)) {
        this.#seqnum = Math.max(this.#seqnum, key.readInt32BE(key.length - 4))
      }
    }
    context.register(root, (batch) => this.#restore(batch))
  }

  flush(): void {
    this.#lmdb().flush()
  }

  close(): void {
    this.#env?.close()
  }

  put(key: Buffer, value: Buffer | null, windowStart: number): void {
    const env = this.#lmdb()
    const segments = this.#segments!
    const live = segments.observe(windowStart)
    segments.dropExpired()
    if (!live) return
    const segment = segments.segmentId(windowStart)
    if (value === null) {
      if (!this.retainDuplicates) env.write((db) => db.removeSync(storeKey(segment, key, windowStart, 0)))
      return
    }
    const seqnum = this.retainDuplicates ? (this.#seqnum = (this.#seqnum + 1) & MAX_SEQNUM) : 0
    segments.touched(segment)
    env.write((db) => db.putSync(storeKey(segment, key, windowStart, seqnum), value))
  }

  fetch(key: Buffer, windowStart: number): Buffer | undefined {
    const env = this.#lmdb()
    const segments = this.#segments!
    if (this.retainDuplicates || windowStart < segments.minLiveTime()) return undefined
    return env.get(storeKey(segments.segmentId(windowStart), key, windowStart, 0))
  }

  fetchRange(key: Buffer, timeFrom: number, timeTo: number): Iterable<WindowBytesEntry> {
    return this.#fetchKey(key, timeFrom, timeTo, false)
  }

  backwardFetchRange(key: Buffer, timeFrom: number, timeTo: number): Iterable<WindowBytesEntry> {
    return this.#fetchKey(key, timeFrom, timeTo, true)
  }

  fetchKeyRange(
    keyFrom: Buffer | null,
    keyTo: Buffer | null,
    timeFrom: number,
    timeTo: number
  ): Iterable<WindowBytesEntry> {
    this.#lmdb()
    if (keyFrom !== null && keyTo !== null && Buffer.compare(keyFrom, keyTo) > 0) return []
    const minTime = Math.max(timeFrom, this.#segments!.minLiveTime())
    if (timeTo < minTime) return []
    return this.#scan(keyFrom, keyTo, minTime, timeTo)
  }

  fetchAll(timeFrom: number, timeTo: number): Iterable<WindowBytesEntry> {
    return this.fetchKeyRange(null, null, timeFrom, timeTo)
  }

  all(): Iterable<WindowBytesEntry> {
    return this.fetchKeyRange(null, null, -Infinity, Infinity)
  }

  #lmdb(): LmdbEnvironment {
    const env = this.#env
    if (env === undefined || !env.isOpen) throw storeNotOpen(this.name)
    return env
  }

  #restore(batch: readonly RestoreRecord[]): void {
    for (const record of batch) {
      const { key, windowStart } = decodeWindowStoreKey(record.key)
      this.put(key, record.value, windowStart)
    }
  }

  #fetchKey(key: Buffer, timeFrom: number, timeTo: number, backward: boolean): Iterable<WindowBytesEntry> {
    this.#lmdb()
    const minTime = Math.max(timeFrom, this.#segments!.minLiveTime())
    if (timeTo < minTime) return []
    return this.#keyWindows(key, minTime, timeTo, backward)
  }

  *#keyWindows(key: Buffer, minTime: number, maxTime: number, backward: boolean): Generator<WindowBytesEntry> {
    const env = this.#lmdb()
    const segments = this.#segments!
    const ids = segments.ids(minTime, maxTime)
    if (backward) ids.reverse()
    const length = 8 + key.length + SUFFIX
    for (const id of ids) {
      const low = storeKey(id, key, Math.max(minTime, 0), 0)
      const high = storeKey(id, key, Math.min(maxTime, Number.MAX_SAFE_INTEGER), MAX_SEQNUM)
      const options = backward
        ? { start: high, end: low, inclusiveEnd: true, reverse: true }
        : { start: low, end: high, inclusiveEnd: true }
      // A longer key sharing this prefix can sort inside the range: keep exact key matches only.
      yield* env.iterate(options, (stored, value) =>
        stored.length === length && key.compare(stored, 8, 8 + key.length) === 0 ? toEntry(stored, value) : undefined
      )
    }
  }

  *#scan(keyFrom: Buffer | null, keyTo: Buffer | null, minTime: number, maxTime: number): Generator<WindowBytesEntry> {
    const env = this.#lmdb()
    for (const id of this.#segments!.ids(minTime, maxTime)) {
      const start = keyFrom === null ? segmentPrefix(id) : storeKey(id, keyFrom, 0, 0)
      const end = segmentPrefix(id + 1)
      const matches = [
        ...env.iterate({ start, end }, (stored, value) => {
          const key = stored.subarray(8, stored.length - SUFFIX)
          // Keys are followed by timestamps, so key order is not stored order when one key prefixes
          // another: filter rather than stop at the first key past keyTo.
          if (keyTo !== null && Buffer.compare(key, keyTo) > 0) return undefined
          if (keyFrom !== null && Buffer.compare(key, keyFrom) < 0) return undefined
          const windowStart = windowStartOf(stored)
          return windowStart >= minTime && windowStart <= maxTime ? toEntry(stored, value) : undefined
        })
      ]
      // Sort is stable, so duplicates keep their sequence order.
      for (const match of matches.sort(compareEntries)) {
        this.#lmdb()
        yield match
      }
    }
  }
}
