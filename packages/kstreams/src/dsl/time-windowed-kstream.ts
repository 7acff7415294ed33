import type { Aggregator, Initializer, Reducer } from './functions.ts'
import type { KTable } from './ktable.ts'
import type { Materialized } from './materialized.ts'
import type { Named } from './named.ts'
import type { Windowed } from './windowed.ts'

/** A stream grouped by key and time window, as Kafka Streams' `TimeWindowedKStream`. */
export interface TimeWindowedKStream<K, V> {
  count(materialized?: Materialized<K, bigint>, named?: Named): KTable<Windowed<K>, bigint>
  reduce(reducer: Reducer<V>, materialized?: Materialized<K, V>, named?: Named): KTable<Windowed<K>, V>
  aggregate<VA>(
    initializer: Initializer<VA>,
    aggregator: Aggregator<K, V, VA>,
    materialized?: Materialized<K, VA>,
    named?: Named
  ): KTable<Windowed<K>, VA>
}
