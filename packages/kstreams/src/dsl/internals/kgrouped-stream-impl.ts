import { StreamsError } from '../../errors.ts'
import { Serdes } from '../../serdes/serdes.ts'
import type { Serde } from '../../serdes/serde.ts'
import type { Aggregator, Initializer, Merger, Reducer } from '../functions.ts'
import type { KGroupedStream } from '../kgrouped-stream.ts'
import type { KTable } from '../ktable.ts'
import { Materialized } from '../materialized.ts'
import type { Named } from '../named.ts'
import type { SessionWindowedKStream } from '../session-windowed-kstream.ts'
import type { TimeWindowedKStream } from '../time-windowed-kstream.ts'
import type { Windowed } from '../windowed.ts'
import { SessionWindows, SlidingWindows, TimeWindows } from '../windows.ts'
import { GraphNode } from './graph.ts'
import type { InternalStreamsBuilder } from './graph.ts'
import { KStreamAggregateSupplier } from './kstream-aggregate.ts'
import { KStreamSessionWindowAggregateSupplier } from './kstream-session-window-aggregate.ts'
import { KStreamSlidingWindowAggregateSupplier } from './kstream-sliding-window-aggregate.ts'
import { KStreamWindowAggregateSupplier } from './kstream-window-aggregate.ts'
import type { KTableProcessorSupplier } from './ktable-processor-supplier.ts'
import { KTableImpl } from './ktable-impl.ts'
import { keyValueStoreBuilder, materializedInternal, sessionStoreBuilder, windowStoreBuilder } from './materialize.ts'
import type { MaterializedInternal } from './materialize.ts'
import { createRepartitionedSource } from './repartition.ts'
import { sessionWindowedSerde, timeWindowedSerde } from './windowed-serdes.ts'
import type { StoreBuilder } from '../../state/store-builder.ts'
import type { StateStore } from '../../state/state-store.ts'

/** Shared by grouped and windowed streams: inserts the repartition topic when needed, then the aggregate. */
class AggregateBuilder<K, V> {
  readonly keySerde: Serde<K> | undefined
  readonly valueSerde: Serde<V> | undefined
  readonly builder: InternalStreamsBuilder
  readonly #repartitionName: string | undefined
  readonly #repartitionRequired: boolean
  readonly #graphNode: GraphNode
  #repartitionNode: GraphNode | null = null

  constructor(
    keySerde: Serde<K> | undefined,
    valueSerde: Serde<V> | undefined,
    repartitionName: string | undefined,
    repartitionRequired: boolean,
    graphNode: GraphNode,
    builder: InternalStreamsBuilder
  ) {
    this.keySerde = keySerde
    this.valueSerde = valueSerde
    this.#repartitionName = repartitionName
    this.#repartitionRequired = repartitionRequired
    this.#graphNode = graphNode
    this.builder = builder
  }

  build<KR, VA>(
    name: string,
    storeName: string,
    store: () => StoreBuilder<StateStore>,
    supplier: KTableProcessorSupplier,
    keySerde: Serde<KR> | undefined,
    valueSerde: Serde<VA> | undefined
  ): KTableImpl<KR, VA> {
    let parent = this.#graphNode
    if (this.#repartitionRequired) {
      const r = createRepartitionedSource(
        this.builder,
        this.keySerde as Serde<unknown>,
        this.valueSerde as Serde<unknown>,
        this.#repartitionName ?? storeName
      )
      if (this.#repartitionNode === null || this.#repartitionName === undefined) this.#repartitionNode = r.node
      this.builder.addGraphNode(parent, this.#repartitionNode)
      parent = this.#repartitionNode
    }
    const node = new GraphNode(name, (b, parents) => {
      b.addProcessor(name, supplier.supplier, parents)
      b.addStateStore(store(), [name])
    })
    this.builder.addGraphNode(parent, node)
    return new KTableImpl<KR, VA>(name, keySerde, valueSerde, supplier, node, this.builder)
  }
}

export class KGroupedStreamImpl<K, V> implements KGroupedStream<K, V> {
  readonly #agg: AggregateBuilder<K, V>

  constructor(
    _name: string,
    keySerde: Serde<K> | undefined,
    valueSerde: Serde<V> | undefined,
    repartitionName: string | undefined,
    repartitionRequired: boolean,
    graphNode: GraphNode,
    builder: InternalStreamsBuilder
  ) {
    this.#agg = new AggregateBuilder(keySerde, valueSerde, repartitionName, repartitionRequired, graphNode, builder)
  }

  #kv<VA>(name: string, mi: MaterializedInternal<K, VA>, supplier: KTableProcessorSupplier): KTable<K, VA> {
    const keySerde = mi.keySerde ?? this.#agg.keySerde
    return this.#agg.build<K, VA>(
      name,
      mi.storeName,
      () => keyValueStoreBuilder(mi, keySerde, mi.valueSerde),
      supplier,
      keySerde,
      mi.valueSerde
    )
  }

  count(materialized?: Materialized<K, bigint>, named?: Named): KTable<K, bigint> {
    const b = this.#agg.builder
    // Kafka Streams burns a store name here when a Materialized without a name is passed.
    if (materialized !== undefined && materialized.storeName === undefined) b.newStoreName('KSTREAM-AGGREGATE-')
    const mi = materializedInternal(
      materialized ?? Materialized.with<K, bigint>(this.#agg.keySerde, Serdes.Long()),
      b,
      'KSTREAM-AGGREGATE-'
    )
    mi.valueSerde ??= Serdes.Long()
    const name = b.nameOrGenerate(named?.name, 'KSTREAM-AGGREGATE-')
    return this.#kv(
      name,
      mi,
      new KStreamAggregateSupplier<K, V, bigint>(mi.storeName, {
        kind: 'aggregate',
        initializer: () => 0n,
        aggregator: (_k, _v, agg) => agg + 1n
      })
    )
  }

  reduce(reducer: Reducer<V>, materialized?: Materialized<K, V>, named?: Named): KTable<K, V> {
    const b = this.#agg.builder
    const mi = materializedInternal(
      materialized ?? Materialized.with(this.#agg.keySerde, this.#agg.valueSerde),
      b,
      'KSTREAM-REDUCE-'
    )
    mi.valueSerde ??= this.#agg.valueSerde
    const name = b.nameOrGenerate(named?.name, 'KSTREAM-REDUCE-')
    return this.#kv(name, mi, new KStreamAggregateSupplier<K, V, V>(mi.storeName, { kind: 'reduce', reducer }))
  }

  aggregate<VA>(
    initializer: Initializer<VA>,
    aggregator: Aggregator<K, V, VA>,
    materialized?: Materialized<K, VA>,
    named?: Named
  ): KTable<K, VA> {
    const b = this.#agg.builder
    const mi = materializedInternal(
      materialized ?? Materialized.with<K, VA>(this.#agg.keySerde),
      b,
      'KSTREAM-AGGREGATE-'
    )
    const name = b.nameOrGenerate(named?.name, 'KSTREAM-AGGREGATE-')
    return this.#kv(
      name,
      mi,
      new KStreamAggregateSupplier<K, V, VA>(mi.storeName, { kind: 'aggregate', initializer, aggregator })
    )
  }

  windowedBy(windows: TimeWindows | SlidingWindows): TimeWindowedKStream<K, V>
  windowedBy(windows: SessionWindows): SessionWindowedKStream<K, V>
  windowedBy(
    windows: TimeWindows | SlidingWindows | SessionWindows
  ): TimeWindowedKStream<K, V> | SessionWindowedKStream<K, V> {
    if (windows instanceof TimeWindows) return new TimeWindowedKStreamImpl(this.#agg, windows)
    if (windows instanceof SlidingWindows) return new SlidingWindowedKStreamImpl(this.#agg, windows)
    if (windows instanceof SessionWindows) return new SessionWindowedKStreamImpl(this.#agg, windows)
    throw new StreamsError('TOPOLOGY_INVALID', 'windowedBy takes TimeWindows, SlidingWindows or SessionWindows')
  }
}

// Reduce as an aggregate whose initial aggregate is null and whose first value becomes the aggregate.
function reduceAggregator<K, V>(reducer: Reducer<V>): Aggregator<K, V, V> {
  return (_k, v, agg) => (agg === null ? v : reducer(agg, v))
}

/**
 * count/reduce/aggregate of time-based windowed streams (tumbling, hopping, sliding): the same naming and serde
 * defaults; subclasses say how the windows are built.
 */
abstract class WindowedAggregations<K, V> implements TimeWindowedKStream<K, V> {
  protected readonly agg: AggregateBuilder<K, V>
  /** Kafka Streams burns an extra store name in `count(Materialized)` without a name for time windows, not sliding ones. */
  protected abstract readonly burnsStoreNameOnCount: boolean

  constructor(agg: AggregateBuilder<K, V>) {
    this.agg = agg
  }

  protected abstract build<VA>(
    name: string,
    mi: MaterializedInternal<K, VA>,
    initializer: Initializer<VA>,
    aggregator: Aggregator<K, V, VA>
  ): KTable<Windowed<K>, VA>

  count(materialized?: Materialized<K, bigint>, named?: Named): KTable<Windowed<K>, bigint> {
    const b = this.agg.builder
    if (this.burnsStoreNameOnCount && materialized !== undefined && materialized.storeName === undefined) {
      b.newStoreName('KSTREAM-AGGREGATE-')
    }
    const mi = materializedInternal(
      materialized ?? Materialized.with<K, bigint>(this.agg.keySerde, Serdes.Long()),
      b,
      'KSTREAM-AGGREGATE-'
    )
    mi.valueSerde ??= Serdes.Long()
    const name = b.nameOrGenerate(named?.name, 'KSTREAM-AGGREGATE-')
    return this.build(
      name,
      mi,
      () => 0n,
      (_k, _v, agg) => agg + 1n
    )
  }

  reduce(reducer: Reducer<V>, materialized?: Materialized<K, V>, named?: Named): KTable<Windowed<K>, V> {
    const b = this.agg.builder
    const mi = materializedInternal(
      materialized ?? Materialized.with(this.agg.keySerde, this.agg.valueSerde),
      b,
      'KSTREAM-REDUCE-'
    )
    mi.valueSerde ??= this.agg.valueSerde
    const name = b.nameOrGenerate(named?.name, 'KSTREAM-REDUCE-')
    return this.build<V>(name, mi, () => null as unknown as V, reduceAggregator(reducer))
  }

  aggregate<VA>(
    initializer: Initializer<VA>,
    aggregator: Aggregator<K, V, VA>,
    materialized?: Materialized<K, VA>,
    named?: Named
  ): KTable<Windowed<K>, VA> {
    const b = this.agg.builder
    const mi = materializedInternal(
      materialized ?? Materialized.with<K, VA>(this.agg.keySerde),
      b,
      'KSTREAM-AGGREGATE-'
    )
    const name = b.nameOrGenerate(named?.name, 'KSTREAM-AGGREGATE-')
    return this.build(name, mi, initializer, aggregator)
  }
}

class TimeWindowedKStreamImpl<K, V> extends WindowedAggregations<K, V> {
  protected readonly burnsStoreNameOnCount = true
  readonly #windows: TimeWindows

  constructor(agg: AggregateBuilder<K, V>, windows: TimeWindows) {
    super(agg)
    this.#windows = windows
  }

  protected build<VA>(
    name: string,
    mi: MaterializedInternal<K, VA>,
    initializer: Initializer<VA>,
    aggregator: Aggregator<K, V, VA>
  ): KTable<Windowed<K>, VA> {
    const w = this.#windows
    const retention = mi.materialized?.retentionMs ?? w.sizeMs + w.graceMs
    if (retention < w.sizeMs + w.graceMs) {
      throw new StreamsError(
        'TOPOLOGY_INVALID',
        `The retention period of the window store ${mi.storeName} must be no smaller than its window size plus the grace period. Got size=[${w.sizeMs}], grace=[${w.graceMs}], retention=[${retention}]`
      )
    }
    const keySerde = mi.keySerde ?? this.agg.keySerde
    const supplier = new KStreamWindowAggregateSupplier<K, V, VA>(mi.storeName, w, initializer, aggregator)
    const tableKeySerde = keySerde === undefined ? undefined : timeWindowedSerde(keySerde, w.sizeMs)
    return this.agg.build<Windowed<K>, VA>(
      name,
      mi.storeName,
      () => windowStoreBuilder(mi, keySerde as Serde<K>, mi.valueSerde as Serde<VA>, retention, w.sizeMs),
      supplier,
      tableKeySerde,
      mi.valueSerde
    )
  }
}

class SlidingWindowedKStreamImpl<K, V> extends WindowedAggregations<K, V> {
  protected readonly burnsStoreNameOnCount = false
  readonly #windows: SlidingWindows

  constructor(agg: AggregateBuilder<K, V>, windows: SlidingWindows) {
    super(agg)
    this.#windows = windows
  }

  protected build<VA>(
    name: string,
    mi: MaterializedInternal<K, VA>,
    initializer: Initializer<VA>,
    aggregator: Aggregator<K, V, VA>
  ): KTable<Windowed<K>, VA> {
    const w = this.#windows
    // Windows as far back as two time differences are read to create the right windows of earlier records.
    const retention = mi.materialized?.retentionMs ?? 2 * w.timeDifferenceMs + w.graceMs
    if (retention < 2 * w.timeDifferenceMs + w.graceMs) {
      throw new StreamsError(
        'TOPOLOGY_INVALID',
        `The retention period of the window store ${mi.storeName} must be no smaller than 2 * time difference plus the grace period. Got time difference=[${w.timeDifferenceMs}], grace=[${w.graceMs}], retention=[${retention}]`
      )
    }
    const keySerde = mi.keySerde ?? this.agg.keySerde
    const supplier = new KStreamSlidingWindowAggregateSupplier<K, V, VA>(mi.storeName, w, initializer, aggregator)
    const tableKeySerde = keySerde === undefined ? undefined : timeWindowedSerde(keySerde, w.timeDifferenceMs)
    return this.agg.build<Windowed<K>, VA>(
      name,
      mi.storeName,
      () => windowStoreBuilder(mi, keySerde as Serde<K>, mi.valueSerde as Serde<VA>, retention, w.timeDifferenceMs),
      supplier,
      tableKeySerde,
      mi.valueSerde
    )
  }
}

class SessionWindowedKStreamImpl<K, V> implements SessionWindowedKStream<K, V> {
  readonly #agg: AggregateBuilder<K, V>
  readonly #windows: SessionWindows

  constructor(agg: AggregateBuilder<K, V>, windows: SessionWindows) {
    this.#agg = agg
    this.#windows = windows
  }

  #build<VA>(
    name: string,
    mi: MaterializedInternal<K, VA>,
    initializer: Initializer<VA>,
    aggregator: Aggregator<K, V, VA>,
    merger: Merger<K, VA>
  ): KTable<Windowed<K>, VA> {
    const w = this.#windows
    const retention = mi.materialized?.retentionMs ?? w.gapMs + w.graceMs
    if (retention < w.gapMs + w.graceMs) {
      throw new StreamsError(
        'TOPOLOGY_INVALID',
        `The retention period of the session store ${mi.storeName} must be no smaller than the session inactivity gap plus the grace period. Got gap=[${w.gapMs}], grace=[${w.graceMs}], retention=[${retention}]`
      )
    }
    const keySerde = mi.keySerde ?? this.#agg.keySerde
    const supplier = new KStreamSessionWindowAggregateSupplier<K, V, VA>(
      mi.storeName,
      w,
      initializer,
      aggregator,
      merger
    )
    const tableKeySerde = keySerde === undefined ? undefined : sessionWindowedSerde(keySerde)
    return this.#agg.build<Windowed<K>, VA>(
      name,
      mi.storeName,
      () => sessionStoreBuilder(mi, keySerde as Serde<K>, mi.valueSerde as Serde<VA>, retention),
      supplier,
      tableKeySerde,
      mi.valueSerde
    )
  }

  count(materialized?: Materialized<K, bigint>, named?: Named): KTable<Windowed<K>, bigint> {
    const b = this.#agg.builder
    // Kafka Streams burns a store name here when a Materialized without a name is passed.
    if (materialized !== undefined && materialized.storeName === undefined) b.newStoreName('KSTREAM-AGGREGATE-')
    const mi = materializedInternal(
      materialized ?? Materialized.with<K, bigint>(this.#agg.keySerde, Serdes.Long()),
      b,
      'KSTREAM-AGGREGATE-'
    )
    mi.valueSerde ??= Serdes.Long()
    const name = b.nameOrGenerate(named?.name, 'KSTREAM-AGGREGATE-')
    return this.#build(
      name,
      mi,
      () => 0n,
      (_k, _v, agg) => agg + 1n,
      (_k, a, b) => a + b
    )
  }

  reduce(reducer: Reducer<V>, materialized?: Materialized<K, V>, named?: Named): KTable<Windowed<K>, V> {
    const b = this.#agg.builder
    const mi = materializedInternal(
      materialized ?? Materialized.with(this.#agg.keySerde, this.#agg.valueSerde),
      b,
      'KSTREAM-REDUCE-'
    )
    mi.valueSerde ??= this.#agg.valueSerde
    const name = b.nameOrGenerate(named?.name, 'KSTREAM-REDUCE-')
    const aggregator = reduceAggregator<K, V>(reducer)
    // Merging two sessions reduces the later aggregate into the earlier one.
    return this.#build<V>(
      name,
      mi,
      () => null as unknown as V,
      aggregator,
      (k, a1, a2) => aggregator(k, a2, a1)
    )
  }

  aggregate<VA>(
    initializer: Initializer<VA>,
    aggregator: Aggregator<K, V, VA>,
    merger: Merger<K, VA>,
    materialized?: Materialized<K, VA>,
    named?: Named
  ): KTable<Windowed<K>, VA> {
    const b = this.#agg.builder
    const mi = materializedInternal(
      materialized ?? Materialized.with<K, VA>(this.#agg.keySerde),
      b,
      'KSTREAM-AGGREGATE-'
    )
    const name = b.nameOrGenerate(named?.name, 'KSTREAM-AGGREGATE-')
    return this.#build(name, mi, initializer, aggregator, merger)
  }
}
