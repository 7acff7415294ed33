import type { KeyValue } from '../../key-value.ts'
import type { Serde } from '../../serdes/serde.ts'
import type { KeyValueMapper, Predicate, ValueJoiner, ValueMapper } from '../functions.ts'
import type { Grouped } from '../grouped.ts'
import type { KGroupedTable } from '../kgrouped-table.ts'
import { KStream } from '../kstream.ts'
import type { KTable } from '../ktable.ts'
import { Materialized } from '../materialized.ts'
import { Named } from '../named.ts'
import { GraphNode } from './graph.ts'
import type { InternalStreamsBuilder } from './graph.ts'
import type { Change } from './change.ts'
import { kstreamMapValues } from './kstream-stateless.ts'
import type { KTableProcessorSupplier } from './ktable-processor-supplier.ts'
import { ktableRepartitionMap } from './ktable-repartition-map.ts'
import { KTableTransformSupplier } from './ktable-transform.ts'
import type { TableTransform } from './ktable-transform.ts'
import { keyValueStoreBuilder, materializedInternal } from './materialize.ts'
import { KTableKTableJoinMerger, KTableKTableJoinSupplier } from './ktable-ktable-join.ts'
import type { TableJoinKind } from './ktable-ktable-join.ts'
import { copartitionUpstreamSources, valueGetterSupplierOf } from './ktable-value-getter.ts'
import { KTableSuppressSupplier, suppressBufferBuilder } from './ktable-suppress.ts'
import type { Suppressed } from '../suppressed.ts'
import { StreamsError } from '../../errors.ts'
import type { KTableValueGetterSupplier } from './ktable-value-getter.ts'
import { KGroupedTableImpl } from './kgrouped-table-impl.ts'

// Which table operator each graph node holds, so suppress can find the windowed aggregation upstream.
const suppliersByNode = new WeakMap<GraphNode, KTableProcessorSupplier>()

/** The close delay of the nearest windowed aggregation upstream (Kafka Streams' findAndVerifyWindowGrace). */
function windowCloseDelay(node: GraphNode, chain: string): number {
  const here = chain === '' ? node.nodeName : `${node.nodeName}->${chain}`
  if (node.parents.length === 0) {
    throw new StreamsError(
      'TOPOLOGY_INVALID',
      `Window close time is only defined for windowed computations. Got [${here}].`
    )
  }
  const delay = suppliersByNode.get(node)?.windowCloseDelayMs
  if (delay !== undefined) return delay
  return Math.min(...node.parents.map((p) => windowCloseDelay(p, here)))
}

export class KTableImpl<K, V> implements KTable<K, V> {
  readonly name: string
  readonly keySerde: Serde<K> | undefined
  readonly valueSerde: Serde<V> | undefined
  readonly processorSupplier: KTableProcessorSupplier
  readonly graphNode: GraphNode
  readonly builder: InternalStreamsBuilder

  constructor(
    name: string,
    keySerde: Serde<K> | undefined,
    valueSerde: Serde<V> | undefined,
    processorSupplier: KTableProcessorSupplier,
    graphNode: GraphNode,
    builder: InternalStreamsBuilder
  ) {
    this.name = name
    this.keySerde = keySerde
    this.valueSerde = valueSerde
    this.processorSupplier = processorSupplier
    this.graphNode = graphNode
    this.builder = builder
    suppliersByNode.set(graphNode, processorSupplier)
  }

  get queryableStoreName(): string | undefined {
    return this.processorSupplier.storeName
  }

  #transform<VR>(
    prefix: string,
    transform: TableTransform<K, V, VR>,
    named: Named | undefined,
    materialized: Materialized<K, VR> | undefined,
    keepValueSerde: boolean
  ): KTable<K, VR> {
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
      if (queryable !== undefined && mi !== undefined) {
        b.addStateStore(keyValueStoreBuilder(mi, keySerde, valueSerde), [name])
      }
    })
    this.builder.addGraphNode(this.graphNode, node)
    return new KTableImpl<K, VR>(name, keySerde, valueSerde, supplier, node, this.builder)
  }

  filter(predicate: Predicate<K, V>, named?: Named, materialized?: Materialized<K, V>): KTable<K, V> {
    return this.#transform('KTABLE-FILTER-', { kind: 'filter', predicate, filterNot: false }, named, materialized, true)
  }

  filterNot(predicate: Predicate<K, V>, named?: Named, materialized?: Materialized<K, V>): KTable<K, V> {
    return this.#transform('KTABLE-FILTER-', { kind: 'filter', predicate, filterNot: true }, named, materialized, true)
  }

  mapValues<VR>(
    mapper: ValueMapper<K, V, VR>,
    namedOrMaterialized?: Named | Materialized<K, VR>,
    materialized?: Materialized<K, VR>
  ): KTable<K, VR> {
    const named = namedOrMaterialized instanceof Materialized ? undefined : namedOrMaterialized
    const m = namedOrMaterialized instanceof Materialized ? namedOrMaterialized : materialized
    return this.#transform<VR>('KTABLE-MAPVALUES-', { kind: 'mapValues', mapper }, named, m, false)
  }

  // The mapper overload comes first: a function has a `name` too, so it would also match `Named`.
  toStream<KR>(mapper: KeyValueMapper<K, V, KR>, named?: Named): KStream<KR, V>
  toStream(named?: Named): KStream<K, V>
  toStream<KR>(a?: Named | KeyValueMapper<K, V, KR>, b?: Named): KStream<K, V> | KStream<KR, V> {
    const named = typeof a === 'function' ? b : a
    const name = this.builder.nameOrGenerate(named?.name, 'KTABLE-TOSTREAM-')
    const supplier = kstreamMapValues<K, Change<V>, V | null>((change) => change.newValue)
    const node = new GraphNode(name, (bld, parents) => bld.addProcessor(name, supplier, parents))
    this.builder.addGraphNode(this.graphNode, node)
    const stream = new KStream<K, V>(name, this.keySerde, this.valueSerde, false, node, this.builder)
    return typeof a === 'function' ? stream.selectKey(a as KeyValueMapper<K, V, KR>) : stream
  }

  suppress(suppressed: Suppressed): KTable<K, V> {
    const b = this.builder
    // A given name burns no counter value here (unlike most operators), as in Kafka Streams.
    const name = suppressed.name ?? b.newProcessorName('KTABLE-SUPPRESS-')
    const durationMs =
      suppressed.kind === 'windowCloses' ? windowCloseDelay(this.graphNode, '') : suppressed.timeLimitMs
    const storeName = suppressed.name !== undefined ? `${suppressed.name}-store` : b.newStoreName('KTABLE-SUPPRESS-')
    const supplier = new KTableSuppressSupplier(this.processorSupplier, storeName, suppressed, durationMs)
    const keySerde = this.keySerde as Serde<unknown> | undefined
    const valueSerde = this.valueSerde as Serde<unknown> | undefined
    const node = new GraphNode(name, (tb, parents) => {
      tb.addProcessor(name, supplier.supplier, parents)
      tb.addStateStore(suppressBufferBuilder(storeName, keySerde, valueSerde, suppressed), [name])
    })
    b.addGraphNode(this.graphNode, node)
    return new KTableImpl<K, V>(name, this.keySerde, this.valueSerde, supplier, node, b)
  }

  /** How joins read this table by key; a source table gets materialized by this, as in Kafka Streams. */
  valueGetterSupplier(): KTableValueGetterSupplier<K, V> {
    return valueGetterSupplierOf<K, V>(this.processorSupplier)
  }

  join<VO, VR>(
    other: KTable<K, VO>,
    joiner: ValueJoiner<V, VO, VR>,
    named?: Named | Materialized<K, VR>,
    materialized?: Materialized<K, VR>
  ): KTable<K, VR> {
    return this.#doJoin(other, joiner, named, materialized, false, false)
  }

  leftJoin<VO, VR>(
    other: KTable<K, VO>,
    joiner: ValueJoiner<V, VO | null, VR>,
    named?: Named | Materialized<K, VR>,
    materialized?: Materialized<K, VR>
  ): KTable<K, VR> {
    return this.#doJoin(other, joiner as ValueJoiner<V, VO, VR>, named, materialized, true, false)
  }

  outerJoin<VO, VR>(
    other: KTable<K, VO>,
    joiner: ValueJoiner<V | null, VO | null, VR>,
    named?: Named | Materialized<K, VR>,
    materialized?: Materialized<K, VR>
  ): KTable<K, VR> {
    return this.#doJoin(other, joiner as ValueJoiner<V, VO, VR>, named, materialized, true, true)
  }

  #doJoin<VO, VR>(
    otherTable: KTable<K, VO>,
    joiner: ValueJoiner<V, VO, VR>,
    namedOrMaterialized: Named | Materialized<K, VR> | undefined,
    materialized: Materialized<K, VR> | undefined,
    leftOuter: boolean,
    rightOuter: boolean
  ): KTable<K, VR> {
    const other = otherTable as KTableImpl<K, VO>
    const named = namedOrMaterialized instanceof Named ? namedOrMaterialized : undefined
    const m = namedOrMaterialized instanceof Materialized ? namedOrMaterialized : materialized
    const b = this.builder
    // Kafka Streams allocates the result store's name (burning an index when unnamed) before the processor names.
    const mi = m === undefined ? undefined : materializedInternal(m, b, 'KTABLE-MERGE-')
    const mergeName = b.nameOrGenerate(named?.name, 'KTABLE-MERGE-')
    if (leftOuter) this.processorSupplier.enableSendingOldValues(true)
    if (rightOuter) other.processorSupplier.enableSendingOldValues(true)
    const thisGetter = this.valueGetterSupplier() as KTableValueGetterSupplier<unknown, unknown>
    const otherGetter = other.valueGetterSupplier() as KTableValueGetterSupplier<unknown, unknown>
    const thisKind: TableJoinKind = !leftOuter ? 'inner' : !rightOuter ? 'left' : 'outer'
    const otherKind: TableJoinKind = !leftOuter ? 'inner' : !rightOuter ? 'right' : 'outer'
    const j = joiner as ValueJoiner<unknown, unknown, unknown>
    const joinThis = new KTableKTableJoinSupplier(
      thisKind,
      this.processorSupplier,
      other.processorSupplier,
      thisGetter,
      otherGetter,
      j
    )
    const joinOther = new KTableKTableJoinSupplier(
      otherKind,
      other.processorSupplier,
      this.processorSupplier,
      otherGetter,
      thisGetter,
      (v2, v1) => j(v1, v2)
    )
    const thisName = b.suffixOrGenerate(named?.name, '-join-this', 'KTABLE-JOINTHIS-')
    const otherName = b.suffixOrGenerate(named?.name, '-join-other', 'KTABLE-JOINOTHER-')
    const keySerde = mi?.keySerde ?? this.keySerde
    const valueSerde = mi?.valueSerde
    // A Materialized always gives the join its own store, even without a name (it is just not queryable then).
    const merger = new KTableKTableJoinMerger(joinThis, joinOther, mi?.storeName)
    const thisSide = this.name
    const otherSide = other.name
    const node = new GraphNode(mergeName, (tb) => {
      tb.addProcessor(thisName, joinThis.supplier, [thisSide])
      tb.addProcessor(otherName, joinOther.supplier, [otherSide])
      tb.addProcessor(mergeName, merger.supplier, [thisName, otherName])
      for (const s of otherGetter.storeNames()) tb.connectProcessorAndStateStore(thisName, s)
      for (const s of thisGetter.storeNames()) tb.connectProcessorAndStateStore(otherName, s)
      if (mi !== undefined) tb.addStateStore(keyValueStoreBuilder(mi, keySerde, valueSerde), [mergeName])
      copartitionUpstreamSources(tb, [thisName, otherName])
    })
    b.addGraphNode([this.graphNode, other.graphNode], node)
    return new KTableImpl<K, VR>(mergeName, keySerde, valueSerde, merger, node, b)
  }

  groupBy<KR, VR>(selector: KeyValueMapper<K, V, KeyValue<KR, VR>>, grouped?: Grouped<KR, VR>): KGroupedTable<KR, VR> {
    const name = this.builder.nameOrGenerate(grouped?.name, 'KTABLE-SELECT-')
    const node = new GraphNode(name, (b, parents) => b.addProcessor(name, ktableRepartitionMap(selector), parents))
    this.builder.addGraphNode(this.graphNode, node)
    this.processorSupplier.enableSendingOldValues(true)
    return new KGroupedTableImpl<KR, VR>(
      name,
      grouped?.keySerde,
      grouped?.valueSerde,
      grouped?.name,
      node,
      this.builder
    )
  }
}
