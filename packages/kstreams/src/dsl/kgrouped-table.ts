import type { Aggregator, Initializer, Reducer } from './functions.ts'
import type { KTable } from './ktable.ts'
import type { Materialized } from './materialized.ts'
import type { Named } from './named.ts'

/**
 * A re-grouped table, as Kafka Streams' `KGroupedTable`. Each update first subtracts the old value from its old
 * group, then adds the new value to its new group.
 */
export interface KGroupedTable<K, V> {
  count(materialized?: Materialized<K, bigint>, named?: Named): KTable<K, bigint>
  reduce(adder: Reducer<V>, subtractor: Reducer<V>, materialized?: Materialized<K, V>, named?: Named): KTable<K, V>
  aggregate<VA>(
    initializer: Initializer<VA>,
    adder: Aggregator<K, V, VA>,
    subtractor: Aggregator<K, V, VA>,
    materialized?: Materialized<K, VA>,
    named?: Named
  ): KTable<K, VA>
}
