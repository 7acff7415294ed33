import { InternalTopologyBuilder } from '../processor/internals/internal-topology-builder.ts'
import { Topology } from '../processor/topology.ts'
import { Consumed } from './consumed.ts'
import { KStream } from './kstream.ts'
import type { KTable } from './ktable.ts'
import type { Materialized } from './materialized.ts'
import { GraphNode, InternalStreamsBuilder } from './internals/graph.ts'
import { KTableImpl } from './internals/ktable-impl.ts'
import { KTableSourceSupplier } from './internals/ktable-source.ts'
import { keyValueStoreBuilder, materializedInternal } from './internals/materialize.ts'
import { mergeRepartitionTopics, optimizationsOf } from './internals/optimizer.ts'

/**
 * Entry point of the DSL, as Kafka Streams' `StreamsBuilder`: declare sources with `stream`/`table`, chain
 * operators, then `build()` a {@link Topology}. Names of generated processors, stores and internal topics follow
 * Kafka Streams' scheme, so `describe()` reads the same as in Java.
 */
export class StreamsBuilder {
  readonly #internal = new InternalStreamsBuilder()
  #built: Topology | null = null

  stream<K, V>(topics: string | readonly string[], consumed: Consumed<K, V> = Consumed.with<K, V>()): KStream<K, V> {
    const list = typeof topics === 'string' ? [topics] : [...topics]
    const name = this.#internal.nameOrGenerate(consumed.name, 'KSTREAM-SOURCE-')
    const node = new GraphNode(name, (b) =>
      b.addSource(name, list, consumed.keySerde as never, consumed.valueSerde as never, consumed.timestampExtractor)
    )
    this.#internal.addGraphNode(this.#internal.root, node)
    return new KStream(name, consumed.keySerde, consumed.valueSerde, false, node, this.#internal)
  }

  table<K, V>(
    topic: string,
    consumed: Consumed<K, V> = Consumed.with<K, V>(),
    materialized?: Materialized<K, V>
  ): KTable<K, V> {
    const mi = materializedInternal(materialized, this.#internal, `${topic}-`)
    const keySerde = mi.keySerde ?? consumed.keySerde
    const valueSerde = mi.valueSerde ?? consumed.valueSerde
    const sourceName = this.#internal.suffixOrGenerate(consumed.name, '-source', 'KSTREAM-SOURCE-')
    const tableName = this.#internal.nameOrGenerate(consumed.name, 'KTABLE-SOURCE-')
    const source = new KTableSourceSupplier<K, V>(mi.storeName, mi.queryable ? mi.storeName : undefined)
    const node = new GraphNode(tableName, (b) => {
      b.addSource(
        sourceName,
        [topic],
        consumed.keySerde as never,
        consumed.valueSerde as never,
        consumed.timestampExtractor
      )
      b.addProcessor(tableName, source.supplier, [sourceName])
      if (source.materialized) b.addStateStore(keyValueStoreBuilder(mi, keySerde, valueSerde), [tableName])
    })
    this.#internal.addGraphNode(this.#internal.root, node)
    return new KTableImpl(tableName, keySerde, valueSerde, source, node, this.#internal)
  }

  /**
   * Writes the DSL graph into a topology. Calling it again returns the same topology. With
   * `topology.optimization` = `all` (or a list containing `merge.repartition.topics`), the repartition topics below
   * one key-changing operation are merged into one, as Kafka Streams' `build(props)` does.
   */
  build(config: { readonly 'topology.optimization'?: string } = {}): Topology {
    if (this.#built === null) {
      const builder = new InternalTopologyBuilder()
      if (optimizationsOf(config['topology.optimization']).has('merge.repartition.topics')) {
        mergeRepartitionTopics(this.#internal)
      }
      this.#internal.buildInto(builder)
      this.#built = new Topology(builder)
    }
    return this.#built
  }
}
