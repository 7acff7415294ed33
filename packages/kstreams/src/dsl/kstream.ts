import { StreamsError } from '../errors.ts'
import type { KeyValue } from '../key-value.ts'
import type { Serde } from '../serdes/serde.ts'
import type { ProcessorSupplier } from '../processor/processor.ts'
import type {
  FlatKeyValueMapper,
  ForeachAction,
  KeyValueMapper,
  Predicate,
  ValueJoiner,
  ValueMapper
} from './functions.ts'
import { Grouped } from './grouped.ts'
import { JoinWindows } from './join-windows.ts'
import { Joined } from './joined.ts'
import { StreamJoined } from './stream-joined.ts'
import type { KGroupedStream } from './kgrouped-stream.ts'
import type { KTable } from './ktable.ts'
import { Materialized } from './materialized.ts'
import { Named } from './named.ts'
import { Produced } from './produced.ts'
import { Repartitioned } from './repartitioned.ts'
import { GraphNode } from './internals/graph.ts'
import type { InternalStreamsBuilder } from './internals/graph.ts'
import {
  kstreamBranch,
  kstreamFilter,
  kstreamFlatMap,
  kstreamFlatMapValues,
  kstreamForeach,
  kstreamMap,
  kstreamMapValues,
  kstreamPassThrough,
  kstreamPeek,
  kstreamSelectKey
} from './internals/kstream-stateless.ts'
import { KTableSourceSupplier } from './internals/ktable-source.ts'
import { keyValueStoreBuilder, materializedInternal } from './internals/materialize.ts'
import { createRepartitionedSource, repartitionNodes } from './internals/repartition.ts'
import { markMergeNode, markValueChanging } from './internals/optimizer.ts'
import { KGroupedStreamImpl } from './internals/kgrouped-stream-impl.ts'
import { KTableImpl } from './internals/ktable-impl.ts'
import { kstreamKTableJoin } from './internals/kstream-ktable-join.ts'
import {
  joinWindowStoreBuilder,
  kstreamJoinWindow,
  outerJoinStoreBuilder,
  StreamStreamJoin
} from './internals/kstream-kstream-join.ts'
import { copartitionUpstreamSources } from './internals/ktable-value-getter.ts'
import type { KTableValueGetterSupplier } from './internals/ktable-value-getter.ts'
import { Stores } from '../state/stores.ts'
import type { WindowBytesStoreSupplier } from '../state/store-supplier.ts'

type AnySupplier = ProcessorSupplier<unknown, unknown, unknown, unknown>

function nameOr(builder: InternalStreamsBuilder, named: Named | undefined, prefix: string): string {
  return builder.nameOrGenerate(named?.name, prefix)
}

/**
 * A record stream, as Kafka Streams' `KStream`. Operators return new streams; nothing runs until the topology is
 * built and started. Key-changing operators (map, selectKey, flatMap, groupBy) mark the stream so that a later
 * grouping or join first writes it through a repartition topic.
 */
export class KStream<K, V> {
  /** @internal */ readonly name: string
  /** @internal */ readonly keySerde: Serde<K> | undefined
  /** @internal */ readonly valueSerde: Serde<V> | undefined
  /** @internal */ readonly repartitionRequired: boolean
  /** @internal */ readonly graphNode: GraphNode
  /** @internal */ readonly builder: InternalStreamsBuilder
  #repartitionNode: GraphNode | null = null

  /** @internal */
  constructor(
    name: string,
    keySerde: Serde<K> | undefined,
    valueSerde: Serde<V> | undefined,
    repartitionRequired: boolean,
    graphNode: GraphNode,
    builder: InternalStreamsBuilder
  ) {
    this.name = name
    this.keySerde = keySerde
    this.valueSerde = valueSerde
    this.repartitionRequired = repartitionRequired
    this.graphNode = graphNode
    this.builder = builder
  }

  #addProcessor(name: string, supplier: AnySupplier, keyChanging = false): GraphNode {
    const node = new GraphNode(name, (b, parents) => b.addProcessor(name, supplier, parents))
    node.keyChangingOperation = keyChanging
    this.builder.addGraphNode(this.graphNode, node)
    return node
  }

  #next<KR, VR>(
    name: string,
    supplier: AnySupplier,
    keySerde: Serde<KR> | undefined,
    valueSerde: Serde<VR> | undefined,
    repartitionRequired: boolean
  ): KStream<KR, VR> {
    const node = this.#addProcessor(name, supplier, repartitionRequired && !this.repartitionRequired)
    return new KStream(name, keySerde, valueSerde, repartitionRequired, node, this.builder)
  }

  filter(predicate: Predicate<K, V>, named?: Named): KStream<K, V> {
    const name = nameOr(this.builder, named, 'KSTREAM-FILTER-')
    return this.#next(name, kstreamFilter(predicate, false), this.keySerde, this.valueSerde, this.repartitionRequired)
  }

  filterNot(predicate: Predicate<K, V>, named?: Named): KStream<K, V> {
    const name = nameOr(this.builder, named, 'KSTREAM-FILTER-')
    return this.#next(name, kstreamFilter(predicate, true), this.keySerde, this.valueSerde, this.repartitionRequired)
  }

  selectKey<KR>(mapper: KeyValueMapper<K, V, KR>, named?: Named): KStream<KR, V> {
    const name = nameOr(this.builder, named, 'KSTREAM-KEY-SELECT-')
    return this.#next(name, kstreamSelectKey(mapper), undefined, this.valueSerde, true)
  }

  map<KR, VR>(mapper: KeyValueMapper<K, V, KeyValue<KR, VR>>, named?: Named): KStream<KR, VR> {
    const name = nameOr(this.builder, named, 'KSTREAM-MAP-')
    return this.#next(name, kstreamMap(mapper), undefined, undefined, true)
  }

  mapValues<VR>(mapper: ValueMapper<K, V, VR>, named?: Named): KStream<K, VR> {
    const name = nameOr(this.builder, named, 'KSTREAM-MAPVALUES-')
    const stream = this.#next<K, VR>(name, kstreamMapValues(mapper), this.keySerde, undefined, this.repartitionRequired)
    markValueChanging(stream.graphNode)
    return stream
  }

  flatMap<KR, VR>(mapper: FlatKeyValueMapper<K, V, KR, VR>, named?: Named): KStream<KR, VR> {
    const name = nameOr(this.builder, named, 'KSTREAM-FLATMAP-')
    return this.#next(name, kstreamFlatMap(mapper), undefined, undefined, true)
  }

  flatMapValues<VR>(mapper: ValueMapper<K, V, Iterable<VR>>, named?: Named): KStream<K, VR> {
    const name = nameOr(this.builder, named, 'KSTREAM-FLATMAPVALUES-')
    const stream = this.#next<K, VR>(
      name,
      kstreamFlatMapValues(mapper),
      this.keySerde,
      undefined,
      this.repartitionRequired
    )
    markValueChanging(stream.graphNode)
    return stream
  }

  peek(action: ForeachAction<K, V>, named?: Named): KStream<K, V> {
    const name = nameOr(this.builder, named, 'KSTREAM-PEEK-')
    return this.#next(name, kstreamPeek(action), this.keySerde, this.valueSerde, this.repartitionRequired)
  }

  foreach(action: ForeachAction<K, V>, named?: Named): void {
    const name = nameOr(this.builder, named, 'KSTREAM-FOREACH-')
    this.#addProcessor(name, kstreamForeach(action))
  }

  /** Runs a custom processor (Processor API) on each record; `stateStoreNames` must already be in the topology. */
  process<KR, VR>(
    supplier: ProcessorSupplier<K, V, KR, VR>,
    named?: Named,
    ...stateStoreNames: string[]
  ): KStream<KR, VR> {
    const name = nameOr(this.builder, named, 'KSTREAM-PROCESSOR-')
    const node = new GraphNode(name, (b, parents) => {
      b.addProcessor(name, supplier as AnySupplier, parents)
      for (const s of stateStoreNames) b.connectProcessorAndStateStore(name, s)
    })
    node.keyChangingOperation = true
    this.builder.addGraphNode(this.graphNode, node)
    return new KStream<KR, VR>(name, undefined, undefined, true, node, this.builder)
  }

  merge(other: KStream<K, V>, named?: Named): KStream<K, V> {
    const name = nameOr(this.builder, named, 'KSTREAM-MERGE-')
    const node = new GraphNode(name, (b, parents) => b.addProcessor(name, kstreamPassThrough(), parents))
    this.builder.addGraphNode([this.graphNode, other.graphNode], node)
    markMergeNode(node)
    return new KStream(
      name,
      undefined,
      undefined,
      this.repartitionRequired || other.repartitionRequired,
      node,
      this.builder
    )
  }

  /** Splits the stream by predicates; each record goes to the first matching branch. */
  split(named?: Named): BranchedKStream<K, V> {
    const name = nameOr(this.builder, named, 'KSTREAM-BRANCH-')
    return new BranchedKStream(this, name)
  }

  to(topic: string, produced: Produced<K, V> = Produced.with(this.keySerde, this.valueSerde)): void {
    const name = nameOr(
      this.builder,
      produced.name === undefined ? undefined : Named.as(produced.name),
      'KSTREAM-SINK-'
    )
    const keySerde = produced.keySerde ?? this.keySerde
    const valueSerde = produced.valueSerde ?? this.valueSerde
    const node = new GraphNode(name, (b, parents) =>
      b.addSink(
        name,
        topic,
        parents,
        keySerde as Serde<unknown>,
        valueSerde as Serde<unknown>,
        produced.partitioner as never
      )
    )
    this.builder.addGraphNode(this.graphNode, node)
  }

  repartition(repartitioned: Repartitioned<K, V> = Repartitioned.with<K, V>()): KStream<K, V> {
    const name = repartitioned.name ?? this.builder.newProcessorName('KSTREAM-REPARTITION-')
    const keySerde = repartitioned.keySerde ?? this.keySerde
    const valueSerde = repartitioned.valueSerde ?? this.valueSerde
    const r = createRepartitionedSource(
      this.builder,
      keySerde as Serde<unknown>,
      valueSerde as Serde<unknown>,
      name,
      repartitioned.partitioner as never,
      repartitioned.numberOfPartitions
    )
    // An explicit repartition is never merged by topology.optimization (Kafka Streams' UnoptimizableRepartitionNode).
    const info = repartitionNodes.get(r.node)
    if (info !== undefined) info.optimizable = false
    this.builder.addGraphNode(this.graphNode, r.node)
    return new KStream(r.sourceName, keySerde, valueSerde, false, r.node, this.builder)
  }

  toTable(
    named?: Named,
    materialized: Materialized<K, V> = Materialized.with(this.keySerde, this.valueSerde)
  ): KTable<K, V> {
    const name = nameOr(this.builder, named, 'KSTREAM-TOTABLE-')
    const mi = materializedInternal(materialized, this.builder, 'KSTREAM-TOTABLE-')
    const keySerde = mi.keySerde ?? this.keySerde
    const valueSerde = mi.valueSerde ?? this.valueSerde
    let parent = this.graphNode
    if (this.repartitionRequired) {
      const r = createRepartitionedSource(this.builder, keySerde as Serde<unknown>, valueSerde as Serde<unknown>, name)
      this.builder.addGraphNode(this.graphNode, r.node)
      parent = r.node
    }
    const source = new KTableSourceSupplier<K, V>(mi.storeName, mi.queryable ? mi.storeName : undefined)
    const node = new GraphNode(name, (b, parents) => {
      b.addProcessor(name, source.supplier, parents)
      if (source.materialized) b.addStateStore(keyValueStoreBuilder(mi, keySerde, valueSerde), [name])
    })
    this.builder.addGraphNode(parent, node)
    return new KTableImpl(name, keySerde, valueSerde, source, node, this.builder)
  }

  /**
   * Joins each record with the table's current value for its key (inner: records without a table value are
   * dropped; records with a null key or value are dropped and counted). With `windows`, joins with the other
   * stream's records whose timestamps lie within the join window instead. A stream whose key was changed is
   * first repartitioned (topic `<Joined/StreamJoined name, else the stream's name>-repartition`).
   */
  join<VO, VR>(table: KTable<K, VO>, joiner: ValueJoiner<V, VO, VR>, joined?: Joined<K, V, VO>): KStream<K, VR>
  join<VO, VR>(
    otherStream: KStream<K, VO>,
    joiner: ValueJoiner<V, VO, VR>,
    windows: JoinWindows,
    streamJoined?: StreamJoined<K, V, VO>
  ): KStream<K, VR>
  join<VO, VR>(
    other: KTable<K, VO> | KStream<K, VO>,
    joiner: ValueJoiner<V, VO, VR>,
    options?: Joined<K, V, VO> | JoinWindows,
    streamJoined?: StreamJoined<K, V, VO>
  ): KStream<K, VR> {
    return this.#join(other, joiner, options, streamJoined, false, false)
  }

  /**
   * As `join`, but every record of this stream produces a result: the table value (or, windowed, the other
   * stream's value) is `null` when there is none. A windowed left join emits a record without a match only once
   * its window has closed (stream time > its timestamp + after + grace). A null-key record is joined with null.
   */
  leftJoin<VO, VR>(
    table: KTable<K, VO>,
    joiner: ValueJoiner<V, VO | null, VR>,
    joined?: Joined<K, V, VO>
  ): KStream<K, VR>
  leftJoin<VO, VR>(
    otherStream: KStream<K, VO>,
    joiner: ValueJoiner<V, VO | null, VR>,
    windows: JoinWindows,
    streamJoined?: StreamJoined<K, V, VO>
  ): KStream<K, VR>
  leftJoin<VO, VR>(
    other: KTable<K, VO> | KStream<K, VO>,
    joiner: ValueJoiner<V, VO | null, VR>,
    options?: Joined<K, V, VO> | JoinWindows,
    streamJoined?: StreamJoined<K, V, VO>
  ): KStream<K, VR> {
    return this.#join(other, joiner as ValueJoiner<V, VO, VR>, options, streamJoined, true, false)
  }

  /** Windowed outer join: unmatched records of either stream are emitted joined with `null` once their window closes. */
  outerJoin<VO, VR>(
    otherStream: KStream<K, VO>,
    joiner: ValueJoiner<V | null, VO | null, VR>,
    windows: JoinWindows,
    streamJoined?: StreamJoined<K, V, VO>
  ): KStream<K, VR> {
    return this.#join(otherStream, joiner as ValueJoiner<V, VO, VR>, windows, streamJoined, true, true)
  }

  #join<VO, VR>(
    other: KTable<K, VO> | KStream<K, VO>,
    joiner: ValueJoiner<V, VO, VR>,
    options: Joined<K, V, VO> | JoinWindows | undefined,
    streamJoined: StreamJoined<K, V, VO> | undefined,
    leftOuter: boolean,
    rightOuter: boolean
  ): KStream<K, VR> {
    if (other instanceof KStream) {
      if (!(options instanceof JoinWindows)) {
        throw new StreamsError('TOPOLOGY_INVALID', 'a stream-stream join needs JoinWindows')
      }
      return this.#streamStreamJoin(
        other,
        joiner,
        options,
        streamJoined ?? StreamJoined.with<K, V, VO>(),
        leftOuter,
        rightOuter
      )
    }
    if (options instanceof JoinWindows) {
      throw new StreamsError('TOPOLOGY_INVALID', 'a stream-table join takes Joined, not JoinWindows')
    }
    const joined = options ?? Joined.with<K, V, VO>()
    const stream = this.repartitionRequired
      ? this.#repartitionForJoin(joined.name ?? this.name, joined.keySerde, joined.valueSerde)
      : this
    return stream.#streamTableJoin(other as KTableImpl<K, VO>, joiner, joined, leftOuter)
  }

  /** Writes this stream through a repartition topic so that it is partitioned by its (new) key before a join. */
  #repartitionForJoin(
    repartitionName: string,
    keySerde: Serde<K> | undefined,
    valueSerde: Serde<V> | undefined
  ): KStream<K, V> {
    const k = keySerde ?? this.keySerde
    const v = valueSerde ?? this.valueSerde
    // Names are allocated every time (index compatibility); the topic is shared by joins of the same stream.
    const r = createRepartitionedSource(this.builder, k as Serde<unknown>, v as Serde<unknown>, repartitionName)
    if (this.#repartitionNode === null || this.name !== repartitionName) {
      this.#repartitionNode = r.node
      this.builder.addGraphNode(this.graphNode, r.node)
    }
    return new KStream(this.#repartitionNode.nodeName, k, v, false, this.#repartitionNode, this.builder)
  }

  #streamTableJoin<VO, VR>(
    table: KTableImpl<K, VO>,
    joiner: ValueJoiner<V, VO, VR>,
    joined: Joined<K, V, VO>,
    leftJoin: boolean
  ): KStream<K, VR> {
    const name = this.builder.nameOrGenerate(joined.name, leftJoin ? 'KSTREAM-LEFTJOIN-' : 'KSTREAM-JOIN-')
    // Reading the table by key materializes a source table that had no store.
    const getter = table.valueGetterSupplier() as KTableValueGetterSupplier<unknown, unknown>
    const supplier = kstreamKTableJoin(getter, joiner as ValueJoiner<unknown, unknown, unknown>, leftJoin)
    const node = new GraphNode(name, (b, parents) => {
      b.addProcessor(name, supplier, parents)
      for (const s of getter.storeNames()) b.connectProcessorAndStateStore(name, s)
      // The table side: the processor that writes each store the join reads (its first user).
      copartitionUpstreamSources(b, [
        name,
        ...getter.storeNames().flatMap((s) => b.stateFactories.get(s)?.users.slice(0, 1) ?? [])
      ])
    })
    this.builder.addGraphNode(this.graphNode, node)
    return new KStream<K, VR>(name, joined.keySerde ?? this.keySerde, undefined, false, node, this.builder)
  }

  #streamStreamJoin<VO, VR>(
    otherStream: KStream<K, VO>,
    joiner: ValueJoiner<V, VO, VR>,
    windows: JoinWindows,
    sj: StreamJoined<K, V, VO>,
    leftOuter: boolean,
    rightOuter: boolean
  ): KStream<K, VR> {
    const b = this.builder
    const name = sj.name
    const left = this.repartitionRequired
      ? this.#repartitionForJoin(name !== undefined ? `${name}-left` : this.name, sj.keySerde, sj.valueSerde)
      : this
    const right = otherStream.repartitionRequired
      ? otherStream.#repartitionForJoin(
          name !== undefined ? `${name}-right` : otherStream.name,
          sj.keySerde,
          sj.otherValueSerde
        )
      : otherStream
    const thisSuffix = rightOuter ? '-outer-this-join' : '-this-join'
    const otherSuffix = leftOuter ? '-outer-other-join' : '-other-join'
    const thisWindowedName = b.suffixOrGenerate(name, '-this-windowed', 'KSTREAM-WINDOWED-')
    const otherWindowedName = b.suffixOrGenerate(name, '-other-windowed', 'KSTREAM-WINDOWED-')
    const thisGenerated = b.newProcessorName(rightOuter ? 'KSTREAM-OUTERTHIS-' : 'KSTREAM-JOINTHIS-')
    const otherGenerated = b.newProcessorName(leftOuter ? 'KSTREAM-OUTEROTHER-' : 'KSTREAM-JOINOTHER-')
    const thisName = name !== undefined ? name + thisSuffix : thisGenerated
    const otherName = name !== undefined ? name + otherSuffix : otherGenerated
    const mergeName = b.suffixOrGenerate(name, '-merge', 'KSTREAM-MERGE-')

    const size = windows.size()
    const retention = size + windows.gracePeriodMs()
    const checkSupplier = (s: WindowBytesStoreSupplier): WindowBytesStoreSupplier => {
      if (!s.retainDuplicates) {
        throw new StreamsError(
          'TOPOLOGY_INVALID',
          'The StoreSupplier must set retainDuplicates=true, found retainDuplicates=false'
        )
      }
      if (s.retentionPeriod !== retention || s.windowSize !== size) {
        throw new StreamsError(
          'TOPOLOGY_INVALID',
          `Window settings mismatch. WindowBytesStoreSupplier ${s.name} (retention ${s.retentionPeriod}, window size ${s.windowSize}) must match the JoinWindows (size ${size}, retention ${retention})`
        )
      }
      return s
    }
    if (
      sj.thisStoreSupplier !== undefined &&
      sj.otherStoreSupplier !== undefined &&
      sj.thisStoreSupplier.name === sj.otherStoreSupplier.name
    ) {
      throw new StreamsError(
        'TOPOLOGY_INVALID',
        'Both StoreSuppliers have the same name.  StoreSuppliers must provide unique names'
      )
    }
    const thisSupplier =
      sj.thisStoreSupplier !== undefined
        ? checkSupplier(sj.thisStoreSupplier)
        : Stores.inMemoryWindowStore(
            `${sj.storeName === undefined ? thisGenerated : sj.storeName + thisSuffix}-store`,
            retention,
            size,
            true
          )
    const otherSupplier =
      sj.otherStoreSupplier !== undefined
        ? checkSupplier(sj.otherStoreSupplier)
        : Stores.inMemoryWindowStore(
            `${sj.storeName === undefined ? otherGenerated : sj.storeName + otherSuffix}-store`,
            retention,
            size,
            true
          )
    let sharedName: string | undefined
    if (leftOuter) {
      const outerSuffix = rightOuter ? '-outer-shared-join' : '-left-shared-join'
      if (sj.thisStoreSupplier !== undefined && sj.thisStoreSupplier.name !== '') {
        sharedName = sj.thisStoreSupplier.name + outerSuffix
      } else if (sj.storeName !== undefined) sharedName = sj.storeName + outerSuffix
      else {
        sharedName =
          'KSTREAM-OUTERSHARED-' + thisGenerated.slice((rightOuter ? 'KSTREAM-OUTERTHIS-' : 'KSTREAM-JOINTHIS-').length)
      }
      sharedName += '-store'
    }

    const keySerde = sj.keySerde as Serde<unknown>
    const valueSerde = sj.valueSerde as Serde<unknown>
    const otherValueSerde = sj.otherValueSerde as Serde<unknown>
    const thisStore = joinWindowStoreBuilder(thisSupplier, keySerde, valueSerde, sj.loggingEnabled, sj.topicConfig)
    const otherStore = joinWindowStoreBuilder(
      otherSupplier,
      keySerde,
      otherValueSerde,
      sj.loggingEnabled,
      sj.topicConfig
    )
    const sharedStore =
      sharedName === undefined
        ? undefined
        : outerJoinStoreBuilder(sharedName, keySerde, valueSerde, otherValueSerde, sj.loggingEnabled, sj.topicConfig)

    const thisWindowedNode = new GraphNode(thisWindowedName, (tb, parents) =>
      tb.addProcessor(thisWindowedName, kstreamJoinWindow(thisSupplier.name), parents)
    )
    b.addGraphNode(left.graphNode, thisWindowedNode)
    const otherWindowedNode = new GraphNode(otherWindowedName, (tb, parents) =>
      tb.addProcessor(otherWindowedName, kstreamJoinWindow(otherSupplier.name), parents)
    )
    b.addGraphNode(right.graphNode, otherWindowedNode)

    const j = joiner as ValueJoiner<unknown, unknown, unknown>
    const join = new StreamStreamJoin(windows.beforeMs, windows.afterMs)
    const common = {
      beforeMs: windows.beforeMs,
      afterMs: windows.afterMs,
      graceMs: windows.gracePeriodMs(),
      sharedStoreName: sharedName
    }
    const joinThis = join.side({
      ...common,
      leftSide: true,
      otherStoreName: otherSupplier.name,
      outer: leftOuter,
      joiner: j
    })
    const joinOther = join.side({
      ...common,
      leftSide: false,
      otherStoreName: thisSupplier.name,
      outer: rightOuter,
      joiner: (v2, v1) => j(v1, v2)
    })
    const node = new GraphNode(mergeName, (tb) => {
      tb.addProcessor(thisName, joinThis, [thisWindowedName])
      tb.addProcessor(otherName, joinOther, [otherWindowedName])
      tb.addProcessor(mergeName, kstreamPassThrough(), [thisName, otherName])
      tb.addStateStore(thisStore, [thisWindowedName, otherName])
      tb.addStateStore(otherStore, [otherWindowedName, thisName])
      if (sharedStore !== undefined) tb.addStateStore(sharedStore, [thisName, otherName])
      copartitionUpstreamSources(tb, [thisName, otherName])
    })
    b.addGraphNode([thisWindowedNode, otherWindowedNode], node)
    return new KStream<K, VR>(mergeName, sj.keySerde, undefined, false, node, b)
  }

  groupByKey(grouped: Grouped<K, V> = Grouped.with(this.keySerde, this.valueSerde)): KGroupedStream<K, V> {
    return new KGroupedStreamImpl(
      this.name,
      grouped.keySerde ?? this.keySerde,
      grouped.valueSerde ?? this.valueSerde,
      grouped.name,
      this.repartitionRequired,
      this.graphNode,
      this.builder
    )
  }

  groupBy<KR>(
    keySelector: KeyValueMapper<K, V, KR>,
    grouped: Grouped<KR, V> = Grouped.with<KR, V>(undefined, this.valueSerde)
  ): KGroupedStream<KR, V> {
    const name = this.builder.nameOrGenerate(grouped.name, 'KSTREAM-KEY-SELECT-')
    const node = this.#addProcessor(name, kstreamSelectKey(keySelector), true)
    return new KGroupedStreamImpl<KR, V>(
      name,
      grouped.keySerde,
      grouped.valueSerde ?? this.valueSerde,
      grouped.name,
      true,
      node,
      this.builder
    )
  }
}

/** Builds the branches of `KStream.split()`, as Kafka Streams' `BranchedKStream`. */
export class BranchedKStream<K, V> {
  readonly #source: KStream<K, V>
  readonly #splitName: string
  readonly #predicates: Array<Predicate<K, V>> = []
  readonly #childNames: string[] = []
  readonly #branches = new Map<string, KStream<K, V>>()
  #defaultName: string | undefined
  readonly #node: GraphNode

  constructor(source: KStream<K, V>, splitName: string) {
    this.#source = source
    this.#splitName = splitName
    this.#node = new GraphNode(splitName, (b, parents) =>
      b.addProcessor(splitName, kstreamBranch(this.#predicates, this.#childNames, this.#defaultName), parents)
    )
    source.builder.addGraphNode(source.graphNode, this.#node)
  }

  #child(branchName: string | undefined, index: number): KStream<K, V> {
    const name = branchName !== undefined ? this.#splitName + branchName : this.#splitName + String(index)
    // Kafka Streams burns a counter value per branch; the names that follow depend on it.
    this.#source.builder.newProcessorName('KSTREAM-BRANCHCHILD-')
    const node = new GraphNode(name, (b, parents) => b.addProcessor(name, kstreamPassThrough(), parents))
    const s = this.#source
    s.builder.addGraphNode(this.#node, node)
    const stream = new KStream<K, V>(name, s.keySerde, s.valueSerde, s.repartitionRequired, node, s.builder)
    this.#branches.set(name, stream)
    return stream
  }

  /** Adds a branch for records matching `predicate`; `name` is appended to the split's name. */
  branch(predicate: Predicate<K, V>, name?: string): this {
    const index = this.#predicates.length + 1
    const child = this.#child(name, index)
    this.#predicates.push(predicate)
    this.#childNames.push(child.name)
    return this
  }

  /** Adds the branch for records no predicate matched, and returns every branch by name. */
  defaultBranch(name?: string): Map<string, KStream<K, V>> {
    const child = this.#child(name, 0)
    this.#defaultName = child.name
    return this.#branches
  }

  noDefaultBranch(): Map<string, KStream<K, V>> {
    return this.#branches
  }
}

export function checkSerde(what: string, serde: unknown): void {
  if (serde === undefined) {
    throw new StreamsError('TOPOLOGY_INVALID', `${what}: no serde given and no default configured`)
  }
}
