import { StreamsError } from '../errors.ts'
import type { KeyValue } from '../key-value.ts'
import type { Serde } from '../serdes/serde.ts'
import type { ProcessorSupplier } from '../processor/processor.ts'
import { Consumed } from './consumed.ts'
import type { FlatKeyValueMapper, ForeachAction, KeyValueMapper, Predicate, ValueMapper } from './functions.ts'
import { Grouped } from './grouped.ts'
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
import { createRepartitionedSource } from './internals/repartition.ts'
import { KGroupedStreamImpl } from './internals/kgrouped-stream-impl.ts'
import { KTableImpl } from './internals/ktable-impl.ts'

void Consumed

type AnySupplier = ProcessorSupplier<unknown, unknown, unknown, unknown>

function nameOr (builder: InternalStreamsBuilder, named: Named | undefined, prefix: string): string {
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

  /** @internal */
  constructor (name: string, keySerde: Serde<K> | undefined, valueSerde: Serde<V> | undefined, repartitionRequired: boolean, graphNode: GraphNode, builder: InternalStreamsBuilder) {
    this.name = name
    this.keySerde = keySerde
    this.valueSerde = valueSerde
    this.repartitionRequired = repartitionRequired
    this.graphNode = graphNode
    this.builder = builder
  }

  #addProcessor (name: string, supplier: AnySupplier, keyChanging = false): GraphNode {
    const node = new GraphNode(name, (b, parents) => b.addProcessor(name, supplier, parents))
    node.keyChangingOperation = keyChanging
    this.builder.addGraphNode(this.graphNode, node)
    return node
  }

  #next<KR, VR> (name: string, supplier: AnySupplier, keySerde: Serde<KR> | undefined, valueSerde: Serde<VR> | undefined, repartitionRequired: boolean): KStream<KR, VR> {
    const node = this.#addProcessor(name, supplier, repartitionRequired && !this.repartitionRequired)
    return new KStream(name, keySerde, valueSerde, repartitionRequired, node, this.builder)
  }

  filter (predicate: Predicate<K, V>, named?: Named): KStream<K, V> {
    const name = nameOr(this.builder, named, 'KSTREAM-FILTER-')
    return this.#next(name, kstreamFilter(predicate, false), this.keySerde, this.valueSerde, this.repartitionRequired)
  }

  filterNot (predicate: Predicate<K, V>, named?: Named): KStream<K, V> {
    const name = nameOr(this.builder, named, 'KSTREAM-FILTER-')
    return this.#next(name, kstreamFilter(predicate, true), this.keySerde, this.valueSerde, this.repartitionRequired)
  }

  selectKey<KR> (mapper: KeyValueMapper<K, V, KR>, named?: Named): KStream<KR, V> {
    const name = nameOr(this.builder, named, 'KSTREAM-KEY-SELECT-')
    return this.#next(name, kstreamSelectKey(mapper), undefined, this.valueSerde, true)
  }

  map<KR, VR> (mapper: KeyValueMapper<K, V, KeyValue<KR, VR>>, named?: Named): KStream<KR, VR> {
    const name = nameOr(this.builder, named, 'KSTREAM-MAP-')
    return this.#next(name, kstreamMap(mapper), undefined, undefined, true)
  }

  mapValues<VR> (mapper: ValueMapper<K, V, VR>, named?: Named): KStream<K, VR> {
    const name = nameOr(this.builder, named, 'KSTREAM-MAPVALUES-')
    return this.#next(name, kstreamMapValues(mapper), this.keySerde, undefined, this.repartitionRequired)
  }

  flatMap<KR, VR> (mapper: FlatKeyValueMapper<K, V, KR, VR>, named?: Named): KStream<KR, VR> {
    const name = nameOr(this.builder, named, 'KSTREAM-FLATMAP-')
    return this.#next(name, kstreamFlatMap(mapper), undefined, undefined, true)
  }

  flatMapValues<VR> (mapper: ValueMapper<K, V, Iterable<VR>>, named?: Named): KStream<K, VR> {
    const name = nameOr(this.builder, named, 'KSTREAM-FLATMAPVALUES-')
    return this.#next(name, kstreamFlatMapValues(mapper), this.keySerde, undefined, this.repartitionRequired)
  }

  peek (action: ForeachAction<K, V>, named?: Named): KStream<K, V> {
    const name = nameOr(this.builder, named, 'KSTREAM-PEEK-')
    return this.#next(name, kstreamPeek(action), this.keySerde, this.valueSerde, this.repartitionRequired)
  }

  foreach (action: ForeachAction<K, V>, named?: Named): void {
    const name = nameOr(this.builder, named, 'KSTREAM-FOREACH-')
    this.#addProcessor(name, kstreamForeach(action))
  }

  /** Runs a custom processor (Processor API) on each record; `stateStoreNames` must already be in the topology. */
  process<KR, VR> (supplier: ProcessorSupplier<K, V, KR, VR>, named?: Named, ...stateStoreNames: string[]): KStream<KR, VR> {
    const name = nameOr(this.builder, named, 'KSTREAM-PROCESSOR-')
    const node = new GraphNode(name, (b, parents) => {
      b.addProcessor(name, supplier as AnySupplier, parents)
      for (const s of stateStoreNames) b.connectProcessorAndStateStore(name, s)
    })
    node.keyChangingOperation = true
    this.builder.addGraphNode(this.graphNode, node)
    return new KStream<KR, VR>(name, undefined, undefined, true, node, this.builder)
  }

  merge (other: KStream<K, V>, named?: Named): KStream<K, V> {
    const name = nameOr(this.builder, named, 'KSTREAM-MERGE-')
    const node = new GraphNode(name, (b, parents) => b.addProcessor(name, kstreamPassThrough(), parents))
    this.builder.addGraphNode([this.graphNode, other.graphNode], node)
    return new KStream(name, undefined, undefined, this.repartitionRequired || other.repartitionRequired, node, this.builder)
  }

  /** Splits the stream by predicates; each record goes to the first matching branch. */
  split (named?: Named): BranchedKStream<K, V> {
    const name = nameOr(this.builder, named, 'KSTREAM-BRANCH-')
    return new BranchedKStream(this, name)
  }

  to (topic: string, produced: Produced<K, V> = Produced.with(this.keySerde, this.valueSerde)): void {
    const name = nameOr(this.builder, produced.name === undefined ? undefined : Named.as(produced.name), 'KSTREAM-SINK-')
    const keySerde = produced.keySerde ?? this.keySerde
    const valueSerde = produced.valueSerde ?? this.valueSerde
    const node = new GraphNode(name, (b, parents) =>
      b.addSink(name, topic, parents, keySerde as Serde<unknown>, valueSerde as Serde<unknown>, produced.partitioner as never)
    )
    this.builder.addGraphNode(this.graphNode, node)
  }

  repartition (repartitioned: Repartitioned<K, V> = Repartitioned.with<K, V>()): KStream<K, V> {
    const name = repartitioned.name ?? this.builder.newProcessorName('KSTREAM-REPARTITION-')
    const keySerde = repartitioned.keySerde ?? this.keySerde
    const valueSerde = repartitioned.valueSerde ?? this.valueSerde
    const r = createRepartitionedSource(this.builder, keySerde as Serde<unknown>, valueSerde as Serde<unknown>, name, repartitioned.partitioner as never, repartitioned.numberOfPartitions)
    this.builder.addGraphNode(this.graphNode, r.node)
    return new KStream(r.sourceName, keySerde, valueSerde, false, r.node, this.builder)
  }

  toTable (named?: Named, materialized: Materialized<K, V> = Materialized.with(this.keySerde, this.valueSerde)): KTable<K, V> {
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

  groupByKey (grouped: Grouped<K, V> = Grouped.with(this.keySerde, this.valueSerde)): KGroupedStream<K, V> {
    return new KGroupedStreamImpl(this.name, grouped.keySerde ?? this.keySerde, grouped.valueSerde ?? this.valueSerde, grouped.name, this.repartitionRequired, this.graphNode, this.builder)
  }

  groupBy<KR> (keySelector: KeyValueMapper<K, V, KR>, grouped: Grouped<KR, V> = Grouped.with<KR, V>(undefined, this.valueSerde)): KGroupedStream<KR, V> {
    const name = this.builder.nameOrGenerate(grouped.name, 'KSTREAM-KEY-SELECT-')
    const node = this.#addProcessor(name, kstreamSelectKey(keySelector), true)
    return new KGroupedStreamImpl<KR, V>(name, grouped.keySerde, grouped.valueSerde ?? this.valueSerde, grouped.name, true, node, this.builder)
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

  constructor (source: KStream<K, V>, splitName: string) {
    this.#source = source
    this.#splitName = splitName
    this.#node = new GraphNode(splitName, (b, parents) =>
      b.addProcessor(splitName, kstreamBranch(this.#predicates, this.#childNames, this.#defaultName), parents)
    )
    source.builder.addGraphNode(source.graphNode, this.#node)
  }

  #child (branchName: string | undefined, index: number): KStream<K, V> {
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
  branch (predicate: Predicate<K, V>, name?: string): this {
    const index = this.#predicates.length + 1
    const child = this.#child(name, index)
    this.#predicates.push(predicate)
    this.#childNames.push(child.name)
    return this
  }

  /** Adds the branch for records no predicate matched, and returns every branch by name. */
  defaultBranch (name?: string): Map<string, KStream<K, V>> {
    const child = this.#child(name, 0)
    this.#defaultName = child.name
    return this.#branches
  }

  noDefaultBranch (): Map<string, KStream<K, V>> {
    return this.#branches
  }
}

export function checkSerde (what: string, serde: unknown): void {
  if (serde === undefined) throw new StreamsError('TOPOLOGY_INVALID', `${what}: no serde given and no default configured`)
}
