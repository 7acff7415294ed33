import type { Deserializer, Serializer } from '../serdes/serde.ts'
import type { StateStore } from '../state/state-store.ts'
import type { StoreBuilder } from '../state/store-builder.ts'
import { InternalTopologyBuilder } from './internals/internal-topology-builder.ts'
import type { StreamPartitioner, TimestampExtractor } from './internals/internal-topology-builder.ts'
import type { ProcessorSupplier } from './processor.ts'
import type { TopologyDescription } from './topology-description.ts'

export type { StreamPartitioner, TimestampExtractor }

/**
 * A processor topology: sources, processors, sinks and stores, as Kafka Streams' `Topology`. Built by
 * `StreamsBuilder.build()` or by hand with the Processor API. A topology is immutable once handed to
 * `KafkaStreams` or a `TopologyTestDriver`.
 */
export class Topology {
  /** @internal */
  readonly internalBuilder: InternalTopologyBuilder

  constructor(internalBuilder: InternalTopologyBuilder = new InternalTopologyBuilder()) {
    this.internalBuilder = internalBuilder
  }

  addSource(
    name: string,
    topics: string | readonly string[],
    keyDeserializer?: Deserializer<unknown>,
    valueDeserializer?: Deserializer<unknown>,
    timestampExtractor?: TimestampExtractor
  ): this {
    this.internalBuilder.addSource(
      name,
      typeof topics === 'string' ? [topics] : topics,
      keyDeserializer,
      valueDeserializer,
      timestampExtractor
    )
    return this
  }

  addProcessor<KIn, VIn, KOut, VOut>(
    name: string,
    supplier: ProcessorSupplier<KIn, VIn, KOut, VOut>,
    ...parentNames: string[]
  ): this {
    this.internalBuilder.addProcessor(name, supplier, parentNames)
    return this
  }

  addSink<K, V>(
    name: string,
    topic: string,
    keySerializer: Serializer<K> | undefined,
    valueSerializer: Serializer<V> | undefined,
    ...parentNames: string[]
  ): this {
    this.internalBuilder.addSink(
      name,
      topic,
      parentNames,
      keySerializer as Serializer<unknown>,
      valueSerializer as Serializer<unknown>
    )
    return this
  }

  addStateStore(storeBuilder: StoreBuilder<StateStore>, ...processorNames: string[]): this {
    this.internalBuilder.addStateStore(storeBuilder, processorNames)
    return this
  }

  connectProcessorAndStateStores(processorName: string, ...storeNames: string[]): this {
    for (const s of storeNames) this.internalBuilder.connectProcessorAndStateStore(processorName, s)
    return this
  }

  /** The same text as Kafka Streams' `Topology.describe()` for the same topology. */
  describe(): TopologyDescription {
    return this.internalBuilder.describe()
  }
}
