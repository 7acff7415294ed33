// The typed face of a key-value store stack: (de)serializes keys and values around the bytes layers below,
// and counts operations for metrics.
import { KeyValue } from '../../key-value.ts'
import type { Serde } from '../../serdes/serde.ts'
import type { KeyValueStore } from '../key-value-store.ts'
import type { StateStore, StateStoreContext } from '../state-store.ts'
import type { BytesEntry, KeyValueBytesStore } from './bytes-store.ts'
import type { CachedStateStore } from './caching-key-value-store.ts'
import type { RecordContext } from './internal-store-context.ts'
import { isInternalContext } from './internal-store-context.ts'
import { WrappedStore } from './wrapped-store.ts'
import { changelogTopic } from '../../internals/names.ts'

export type TypedFlushListener<K, V> = (key: K, newValue: V | null, oldValue: V | null, context: RecordContext) => void

export interface StoreMetrics {
  puts: number
  gets: number
  deletes: number
}

export class MeteredKeyValueStore<K, V> extends WrappedStore<KeyValueBytesStore> implements KeyValueStore<K, V> {
  readonly #keySerde: Serde<K>
  readonly #valueSerde: Serde<V>
  #topic: string
  readonly metrics: StoreMetrics = { puts: 0, gets: 0, deletes: 0 }

  constructor(wrapped: KeyValueBytesStore, keySerde: Serde<K>, valueSerde: Serde<V>) {
    super(wrapped)
    this.#keySerde = keySerde
    this.#valueSerde = valueSerde
    this.#topic = wrapped.name
  }

  override init(context: StateStoreContext, root: StateStore): void {
    // Serdes see the changelog topic, as in Kafka Streams (it decides the schema-registry subject).
    this.#topic = isInternalContext(context)
      ? context.changelogFor(this.name)
      : changelogTopic(context.applicationId, this.name)
    super.init(context, root)
  }

  get keySerde(): Serde<K> {
    return this.#keySerde
  }

  get valueSerde(): Serde<V> {
    return this.#valueSerde
  }

  #lastKey: K | undefined = undefined
  #lastKeyBytes: Buffer | null = null

  #key(key: K): Buffer {
    // Aggregations get then put the same key: serialize it once. Only primitives compare by value with ===.
    if (key === this.#lastKey && this.#lastKeyBytes !== null) return this.#lastKeyBytes
    const bytes = this.#keySerde.serialize(this.#topic, key)
    if (bytes === null) throw new TypeError(`store ${this.name}: key must not be null`)
    if (typeof key !== 'object') {
      this.#lastKey = key
      this.#lastKeyBytes = bytes
    }
    return bytes
  }

  #value(bytes: Buffer | undefined | null): V | null {
    return bytes == null ? null : this.#valueSerde.deserialize(this.#topic, bytes)
  }

  #entry(e: BytesEntry): KeyValue<K, V> {
    return new KeyValue(
      this.#keySerde.deserialize(this.#topic, e.key) as K,
      this.#valueSerde.deserialize(this.#topic, e.value) as V
    )
  }

  /** Registers a typed listener for cache flushes; false when the stack has no cache. */
  setFlushListener(listener: TypedFlushListener<K, V>, sendOldValues: boolean): boolean {
    const cached = this.wrapped as unknown as Partial<CachedStateStore>
    if (typeof cached.setFlushListener !== 'function') return false
    return cached.setFlushListener(
      (key, newValue, oldValue, context) =>
        listener(
          this.#keySerde.deserialize(this.#topic, key) as K,
          this.#value(newValue),
          this.#value(oldValue),
          context
        ),
      sendOldValues
    )
  }

  get(key: K): V | null {
    this.metrics.gets++
    return this.#value(this.wrapped.get(this.#key(key)))
  }

  put(key: K, value: V | null): void {
    this.metrics.puts++
    this.wrapped.put(this.#key(key), value === null ? null : this.#valueSerde.serialize(this.#topic, value))
  }

  putIfAbsent(key: K, value: V | null): V | null {
    this.metrics.puts++
    return this.#value(
      this.wrapped.putIfAbsent(this.#key(key), value === null ? null : this.#valueSerde.serialize(this.#topic, value))
    )
  }

  putAll(entries: ReadonlyArray<KeyValue<K, V | null>>): void {
    for (const e of entries) this.put(e.key, e.value)
  }

  delete(key: K): V | null {
    this.metrics.deletes++
    return this.#value(this.wrapped.delete(this.#key(key)))
  }

  *#map(entries: Iterable<BytesEntry>): Generator<KeyValue<K, V>> {
    for (const e of entries) yield this.#entry(e)
  }

  range(from: K | null, to: K | null): Iterable<KeyValue<K, V>> {
    return this.#map(this.wrapped.range(from === null ? null : this.#key(from), to === null ? null : this.#key(to)))
  }

  reverseRange(from: K | null, to: K | null): Iterable<KeyValue<K, V>> {
    return this.#map(
      this.wrapped.reverseRange(from === null ? null : this.#key(from), to === null ? null : this.#key(to))
    )
  }

  all(): Iterable<KeyValue<K, V>> {
    return this.#map(this.wrapped.all())
  }

  reverseAll(): Iterable<KeyValue<K, V>> {
    return this.#map(this.wrapped.reverseAll())
  }

  approximateNumEntries(): number {
    return this.wrapped.approximateNumEntries()
  }
}
