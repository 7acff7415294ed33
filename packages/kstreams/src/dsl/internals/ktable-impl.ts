import type { KeyValue } from '../../key-value.ts'
import type { Serde } from '../../serdes/serde.ts'
import type { KeyValueMapper, Predicate, ValueMapper } from '../functions.ts'
import type { Grouped } from '../grouped.ts'
import type { KGroupedTable } from '../kgrouped-table.ts'
import { KStream } from '../kstream.ts'
import type { KTable } from '../ktable.ts'
import { Materialized } from '../materialized.ts'
import type { Named } from '../named.ts'
import { GraphNode } from './graph.ts'
import type { InternalStreamsBuilder } from './graph.ts'
import type { Change } from './change.ts'
import { kstreamMapValues } from './kstream-stateless.ts'
import type { KTableProcessorSupplier } from './ktable-processor-supplier.ts'
import { ktableRepartitionMap } from './ktable-repartition-map.ts'
import { KTableTransformSupplier } from './ktable-transform.ts'
import type { TableTransform } from './ktable-transform.ts'
import { keyValueStoreBuilder, materializedInternal } from './materialize.ts'
import { KGroupedTableImpl } from './kgrouped-table-impl.ts'

export class KTableImpl<K, V> implements KTable<K, V> {
  readonly name: string
  readonly keySerde: Serde<K> | undefined
  readonly valueSerde: Serde<V> | undefined
  readonly processorSupplier: KTableProcessorSupplier
  readonly graphNode: GraphNode
  readonly builder: InternalStreamsBuilder

  constructor (name: string, keySerde: Serde<K> | undefined, valueSerde: Serde<V> | undefined, processorSupplier: KTableProcessorSupplier, graphNode: GraphNode, builder: InternalStreamsBuilder) {
    this.name = name
    this.keySerde = keySerde
    this.valueSerde = valueSerde
    this.processorSupplier = processorSupplier
    this.graphNode = graphNode
    this.builder = builder
  }

  get queryableStoreName (): string | undefined {
    return this.processorSupplier.storeName
  }

  #transform<VR> (prefix: string, transform: TableTransform<K, V, VR>, named: Named | undefined, materialized: Materialized<K, VR> | undefined, keepValueSerde: boolean): KTable<K, VR> {
    const mi = materialized === undefined ? undefined : materializedInternal(materialized, this.builder, prefix)
    const name = this.builder.nameOrGenerate(named?.name, prefix)
    const keySerde = mi?.keySerde ?? this.keySerde
    const valueSerde = mi?.valueSerde ?? (keepValueSerde ? (this.valueSerde as unknown as Serde<VR>) : undefined)
    const queryable = mi !== undefined && mi.queryable ? mi.storeName : undefined
    const supplier = new KTableTransformSupplier(this.processorSupplier, transform, queryable)
    // A filter asks for old values when they come for free (materialized parent), so it can skip tombstones for
    // keys it never emitted, as Kafka Streams 4.3 does (scenario table-filter-source-materialized).
    if (transform.kind === 'filter') supplier.enableSendingOldValues(false)
    const node = new GraphNode(name, (b, parents) => {
      b.addProcessor(name, supplier.supplier, parents)
      if (queryable !== undefined && mi !== undefined) b.addStateStore(keyValueStoreBuilder(mi, keySerde, valueSerde), [name])
    })
    this.builder.addGraphNode(this.graphNode, node)
    return new KTableImpl<K, VR>(name, keySerde, valueSerde, supplier, node, this.builder)
  }

  filter (predicate: Predicate<K, V>, named?: Named, materialized?: Materialized<K, V>): KTable<K, V> {
    return this.#transform('KTABLE-FILTER-', { kind: 'filter', predicate, filterNot: false }, named, materialized, true)
  }

  filterNot (predicate: Predicate<K, V>, named?: Named, materialized?: Materialized<K, V>): KTable<K, V> {
    return this.#transform('KTABLE-FILTER-', { kind: 'filter', predicate, filterNot: true }, named, materialized, true)
  }

  mapValues<VR> (mapper: ValueMapper<K, V, VR>, namedOrMaterialized?: Named | Materialized<K, VR>, materialized?: Materialized<K, VR>): KTable<K, VR> {
    const named = namedOrMaterialized instanceof Materialized ? undefined : namedOrMaterialized
    const m = namedOrMaterialized instanceof Materialized ? namedOrMaterialized : materialized
    return this.#transform<VR>('KTABLE-MAPVALUES-', { kind: 'mapValues', mapper }, named, m, false)
  }

  toStream (named?: Named): KStream<K, V>
  toStream<KR> (mapper: KeyValueMapper<K, V, KR>, named?: Named): KStream<KR, V>
  toStream<KR> (a?: Named | KeyValueMapper<K, V, KR>, b?: Named): KStream<K, V> | KStream<KR, V> {
    const named = typeof a === 'function' ? b : a
    const name = this.builder.nameOrGenerate(named?.name, 'KTABLE-TOSTREAM-')
    const supplier = kstreamMapValues<K, Change<V>, V | null>((change) => change.newValue)
    const node = new GraphNode(name, (bld, parents) => bld.addProcessor(name, supplier, parents))
    this.builder.addGraphNode(this.graphNode, node)
    const stream = new KStream<K, V>(name, this.keySerde, this.valueSerde, false, node, this.builder)
    return typeof a === 'function' ? stream.selectKey(a as KeyValueMapper<K, V, KR>) : stream
  }

  groupBy<KR, VR> (selector: KeyValueMapper<K, V, KeyValue<KR, VR>>, grouped?: Grouped<KR, VR>): KGroupedTable<KR, VR> {
    const name = this.builder.nameOrGenerate(grouped?.name, 'KTABLE-SELECT-')
    const node = new GraphNode(name, (b, parents) => b.addProcessor(name, ktableRepartitionMap(selector), parents))
    this.builder.addGraphNode(this.graphNode, node)
    this.processorSupplier.enableSendingOldValues(true)
    return new KGroupedTableImpl<KR, VR>(name, grouped?.keySerde, grouped?.valueSerde, grouped?.name, node, this.builder)
  }
}
