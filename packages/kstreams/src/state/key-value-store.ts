import type { KeyValue } from '../key-value.ts'
import type { StateStore } from './state-store.ts'
import type { ValueAndTimestamp } from './value-and-timestamp.ts'

/** Read access to a key-value store, as used by interactive queries. `get` returns `null` when absent. */
export interface ReadOnlyKeyValueStore<K, V> {
  get(key: K): V | null
  /** Keys between `from` and `to` inclusive, in serialized-key byte order; a `null` bound is open. */
  range(from: K | null, to: K | null): Iterable<KeyValue<K, V>>
  reverseRange(from: K | null, to: K | null): Iterable<KeyValue<K, V>>
  all(): Iterable<KeyValue<K, V>>
  reverseAll(): Iterable<KeyValue<K, V>>
  approximateNumEntries(): number
}

/** A key-value store. `put(key, null)` deletes. Not safe to share across tasks. */
export interface KeyValueStore<K, V> extends StateStore, ReadOnlyKeyValueStore<K, V> {
  put(key: K, value: V | null): void
  putIfAbsent(key: K, value: V | null): V | null
  putAll(entries: ReadonlyArray<KeyValue<K, V | null>>): void
  delete(key: K): V | null
}

/** What DSL tables store: each value carries the timestamp of its last update. */
export type TimestampedKeyValueStore<K, V> = KeyValueStore<K, ValueAndTimestamp<V>>
