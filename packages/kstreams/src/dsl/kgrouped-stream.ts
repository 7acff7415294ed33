import type { Aggregator, Initializer, Reducer } from './functions.ts'
import type { KTable } from './ktable.ts'
import type { Materialized } from './materialized.ts'
import type { Named } from './named.ts'
import type { SessionWindowedKStream } from './session-windowed-kstream.ts'
import type { TimeWindowedKStream } from './time-windowed-kstream.ts'
import type { SessionWindows, SlidingWindows, TimeWindows } from './windows.ts'

/**
 * A grouped stream, ready to aggregate, as Kafka Streams' `KGroupedStream`. Records with a `null` key or value are
 * skipped and counted in the task's `dropped-records-total` metric.
 */
export interface KGroupedStream<K, V> {
  /** Counts per key. Counts are `bigint` (Java `Long`, serialized with `Serdes.Long()`). */
  count(materialized?: Materialized<K, bigint>, named?: Named): KTable<K, bigint>
  reduce(reducer: Reducer<V>, materialized?: Materialized<K, V>, named?: Named): KTable<K, V>
  aggregate<VA>(
    initializer: Initializer<VA>,
    aggregator: Aggregator<K, V, VA>,
    materialized?: Materialized<K, VA>,
    named?: Named
  ): KTable<K, VA>
  /** Aggregates per key and fixed-size (tumbling/hopping) or sliding window. */
  windowedBy(windows: TimeWindows | SlidingWindows): TimeWindowedKStream<K, V>
  /** Aggregates per key and session (activity separated by at least the inactivity gap). */
  windowedBy(windows: SessionWindows): SessionWindowedKStream<K, V>
}
