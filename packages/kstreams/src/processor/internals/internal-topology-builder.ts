// The processor graph as written by the DSL or the Processor API: node factories in insertion order (which is
// topological), state stores, internal topics, and the grouping into sub-topologies.
import { StreamsError } from '../../errors.ts'
import type { Deserializer, Serializer } from '../../serdes/serde.ts'
import type { StoreBuilder } from '../../state/store-builder.ts'
import type { StateStore } from '../../state/state-store.ts'
import type { ProcessorSupplier } from '../processor.ts'
import {
  TopologyDescription,
  SourceDescription,
  ProcessorDescription,
  SinkDescription
} from '../topology-description.ts'
import type { AbstractNodeDescription, SubtopologyDescription } from '../topology-description.ts'
import { javaHashSetCopyOrder, javaHashSetOrder } from './java-collections.ts'

export type TimestampExtractor = (
  record: { key: unknown; value: unknown; timestamp: number; topic: string; partition: number; offset: number },
  partitionTime: number
) => number

/** Chooses the partition for a record; `undefined` means the default (murmur2 of the key bytes). */
export type StreamPartitioner<K, V> = (topic: string, key: K, value: V, numPartitions: number) => number | undefined

export interface SourceNodeFactory {
  readonly kind: 'source'
  readonly name: string
  readonly topics: readonly string[]
  readonly keyDeserializer: Deserializer<unknown> | undefined
  readonly valueDeserializer: Deserializer<unknown> | undefined
  readonly timestampExtractor: TimestampExtractor | undefined
  readonly predecessors: readonly string[]
}

export interface ProcessorNodeFactory {
  readonly kind: 'processor'
  readonly name: string
  readonly predecessors: readonly string[]
  readonly supplier: ProcessorSupplier<any, any, any, any>
  readonly stores: string[]
}

export interface SinkNodeFactory {
  readonly kind: 'sink'
  readonly name: string
  readonly predecessors: readonly string[]
  readonly topic: string
  readonly keySerializer: Serializer<unknown> | undefined
  readonly valueSerializer: Serializer<unknown> | undefined
  readonly partitioner: StreamPartitioner<unknown, unknown> | undefined
}

export type NodeFactory = SourceNodeFactory | ProcessorNodeFactory | SinkNodeFactory

export interface StoreFactory {
  readonly builder: StoreBuilder<StateStore>
  readonly users: string[]
}

export interface InternalTopicSpec {
  readonly name: string
  readonly kind: 'repartition' | 'changelog'
  /** Fixed partition count, or undefined to follow the sub-topology's source partitions. */
  readonly partitions: number | undefined
  readonly config: Readonly<Record<string, string>>
}

/** One sub-topology: its node names in topological order, source topics, sink topics and stores. */
export interface SubtopologySpec {
  readonly id: number
  readonly nodes: readonly string[]
  readonly sourceTopics: readonly string[]
  readonly repartitionSourceTopics: readonly string[]
  readonly sinkTopics: readonly string[]
  readonly stores: readonly string[]
}

class QuickUnion {
  readonly #parent = new Map<string, string>()
  add(id: string): void {
    this.#parent.set(id, id)
  }

  root(id: string): string {
    let current = id
    let parent = this.#parent.get(current)
    if (parent === undefined) throw new StreamsError('TOPOLOGY_INVALID', `unknown node ${id}`)
    while (parent !== current) {
      const grand = this.#parent.get(parent) as string
      this.#parent.set(current, grand)
      current = parent
      parent = grand
    }
    return current
  }

  unite(id: string, others: readonly string[]): void {
    const root = this.root(id)
    for (const other of others) {
      const otherRoot = this.root(other)
      if (otherRoot !== root) this.#parent.set(otherRoot, root)
    }
  }
}

export class InternalTopologyBuilder {
  readonly nodeFactories = new Map<string, NodeFactory>()
  readonly stateFactories = new Map<string, StoreFactory>()
  /** Repartition topics, undecorated (the runtime prefixes the application id). */
  readonly internalTopics = new Map<string, InternalTopicSpec>()
  readonly copartitionGroups: string[][] = []
  readonly #sourceTopics = new Set<string>()
  readonly #grouper = new QuickUnion()
  #applicationId: string | undefined

  setApplicationId(applicationId: string): void {
    this.#applicationId = applicationId
  }

  get applicationId(): string | undefined {
    return this.#applicationId
  }

  #checkNewNode(name: string): void {
    if (!name) throw new StreamsError('TOPOLOGY_INVALID', 'node name must not be empty')
    if (this.nodeFactories.has(name)) throw new StreamsError('TOPOLOGY_INVALID', `Processor ${name} is already added.`)
  }

  #checkPredecessors(name: string, predecessors: readonly string[]): void {
    if (predecessors.length === 0) {
      throw new StreamsError('TOPOLOGY_INVALID', `Processor ${name} must have at least one parent`)
    }
    for (const p of predecessors) {
      if (p === name) throw new StreamsError('TOPOLOGY_INVALID', `Processor ${name} cannot be a predecessor of itself.`)
      const parent = this.nodeFactories.get(p)
      if (parent === undefined) {
        throw new StreamsError('TOPOLOGY_INVALID', `Predecessor processor ${p} is not added yet for ${name}`)
      }
      if (parent.kind === 'sink') throw new StreamsError('TOPOLOGY_INVALID', `Sink ${p} cannot be used a parent.`)
    }
  }

  addSource(
    name: string,
    topics: readonly string[],
    keyDeserializer?: Deserializer<unknown>,
    valueDeserializer?: Deserializer<unknown>,
    timestampExtractor?: TimestampExtractor
  ): void {
    this.#checkNewNode(name)
    if (topics.length === 0) throw new StreamsError('TOPOLOGY_INVALID', 'You must provide at least one topic')
    for (const topic of topics) {
      if (this.#sourceTopics.has(topic)) {
        throw new StreamsError('TOPOLOGY_INVALID', `Topic ${topic} has already been registered by another source.`, {
          topic
        })
      }
      this.#sourceTopics.add(topic)
    }
    this.nodeFactories.set(name, {
      kind: 'source',
      name,
      topics: [...topics],
      keyDeserializer,
      valueDeserializer,
      timestampExtractor,
      predecessors: []
    })
    this.#grouper.add(name)
  }

  addSink(
    name: string,
    topic: string,
    predecessors: readonly string[],
    keySerializer?: Serializer<unknown>,
    valueSerializer?: Serializer<unknown>,
    partitioner?: StreamPartitioner<unknown, unknown>
  ): void {
    this.#checkNewNode(name)
    this.#checkPredecessors(name, predecessors)
    this.nodeFactories.set(name, {
      kind: 'sink',
      name,
      topic,
      predecessors: [...predecessors],
      keySerializer,
      valueSerializer,
      partitioner
    })
    this.#grouper.add(name)
    this.#grouper.unite(name, predecessors)
  }

  addProcessor(name: string, supplier: ProcessorSupplier<any, any, any, any>, predecessors: readonly string[]): void {
    this.#checkNewNode(name)
    this.#checkPredecessors(name, predecessors)
    this.nodeFactories.set(name, { kind: 'processor', name, predecessors: [...predecessors], supplier, stores: [] })
    this.#grouper.add(name)
    this.#grouper.unite(name, predecessors)
  }

  addStateStore(
    builder: StoreBuilder<StateStore>,
    processorNames: readonly string[] = [],
    allowOverride = false
  ): void {
    const existing = this.stateFactories.get(builder.name)
    if (existing !== undefined && !allowOverride && existing.builder !== builder) {
      throw new StreamsError(
        'TOPOLOGY_INVALID',
        `A different StateStore has already been added with the name ${builder.name}`,
        {
          storeName: builder.name
        }
      )
    }
    if (existing === undefined) this.stateFactories.set(builder.name, { builder, users: [] })
    for (const processor of processorNames) this.connectProcessorAndStateStore(processor, builder.name)
  }

  connectProcessorAndStateStore(processorName: string, storeName: string): void {
    const store = this.stateFactories.get(storeName)
    if (store === undefined) {
      throw new StreamsError('TOPOLOGY_INVALID', `StateStore ${storeName} is not added yet.`, { storeName })
    }
    const node = this.nodeFactories.get(processorName)
    if (node === undefined) throw new StreamsError('TOPOLOGY_INVALID', `Processor ${processorName} is not added yet.`)
    if (node.kind !== 'processor') {
      throw new StreamsError(
        'TOPOLOGY_INVALID',
        `cannot connect a state store ${storeName} to a source node or a sink node.`
      )
    }
    if (store.users.length > 0) this.#grouper.unite(store.users[0] as string, [processorName])
    if (!store.users.includes(processorName)) store.users.push(processorName)
    if (!node.stores.includes(storeName)) node.stores.push(storeName)
  }

  addRepartitionTopic(name: string, partitions?: number): void {
    this.internalTopics.set(name, {
      name,
      kind: 'repartition',
      partitions,
      config: { 'cleanup.policy': 'delete', 'segment.bytes': '52428800', 'retention.ms': '-1' }
    })
  }

  copartitionSources(sourceNodeNames: readonly string[]): void {
    this.copartitionGroups.push([...sourceNodeNames])
  }

  isRepartitionTopic(topic: string): boolean {
    return this.internalTopics.has(topic)
  }

  /** Sub-topologies in Kafka Streams' numbering: the order in which their first node was added. */
  nodeGroups(): Map<number, string[]> {
    const groups = new Map<number, string[]>()
    const byRoot = new Map<string, string[]>()
    let id = 0
    for (const name of this.nodeFactories.keys()) {
      const root = this.#grouper.root(name)
      let group = byRoot.get(root)
      if (group === undefined) {
        group = []
        byRoot.set(root, group)
        groups.set(id++, group)
      }
      group.push(name)
    }
    return groups
  }

  subtopologies(): SubtopologySpec[] {
    const result: SubtopologySpec[] = []
    for (const [id, nodes] of this.nodeGroups()) {
      const sourceTopics: string[] = []
      const repartitionSourceTopics: string[] = []
      const sinkTopics: string[] = []
      const stores: string[] = []
      for (const name of nodes) {
        const node = this.nodeFactories.get(name) as NodeFactory
        if (node.kind === 'source') {
          for (const t of node.topics) {
            sourceTopics.push(t)
            if (this.internalTopics.has(t)) repartitionSourceTopics.push(t)
          }
        } else if (node.kind === 'sink') {
          sinkTopics.push(node.topic)
        } else {
          for (const s of node.stores) if (!stores.includes(s)) stores.push(s)
        }
      }
      result.push({ id, nodes, sourceTopics, repartitionSourceTopics, sinkTopics, stores })
    }
    return result
  }

  describe(): TopologyDescription {
    const description = new TopologyDescription()
    for (const [id, nodes] of this.nodeGroups()) {
      description.addSubtopology(this.#describeSubtopology(id, nodes))
    }
    return description
  }

  #describeSubtopology(id: number, nodeNames: string[]): SubtopologyDescription {
    const byName = new Map<string, AbstractNodeDescription>()
    // Kafka Streams visits this HashMap to size the nodes; the visiting order changes sizes in diamond graphs.
    const order = javaHashSetOrder(nodeNames)
    for (const name of order) {
      const node = this.nodeFactories.get(name) as NodeFactory
      let described: AbstractNodeDescription
      if (node.kind === 'source') described = new SourceDescription(name, javaHashSetCopyOrder(node.topics))
      else if (node.kind === 'sink') described = new SinkDescription(name, node.topic)
      else described = new ProcessorDescription(name, javaHashSetCopyOrder(javaHashSetOrder(node.stores)))
      byName.set(name, described)
    }
    for (const name of order) {
      const node = byName.get(name) as AbstractNodeDescription
      const factory = this.nodeFactories.get(name) as NodeFactory
      for (const predecessorName of factory.predecessors) {
        const predecessor = byName.get(predecessorName) as AbstractNodeDescription
        node.predecessors.add(predecessor)
        predecessor.successors.add(node)
        predecessor.updateSize(node.size)
      }
    }
    return { id, nodes: [...byName.values()] }
  }
}
