// Repartition topics for key-changing operations, named as Kafka Streams names them.
import { repartitionTopicName } from '../../internals/names.ts'
import type { Serde } from '../../serdes/serde.ts'
import type { StreamPartitioner } from '../../processor/topology.ts'
import { GraphNode } from './graph.ts'
import type { InternalStreamsBuilder } from './graph.ts'
import { kstreamFilter } from './kstream-stateless.ts'

export const REPARTITION_SUFFIX = '-repartition'

/** What the optimizer needs to know about a repartition node (see optimizer.ts). */
export interface RepartitionInfo {
  readonly topic: string
  readonly keySerde: Serde<unknown> | undefined
  readonly valueSerde: Serde<unknown> | undefined
  /** False for an explicit `KStream.repartition()`, which `topology.optimization` never merges. */
  optimizable: boolean
}

/** Every repartition node created by createRepartitionedSource. */
export const repartitionNodes = new WeakMap<GraphNode, RepartitionInfo>()

export interface RepartitionSource {
  readonly node: GraphNode
  readonly sourceName: string
  readonly topic: string
}

/**
 * Allocates names (always burning three counter values, for compatibility with Kafka Streams) and returns a graph
 * node that writes filter → sink → repartition topic → source.
 */
export function createRepartitionedSource(
  builder: InternalStreamsBuilder,
  keySerde: Serde<unknown> | undefined,
  valueSerde: Serde<unknown> | undefined,
  prefix: string,
  partitioner?: StreamPartitioner<unknown, unknown>,
  partitions?: number
): RepartitionSource {
  const topic = prefix.endsWith(REPARTITION_SUFFIX) ? prefix : repartitionTopicName(prefix)
  const genSink = builder.newProcessorName('KSTREAM-SINK-')
  const genFilter = builder.newProcessorName('KSTREAM-FILTER-')
  const genSource = builder.newProcessorName('KSTREAM-SOURCE-')
  const generated = /^KSTREAM.*-[0-9]{10}$/.test(prefix)
  const sinkName = generated ? genSink : `${topic}-sink`
  const sourceName = generated ? genSource : `${topic}-source`
  const filterName = generated ? genFilter : `${topic}-filter`
  const node = new GraphNode(sourceName, (b, parents) => {
    b.addRepartitionTopic(topic, partitions)
    // Records with a null key cannot be partitioned by key: dropped here, before the sink (not counted as dropped).
    b.addProcessor(
      filterName,
      kstreamFilter((k) => k !== null, false),
      parents
    )
    b.addSink(sinkName, topic, [filterName], keySerde, valueSerde, partitioner)
    b.addSource(sourceName, [topic], keySerde, valueSerde)
  })
  repartitionNodes.set(node, { topic, keySerde, valueSerde, optimizable: true })
  return { node, sourceName, topic }
}
