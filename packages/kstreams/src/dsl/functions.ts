import type { KeyValue } from '../key-value.ts'

/** Function types of the DSL, as Kafka Streams' functional interfaces. Keys and values may be null. */
export type Predicate<K, V> = (key: K, value: V) => boolean
/** `mapValues` receives the value first, then the (read-only) key. */
export type ValueMapper<K, V, VR> = (value: V, key: K) => VR
export type KeyValueMapper<K, V, R> = (key: K, value: V) => R
export type ForeachAction<K, V> = (key: K, value: V) => void
export type Initializer<VA> = () => VA
export type Aggregator<K, V, VA> = (key: K, value: V, aggregate: VA) => VA
export type Reducer<V> = (value1: V, value2: V) => V
export type Merger<K, VA> = (key: K, aggregate1: VA, aggregate2: VA) => VA
export type ValueJoiner<V1, V2, VR> = (value1: V1, value2: V2) => VR
export type FlatKeyValueMapper<K, V, KR, VR> = (key: K, value: V) => Iterable<KeyValue<KR, VR>>
