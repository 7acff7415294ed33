import type { Aggregator, Initializer, Reducer } from './functions.ts'
import type { KTable } from './ktable.ts'
import type { Materialized } from './materialized.ts'
import type { Named } from './named.ts'
import type { TimeWindowedKStream } from './time-windowed-kstream.ts'
import type { TimeWindows } from './windows.ts'

/**
 * A grouped stream, ready to aggregate, as Kafka Streams' `KGroupedStream`. Records with a `null` key or value are
 * skipped and counted in the task's `dropped-records-total` metric.
 */
export interface KGroupedStream<K, V> {
  /** Counts per key. Counts are `bigint` (Java `Long`, serialized with `Serdes.Long()`). */
  count (materialized?: Materialized<K, bigint>, named?: Named): KTable<K, bigint>
  reduce (reducer: Reducer<V>, materialized?: Materialized<K, V>, named?: Named): KTable<K, V>
  aggregate<VA> (initializer: Initializer<VA>, aggregator: Aggregator<K, V, VA>, materialized?: Materialized<K, VA>, named?: Named): KTable<K, VA>
  windowedBy (windows: TimeWindows): TimeWindowedKStream<K, V>
}
