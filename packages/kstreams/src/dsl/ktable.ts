import type { KeyValue } from '../key-value.ts'
import type { KeyValueMapper, Predicate, ValueJoiner, ValueMapper } from './functions.ts'
import type { Grouped } from './grouped.ts'
import type { KGroupedTable } from './kgrouped-table.ts'
import type { KStream } from './kstream.ts'
import type { Materialized } from './materialized.ts'
import type { Named } from './named.ts'
import type { Suppressed } from './suppressed.ts'

/**
 * A changelog stream seen as a table: one current value per key, as Kafka Streams' `KTable`. A `null` value is a
 * tombstone that deletes its key. Downstream operators receive every update (with caching off) or at most one
 * update per key per commit (with caching on).
 */
export interface KTable<K, V> {
  /** Name of the queryable store, when the table is materialized under a name. */
  readonly queryableStoreName: string | undefined
  filter(predicate: Predicate<K, V>, named?: Named, materialized?: Materialized<K, V>): KTable<K, V>
  filterNot(predicate: Predicate<K, V>, named?: Named, materialized?: Materialized<K, V>): KTable<K, V>
  mapValues<VR>(mapper: ValueMapper<K, V, VR>, named?: Named, materialized?: Materialized<K, VR>): KTable<K, VR>
  mapValues<VR>(mapper: ValueMapper<K, V, VR>, materialized: Materialized<K, VR>): KTable<K, VR>
  /** The update stream; a deletion becomes a record with a `null` value. */
  // The mapper overload comes first: a function has a `name` too, so it would also match `Named`.
  toStream<KR>(mapper: KeyValueMapper<K, V, KR>, named?: Named): KStream<KR, V>
  toStream(named?: Named): KStream<K, V>
  groupBy<KR, VR>(selector: KeyValueMapper<K, V, KeyValue<KR, VR>>, grouped?: Grouped<KR, VR>): KGroupedTable<KR, VR>
  /**
   * Holds updates back and emits them later: the final result of each window (`Suppressed.untilWindowCloses`,
   * windowed tables only), or a key's latest update once its time limit passed (`Suppressed.untilTimeLimit`).
   * Time is the stream time seen by this node, never wall-clock time.
   */
  suppress(suppressed: Suppressed): KTable<K, V>
  /**
   * Inner join on equal keys: an update of either table is joined with the other table's current value; a
   * deletion emits a tombstone when a result existed. Both tables must be co-partitioned. Tables that are not
   * materialized are materialized as needed (sources), or read through their parents (filter, mapValues).
   * The result is materialized only when `materialized` is given.
   */
  join<VO, VR>(
    other: KTable<K, VO>,
    joiner: ValueJoiner<V, VO, VR>,
    named?: Named,
    materialized?: Materialized<K, VR>
  ): KTable<K, VR>
  join<VO, VR>(other: KTable<K, VO>, joiner: ValueJoiner<V, VO, VR>, materialized: Materialized<K, VR>): KTable<K, VR>
  /** Left join: every update of this table produces a result; the other value is `null` when absent. */
  leftJoin<VO, VR>(
    other: KTable<K, VO>,
    joiner: ValueJoiner<V, VO | null, VR>,
    named?: Named,
    materialized?: Materialized<K, VR>
  ): KTable<K, VR>
  leftJoin<VO, VR>(
    other: KTable<K, VO>,
    joiner: ValueJoiner<V, VO | null, VR>,
    materialized: Materialized<K, VR>
  ): KTable<K, VR>
  /** Outer join: an update of either table produces a result; the missing side is `null`. */
  outerJoin<VO, VR>(
    other: KTable<K, VO>,
    joiner: ValueJoiner<V | null, VO | null, VR>,
    named?: Named,
    materialized?: Materialized<K, VR>
  ): KTable<K, VR>
  outerJoin<VO, VR>(
    other: KTable<K, VO>,
    joiner: ValueJoiner<V | null, VO | null, VR>,
    materialized: Materialized<K, VR>
  ): KTable<K, VR>
}
