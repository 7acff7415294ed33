// Window store layers: change-logging (Kafka Streams' changelog key layout) and the typed metered face.
import { KeyValue } from '../../key-value.ts'
import { Window, Windowed } from '../../dsl/windowed.ts'
import type { Serde } from '../../serdes/serde.ts'
import type { StateStore, StateStoreContext } from '../state-store.ts'
import type { TimestampedWindowStore } from '../window-store.ts'
import type { ValueAndTimestamp } from '../value-and-timestamp.ts'
import type { WindowBytesEntry, WindowBytesStore } from './bytes-store.ts'
import type { CachedWindowStore } from './caching-window-store.ts'
import type { InternalStoreContext, RecordContext } from './internal-store-context.ts'
import { isInternalContext } from './internal-store-context.ts'
import { timestampedRestoreContext } from './restore-conversion.ts'
import { encodeWindowStoreKey } from './window-key-schema.ts'
import { WrappedStore, rawValue, timestampOf } from './wrapped-store.ts'
import { changelogTopic } from '../../internals/names.ts'

export class ChangeLoggingWindowBytesStore extends WrappedStore<WindowBytesStore> implements WindowBytesStore {
  readonly #timestamped: boolean
  #context: InternalStoreContext | null = null
  #seqnum = 0

  constructor(wrapped: WindowBytesStore, timestamped: boolean) {
    super(wrapped)
    this.#timestamped = timestamped
  }

  get retentionPeriod(): number {
    return this.wrapped.retentionPeriod
  }

  get windowSize(): number {
    return this.wrapped.windowSize
  }

  get retainDuplicates(): boolean {
    return this.wrapped.retainDuplicates
  }

  override init(context: StateStoreContext, root: StateStore): void {
    if (isInternalContext(context)) this.#context = context
    this.wrapped.init(this.#timestamped ? timestampedRestoreContext(context) : context, root)
  }

  put(key: Buffer, value: Buffer | null, windowStart: number): void {
    this.wrapped.put(key, value, windowStart)
    const ctx = this.#context
    if (ctx === null) return
    if (this.wrapped.retainDuplicates) this.#seqnum = (this.#seqnum + 1) | 0
    const storeKey = encodeWindowStoreKey(key, windowStart, this.wrapped.retainDuplicates ? this.#seqnum : 0)
    const rc = ctx.recordContext()
    if (value !== null && this.#timestamped) {
      ctx.logChange(this.name, storeKey, rawValue(value), timestampOf(value), rc.headers)
    } else ctx.logChange(this.name, storeKey, value, rc.timestamp, rc.headers)
  }

  fetch(key: Buffer, windowStart: number): Buffer | undefined {
    return this.wrapped.fetch(key, windowStart)
  }

  fetchRange(key: Buffer, timeFrom: number, timeTo: number): Iterable<WindowBytesEntry> {
    return this.wrapped.fetchRange(key, timeFrom, timeTo)
  }

  backwardFetchRange(key: Buffer, timeFrom: number, timeTo: number): Iterable<WindowBytesEntry> {
    return this.wrapped.backwardFetchRange(key, timeFrom, timeTo)
  }

  fetchKeyRange(
    keyFrom: Buffer | null,
    keyTo: Buffer | null,
    timeFrom: number,
    timeTo: number
  ): Iterable<WindowBytesEntry> {
    return this.wrapped.fetchKeyRange(keyFrom, keyTo, timeFrom, timeTo)
  }

  fetchAll(timeFrom: number, timeTo: number): Iterable<WindowBytesEntry> {
    return this.wrapped.fetchAll(timeFrom, timeTo)
  }

  all(): Iterable<WindowBytesEntry> {
    return this.wrapped.all()
  }
}

/** A cache flush of one window, typed: the new and old values (`null` = none / deleted). */
export type WindowFlushListener<K, V> = (
  window: Windowed<K>,
  newValue: ValueAndTimestamp<V> | null,
  oldValue: ValueAndTimestamp<V> | null,
  context: RecordContext
) => void

export class MeteredWindowStore<K, V> extends WrappedStore<WindowBytesStore> implements TimestampedWindowStore<K, V> {
  readonly #keySerde: Serde<K>
  readonly #valueSerde: Serde<ValueAndTimestamp<V>>
  readonly #windowSize: number
  #topic: string

  constructor(
    wrapped: WindowBytesStore,
    keySerde: Serde<K>,
    valueSerde: Serde<ValueAndTimestamp<V>>,
    windowSize: number
  ) {
    super(wrapped)
    this.#keySerde = keySerde
    this.#valueSerde = valueSerde
    this.#windowSize = windowSize
    this.#topic = wrapped.name
  }

  override init(context: StateStoreContext, root: StateStore): void {
    this.#topic = changelogTopic(context.applicationId, this.name)
    super.init(context, root)
  }

  #key(key: K): Buffer {
    const bytes = this.#keySerde.serialize(this.#topic, key)
    if (bytes === null) throw new TypeError(`store ${this.name}: key must not be null`)
    return bytes
  }

  #value(bytes: Buffer | undefined): ValueAndTimestamp<V> | null {
    return bytes === undefined ? null : this.#valueSerde.deserialize(this.#topic, bytes)
  }

  /** Registers a typed listener for cache flushes; false when the stack has no cache. */
  setFlushListener(listener: WindowFlushListener<K, V>, sendOldValues: boolean): boolean {
    const cached = this.wrapped as unknown as Partial<CachedWindowStore>
    if (typeof cached.setFlushListener !== 'function') return false
    const value = (bytes: Buffer | null): ValueAndTimestamp<V> | null =>
      bytes === null ? null : this.#valueSerde.deserialize(this.#topic, bytes)
    return cached.setFlushListener(
      (key, windowStart, newValue, oldValue, context) =>
        listener(
          new Windowed(
            this.#keySerde.deserialize(this.#topic, key) as K,
            new Window(windowStart, windowStart + this.#windowSize)
          ),
          value(newValue),
          value(oldValue),
          context
        ),
      sendOldValues
    )
  }

  *#windowed(entries: Iterable<WindowBytesEntry>): Generator<KeyValue<Windowed<K>, ValueAndTimestamp<V>>> {
    for (const e of entries) {
      const key = this.#keySerde.deserialize(this.#topic, e.key) as K
      yield new KeyValue(
        new Windowed(key, new Window(e.windowStart, e.windowStart + this.#windowSize)),
        this.#valueSerde.deserialize(this.#topic, e.value) as ValueAndTimestamp<V>
      )
    }
  }

  *#timed(entries: Iterable<WindowBytesEntry>): Generator<KeyValue<number, ValueAndTimestamp<V>>> {
    for (const e of entries) {
      yield new KeyValue(e.windowStart, this.#valueSerde.deserialize(this.#topic, e.value) as ValueAndTimestamp<V>)
    }
  }

  put(key: K, value: ValueAndTimestamp<V> | null, windowStart: number): void {
    this.wrapped.put(
      this.#key(key),
      value === null ? null : this.#valueSerde.serialize(this.#topic, value),
      windowStart
    )
  }

  fetch(key: K, windowStart: number): ValueAndTimestamp<V> | null {
    return this.#value(this.wrapped.fetch(this.#key(key), windowStart))
  }

  fetchRange(key: K, timeFrom: number, timeTo: number): Iterable<KeyValue<number, ValueAndTimestamp<V>>> {
    return this.#timed(this.wrapped.fetchRange(this.#key(key), timeFrom, timeTo))
  }

  backwardFetchRange(key: K, timeFrom: number, timeTo: number): Iterable<KeyValue<number, ValueAndTimestamp<V>>> {
    return this.#timed(this.wrapped.backwardFetchRange(this.#key(key), timeFrom, timeTo))
  }

  fetchKeyRange(
    keyFrom: K | null,
    keyTo: K | null,
    timeFrom: number,
    timeTo: number
  ): Iterable<KeyValue<Windowed<K>, ValueAndTimestamp<V>>> {
    return this.#windowed(
      this.wrapped.fetchKeyRange(
        keyFrom === null ? null : this.#key(keyFrom),
        keyTo === null ? null : this.#key(keyTo),
        timeFrom,
        timeTo
      )
    )
  }

  fetchAll(timeFrom: number, timeTo: number): Iterable<KeyValue<Windowed<K>, ValueAndTimestamp<V>>> {
    return this.#windowed(this.wrapped.fetchAll(timeFrom, timeTo))
  }

  all(): Iterable<KeyValue<Windowed<K>, ValueAndTimestamp<V>>> {
    return this.#windowed(this.wrapped.all())
  }
}
