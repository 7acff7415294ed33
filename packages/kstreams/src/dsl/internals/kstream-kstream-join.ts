// Windowed stream-stream joins, as Kafka Streams' KStreamJoinWindow + KStreamKStreamJoin{Left,Right}Side.
// Each side first records its stream in a window store (retaining duplicates), then joins each record with the
// other side's records within the join window. Left/outer joins park unmatched records in a shared key-value
// store ordered by (timestamp, side, key) and emit them joined with null once their window has closed.
import type { Processor, ProcessorContext, ProcessorSupplier } from '../../processor/processor.ts'
import type { Record } from '../../processor/record.ts'
import { taskOf } from '../../processor/internals/stream-task.ts'
import type { StreamTask } from '../../processor/internals/stream-task.ts'
import type { Serde } from '../../serdes/serde.ts'
import type { KeyValueStore } from '../../state/key-value-store.ts'
import type { StateStore, StateStoreContext } from '../../state/state-store.ts'
import type { StoreBuilder } from '../../state/store-builder.ts'
import type { WindowBytesStoreSupplier } from '../../state/store-supplier.ts'
import { Stores } from '../../state/stores.ts'
import type { WindowBytesStore } from '../../state/internals/bytes-store.ts'
import { readTimestamp, writeTimestamp } from '../../state/internals/wrapped-store.ts'
import { StoreBuilderImpl } from '../../state/internals/store-builder-impl.ts'
import { ChangeLoggingWindowBytesStore } from '../../state/internals/window-store-layers.ts'
import { WrappedStore } from '../../state/internals/wrapped-store.ts'
import { changelogTopic } from '../../internals/names.ts'

type TopicConfig = { readonly [setting: string]: string }

/** A join window store: raw values keyed by (key, timestamp), duplicates kept in arrival order. */
export class JoinWindowStore<K, V> extends WrappedStore<WindowBytesStore> {
  readonly #keySerde: Serde<K>
  readonly #valueSerde: Serde<V>
  #topic = ''
  #task: { recordDropped(): void } | null = null
  #observed = -1

  constructor(wrapped: WindowBytesStore, keySerde: Serde<K>, valueSerde: Serde<V>) {
    super(wrapped)
    this.#keySerde = keySerde
    this.#valueSerde = valueSerde
  }

  override init(context: StateStoreContext, root: StateStore): void {
    this.#topic = changelogTopic(context.applicationId, this.name)
    const task = context as unknown as { recordDropped?: () => void }
    if (typeof task.recordDropped === 'function') this.#task = task as { recordDropped(): void }
    super.init(context, root)
  }

  #key(key: K): Buffer {
    const bytes = this.#keySerde.serialize(this.#topic, key)
    if (bytes === null) throw new TypeError(`store ${this.name}: key must not be null`)
    return bytes
  }

  put(key: K, value: V | null, timestamp: number): void {
    this.#observed = Math.max(this.#observed, timestamp)
    // The in-memory window store skips a record older than its retention; Kafka Streams counts it as dropped.
    if (timestamp <= this.#observed - this.wrapped.retentionPeriod) this.#task?.recordDropped()
    this.wrapped.put(this.#key(key), value === null ? null : this.#valueSerde.serialize(this.#topic, value), timestamp)
  }

  /** (timestamp, value) pairs of `key` with timestamps in [timeFrom, timeTo], in time then arrival order. */
  *fetch(key: K, timeFrom: number, timeTo: number): Generator<[number, V]> {
    for (const e of this.wrapped.fetchRange(this.#key(key), timeFrom, timeTo)) {
      yield [e.windowStart, this.#valueSerde.deserialize(this.#topic, e.value) as V]
    }
  }
}

export function joinWindowStoreBuilder<K, V>(
  supplier: WindowBytesStoreSupplier,
  keySerde: Serde<K>,
  valueSerde: Serde<V>,
  logging: boolean,
  logConfig: TopicConfig
): StoreBuilder<StateStore> {
  const b = new StoreBuilderImpl<JoinWindowStore<K, V>>(
    supplier.name,
    'window',
    (o) =>
      new JoinWindowStore(
        o.logging ? new ChangeLoggingWindowBytesStore(supplier.get(), false) : supplier.get(),
        keySerde,
        valueSerde
      ),
    supplier.retentionPeriod
  )
  // Duplicates must not be compacted away, so the changelog is delete-only (as in Kafka Streams).
  if (logging) b.withLoggingEnabled({ ...logConfig, 'cleanup.policy': 'delete' })
  else b.withLoggingDisabled()
  return b as unknown as StoreBuilder<StateStore>
}

/** Key of the shared outer store: sorts by timestamp, then side (right before left), then key bytes. */
export interface TimestampedKeyAndJoinSide<K> {
  readonly timestamp: number
  readonly leftSide: boolean
  readonly key: K
}

/** A parked unmatched record: its value on its side. */
export interface LeftOrRightValue {
  readonly leftSide: boolean
  readonly value: unknown
}

function sharedKeySerde<K>(keySerde: Serde<K>): Serde<TimestampedKeyAndJoinSide<K>> {
  return {
    serialize: (topic, k) => {
      if (k === null) return null
      const raw = keySerde.serialize(topic, k.key) as Buffer
      const out = Buffer.allocUnsafe(9 + raw.length)
      writeTimestamp(out, k.timestamp, 0)
      out[8] = k.leftSide ? 1 : 0
      raw.copy(out, 9)
      return out
    },
    deserialize: (topic, b) =>
      b === null
        ? null
        : { timestamp: readTimestamp(b, 0), leftSide: b[8] === 1, key: keySerde.deserialize(topic, b.subarray(9)) as K }
  }
}

// A list of [4-byte length][1-byte side][value bytes], the layout of Kafka Streams' list-value store.
function sharedValueSerde(leftSerde: Serde<unknown>, rightSerde: Serde<unknown>): Serde<LeftOrRightValue[]> {
  return {
    serialize: (topic, list) => {
      if (list === null) return null
      const parts: Buffer[] = []
      for (const v of list) {
        const raw = (v.leftSide ? leftSerde : rightSerde).serialize(topic, v.value) ?? Buffer.alloc(0)
        const head = Buffer.allocUnsafe(5)
        head.writeInt32BE(raw.length + 1, 0)
        head[4] = v.leftSide ? 1 : 0
        parts.push(head, raw)
      }
      return Buffer.concat(parts)
    },
    deserialize: (topic, b) => {
      if (b === null) return null
      const out: LeftOrRightValue[] = []
      let i = 0
      while (i < b.length) {
        const len = b.readInt32BE(i)
        const leftSide = b[i + 4] === 1
        out.push({
          leftSide,
          value: (leftSide ? leftSerde : rightSerde).deserialize(topic, b.subarray(i + 5, i + 4 + len))
        })
        i += 4 + len
      }
      return out
    }
  }
}

export function outerJoinStoreBuilder<K>(
  name: string,
  keySerde: Serde<K>,
  leftSerde: Serde<unknown>,
  rightSerde: Serde<unknown>,
  logging: boolean,
  logConfig: TopicConfig
): StoreBuilder<StateStore> {
  const b = Stores.keyValueStoreBuilder(
    Stores.inMemoryKeyValueStore(name),
    sharedKeySerde(keySerde),
    sharedValueSerde(leftSerde, rightSerde)
  )
  if (logging) b.withLoggingEnabled(logConfig)
  else b.withLoggingDisabled()
  return b.withCachingDisabled() as unknown as StoreBuilder<StateStore>
}

/** Records each stream record in its side's window store, then passes it on to the join processor. */
export function kstreamJoinWindow(storeName: string): ProcessorSupplier<unknown, unknown, unknown, unknown> {
  return () => {
    let context: ProcessorContext<unknown, unknown>
    let store: JoinWindowStore<unknown, unknown>
    return {
      init(ctx) {
        context = ctx
        store = ctx.getStateStore(storeName)
      },
      process(record: Record<unknown, unknown>) {
        context.forward(record)
        // A null key never joins, so it is not kept.
        if (record.key !== null) store.put(record.key, record.value, record.timestamp)
      }
    }
  }
}

/** Stream time and the oldest parked record, shared by both sides of one join in one task. */
class TimeTracker {
  streamTime = -1
  minTime = Infinity
}

export interface StreamJoinSideOptions {
  /** True for the left (this) stream's processor. */
  readonly leftSide: boolean
  readonly otherStoreName: string
  readonly sharedStoreName: string | undefined
  /** Emit this side's unmatched records joined with null (left side of left/outer joins, right side of outer). */
  readonly outer: boolean
  readonly beforeMs: number
  readonly afterMs: number
  readonly graceMs: number
  /** (this value, other value) → result; already reversed for the right side. */
  readonly joiner: (thisValue: unknown, otherValue: unknown) => unknown
}

/** Creates the two join processors of one join; they share a time tracker per task. */
export class StreamStreamJoin {
  readonly #trackers = new WeakMap<StreamTask, TimeTracker>()
  readonly #windowBeforeMs: number
  readonly #windowAfterMs: number

  constructor(windowBeforeMs: number, windowAfterMs: number) {
    this.#windowBeforeMs = windowBeforeMs
    this.#windowAfterMs = windowAfterMs
  }

  #tracker(task: StreamTask): TimeTracker {
    let t = this.#trackers.get(task)
    if (t === undefined) {
      t = new TimeTracker()
      this.#trackers.set(task, t)
    }
    return t
  }

  side(o: StreamJoinSideOptions): ProcessorSupplier<unknown, unknown, unknown, unknown> {
    const join = this
    // Seen from the right side, the window is mirrored: a right record at t joins left records in [t - after, t + before].
    const joinBefore = o.leftSide ? o.beforeMs : o.afterMs
    const joinAfter = o.leftSide ? o.afterMs : o.beforeMs
    return (): Processor<unknown, unknown, unknown, unknown> => {
      let context: ProcessorContext<unknown, unknown>
      let task: StreamTask
      let tracker: TimeTracker
      let otherStore: JoinWindowStore<unknown, unknown>
      let shared: KeyValueStore<TimestampedKeyAndJoinSide<unknown>, LeftOrRightValue[]> | null = null

      // Unmatched records whose window closed, oldest first; Kafka Streams looks back `after` for left records
      // and `before` for right ones.
      const emitNonJoined = (
        store: KeyValueStore<TimestampedKeyAndJoinSide<unknown>, LeftOrRightValue[]>,
        record: Record<unknown, unknown>
      ): void => {
        if (tracker.minTime + joinAfter + o.graceMs >= tracker.streamTime) return
        tracker.minTime = Infinity
        let leftOpen = false
        let rightOpen = false
        let previous: TimestampedKeyAndJoinSide<unknown> | null = null
        for (const kv of store.all()) {
          const k = kv.key
          tracker.minTime = k.timestamp
          if (leftOpen && rightOpen) break
          const lookBack = k.leftSide ? join.#windowAfterMs : join.#windowBeforeMs
          if (tracker.minTime + lookBack + o.graceMs >= tracker.streamTime) {
            if (k.leftSide) leftOpen = true
            else rightOpen = true
            continue
          }
          for (const v of kv.value) {
            const leftValue = v.leftSide ? v.value : null
            const rightValue = v.leftSide ? null : v.value
            // The joiner of this side takes (this, other); parked values are stored as (left, right).
            const out = o.leftSide ? o.joiner(leftValue, rightValue) : o.joiner(rightValue, leftValue)
            context.forward(record.withKey(k.key).withValue(out).withTimestamp(k.timestamp))
          }
          // Deleted only once the next entry is reached, as Kafka Streams does (safe if forwarding throws).
          if (previous !== null) store.delete(previous)
          previous = k
        }
        if (previous !== null) store.delete(previous)
      }

      return {
        init(ctx) {
          context = ctx
          task = taskOf(ctx)
          tracker = join.#tracker(task)
          otherStore = ctx.getStateStore(o.otherStoreName)
          if (o.sharedStoreName !== undefined) shared = ctx.getStateStore(o.sharedStoreName)
        },
        process(record: Record<unknown, unknown>) {
          const ts = record.timestamp
          tracker.streamTime = Math.max(tracker.streamTime, ts)
          if (o.outer && record.key === null && record.value !== null) {
            context.forward(record.withValue(o.joiner(record.value, null)))
            return
          }
          if (record.key === null || record.value === null) {
            task.recordDropped()
            return
          }
          if (shared !== null && ts === tracker.streamTime) emitNonJoined(shared, record)
          const timeFrom = Math.max(0, ts - joinBefore)
          const timeTo = Math.max(0, ts + joinAfter)
          let matched = false
          for (const [otherTs, otherValue] of otherStore.fetch(record.key, timeFrom, timeTo)) {
            matched = true
            if (shared !== null) {
              // The other record found a match: it must not be emitted as unmatched later.
              const otherKey = { timestamp: otherTs, leftSide: !o.leftSide, key: record.key }
              if (shared.get(otherKey) !== null) shared.delete(otherKey)
            }
            context.forward(record.withValue(o.joiner(record.value, otherValue)).withTimestamp(Math.max(ts, otherTs)))
          }
          if (!o.outer || matched) return
          // A late record (its window already closed) is emitted at once instead of being parked.
          if (shared === null || timeTo < tracker.streamTime) {
            context.forward(record.withValue(o.joiner(record.value, null)))
          } else {
            tracker.minTime = Math.min(tracker.minTime, ts)
            const key = { timestamp: ts, leftSide: o.leftSide, key: record.key }
            const list = shared.get(key) ?? []
            shared.put(key, [...list, { leftSide: o.leftSide, value: record.value }])
          }
        }
      }
    }
  }
}
