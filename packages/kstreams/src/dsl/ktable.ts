import type { KeyValue } from '../key-value.ts'
import type { KeyValueMapper, Predicate, ValueMapper } from './functions.ts'
import type { Grouped } from './grouped.ts'
import type { KGroupedTable } from './kgrouped-table.ts'
import type { KStream } from './kstream.ts'
import type { Materialized } from './materialized.ts'
import type { Named } from './named.ts'

/**
 * A changelog stream seen as a table: one current value per key, as Kafka Streams' `KTable`. A `null` value is a
 * tombstone that deletes its key. Downstream operators receive every update (with caching off) or at most one
 * update per key per commit (with caching on).
 */
export interface KTable<K, V> {
  /** Name of the queryable store, when the table is materialized under a name. */
  readonly queryableStoreName: string | undefined
  filter (predicate: Predicate<K, V>, named?: Named, materialized?: Materialized<K, V>): KTable<K, V>
  filterNot (predicate: Predicate<K, V>, named?: Named, materialized?: Materialized<K, V>): KTable<K, V>
  mapValues<VR> (mapper: ValueMapper<K, V, VR>, named?: Named, materialized?: Materialized<K, VR>): KTable<K, VR>
  mapValues<VR> (mapper: ValueMapper<K, V, VR>, materialized: Materialized<K, VR>): KTable<K, VR>
  /** The update stream; a deletion becomes a record with a `null` value. */
  toStream (named?: Named): KStream<K, V>
  toStream<KR> (mapper: KeyValueMapper<K, V, KR>, named?: Named): KStream<KR, V>
  groupBy<KR, VR> (selector: KeyValueMapper<K, V, KeyValue<KR, VR>>, grouped?: Grouped<KR, VR>): KGroupedTable<KR, VR>
}
