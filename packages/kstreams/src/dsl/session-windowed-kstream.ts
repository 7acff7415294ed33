import type { Aggregator, Initializer, Merger, Reducer } from './functions.ts'
import type { KTable } from './ktable.ts'
import type { Materialized } from './materialized.ts'
import type { Named } from './named.ts'
import type { Windowed } from './windowed.ts'

/**
 * A stream grouped by key and session window, as Kafka Streams' `SessionWindowedKStream`. Records of one key
 * that lie within the inactivity gap of each other belong to one session `[first, last]` (both ends inclusive).
 *
 * A record that bridges two sessions merges them: the merged-away sessions are removed from the store and a
 * tombstone (`null` value) is emitted for each, then the merged session is emitted. Records with a `null` key,
 * and records whose session would end before stream time minus gap minus grace, are dropped and counted in the
 * task's `dropped-records-total` metric. Results carry the session end as their timestamp; without the record cache
 * they carry no headers, with it (the default) the headers of the record that last wrote the session, and each
 * session is emitted at most once per commit.
 */
export interface SessionWindowedKStream<K, V> {
  /** Counts per session. Counts are `bigint` (Java `Long`). */
  count(materialized?: Materialized<K, bigint>, named?: Named): KTable<Windowed<K>, bigint>
  /** Combines the values of a session; merging two sessions reduces their aggregates in time order. */
  reduce(reducer: Reducer<V>, materialized?: Materialized<K, V>, named?: Named): KTable<Windowed<K>, V>
  /**
   * Aggregates the values of a session. `merger` combines the aggregates of two sessions when a record bridges
   * them; it is called with the aggregate so far (starting from `initializer()`) and each merged session's aggregate,
   * oldest session first.
   */
  aggregate<VA>(
    initializer: Initializer<VA>,
    aggregator: Aggregator<K, V, VA>,
    merger: Merger<K, VA>,
    materialized?: Materialized<K, VA>,
    named?: Named
  ): KTable<Windowed<K>, VA>
}
