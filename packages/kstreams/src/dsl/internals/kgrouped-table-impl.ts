import { repartitionTopicName } from '../../internals/names.ts'
import { Serdes } from '../../serdes/serdes.ts'
import type { Serde } from '../../serdes/serde.ts'
import type { Aggregator, Initializer, Reducer } from '../functions.ts'
import type { KGroupedTable } from '../kgrouped-table.ts'
import type { KTable } from '../ktable.ts'
import { Materialized } from '../materialized.ts'
import type { Named } from '../named.ts'
import { ChangeSerde } from './change-serde.ts'
import { GraphNode } from './graph.ts'
import type { InternalStreamsBuilder } from './graph.ts'
import { KTableAggregateSupplier } from './ktable-aggregate.ts'
import { KTableImpl } from './ktable-impl.ts'
import { keyValueStoreBuilder, materializedInternal } from './materialize.ts'
import type { MaterializedInternal } from './materialize.ts'

export class KGroupedTableImpl<K, V> implements KGroupedTable<K, V> {
  readonly #keySerde: Serde<K> | undefined
  readonly #valueSerde: Serde<V> | undefined
  readonly #repartitionName: string | undefined
  readonly #graphNode: GraphNode
  readonly #builder: InternalStreamsBuilder
  #repartitionNode: GraphNode | null = null

  constructor(
    _name: string,
    keySerde: Serde<K> | undefined,
    valueSerde: Serde<V> | undefined,
    repartitionName: string | undefined,
    graphNode: GraphNode,
    builder: InternalStreamsBuilder
  ) {
    this.#keySerde = keySerde
    this.#valueSerde = valueSerde
    this.#repartitionName = repartitionName
    this.#graphNode = graphNode
    this.#builder = builder
  }

  #doAggregate<VA>(
    supplier: KTableAggregateSupplier<K, V, VA>,
    named: Named | undefined,
    prefix: string,
    mi: MaterializedInternal<K, VA>
  ): KTable<K, VA> {
    const b = this.#builder
    const sinkName = b.suffixOrGenerate(named?.name, '-sink', 'KSTREAM-SINK-')
    const sourceName = b.suffixOrGenerate(named?.name, '-source', 'KSTREAM-SOURCE-')
    const funcName = b.nameOrGenerate(named?.name, prefix)
    const topic = repartitionTopicName(this.#repartitionName ?? mi.storeName)
    if (this.#repartitionNode === null || this.#repartitionName === undefined) {
      const changeSerde = this.#valueSerde === undefined ? undefined : new ChangeSerde(this.#valueSerde)
      const keySerde = this.#keySerde
      this.#repartitionNode = new GraphNode(sourceName, (tb, parents) => {
        tb.addSink(sinkName, topic, parents, keySerde as Serde<unknown>, changeSerde as Serde<unknown>)
        tb.addRepartitionTopic(topic)
        tb.addSource(sourceName, [topic], keySerde as Serde<unknown>, changeSerde as Serde<unknown>)
      })
    }
    const repartition = this.#repartitionNode
    b.addGraphNode(this.#graphNode, repartition)
    const keySerde = mi.keySerde ?? this.#keySerde
    const valueSerde = mi.valueSerde
    const node = new GraphNode(funcName, (tb, parents) => {
      tb.addProcessor(funcName, supplier.supplier, parents)
      tb.addStateStore(keyValueStoreBuilder(mi, keySerde, valueSerde), [funcName])
    })
    b.addGraphNode(repartition, node)
    return new KTableImpl<K, VA>(funcName, keySerde, valueSerde, supplier, node, b)
  }

  count(
    materialized: Materialized<K, bigint> = Materialized.with<K, bigint>(this.#keySerde, Serdes.Long()),
    named?: Named
  ): KTable<K, bigint> {
    const mi = materializedInternal(materialized, this.#builder, 'KTABLE-AGGREGATE-')
    mi.keySerde ??= this.#keySerde
    mi.valueSerde ??= Serdes.Long()
    const supplier = new KTableAggregateSupplier<K, V, bigint>(
      mi.storeName,
      () => 0n,
      (_k, _v, agg) => agg + 1n,
      (_k, _v, agg) => agg - 1n
    )
    return this.#doAggregate(supplier, named, 'KTABLE-AGGREGATE-', mi)
  }

  reduce(
    adder: Reducer<V>,
    subtractor: Reducer<V>,
    materialized: Materialized<K, V> = Materialized.with(this.#keySerde, this.#valueSerde),
    named?: Named
  ): KTable<K, V> {
    const mi = materializedInternal(materialized, this.#builder, 'KTABLE-AGGREGATE-')
    mi.keySerde ??= this.#keySerde
    mi.valueSerde ??= this.#valueSerde
    const supplier = new KTableAggregateSupplier<K, V, V>(
      mi.storeName,
      null,
      (_k, v, agg) => adder(agg, v),
      (_k, v, agg) => subtractor(agg, v)
    )
    return this.#doAggregate(supplier, named, 'KTABLE-REDUCE-', mi)
  }

  aggregate<VA>(
    initializer: Initializer<VA>,
    adder: Aggregator<K, V, VA>,
    subtractor: Aggregator<K, V, VA>,
    materialized: Materialized<K, VA> = Materialized.with<K, VA>(this.#keySerde),
    named?: Named
  ): KTable<K, VA> {
    const mi = materializedInternal(materialized, this.#builder, 'KTABLE-AGGREGATE-')
    mi.keySerde ??= this.#keySerde
    const supplier = new KTableAggregateSupplier<K, V, VA>(mi.storeName, initializer, adder, subtractor)
    return this.#doAggregate(supplier, named, 'KTABLE-AGGREGATE-', mi)
  }
}
