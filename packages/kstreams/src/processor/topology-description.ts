import { javaSetToString } from './internals/java-collections.ts'

// Kafka Streams keeps successors/predecessors in TreeSets ordered by sub-tree size (largest first), then name.
// Elements are placed when inserted, with the sizes known at that moment, so we insert the same way.
function compareNodes(a: AbstractNodeDescription, b: AbstractNodeDescription): number {
  if (a === b) return 0
  if (a.size !== b.size) return b.size - a.size
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0
}

class NodeSet implements Iterable<AbstractNodeDescription> {
  readonly #items: AbstractNodeDescription[] = []

  add(node: AbstractNodeDescription): void {
    if (this.#items.includes(node)) return
    let i = 0
    while (i < this.#items.length && compareNodes(node, this.#items[i] as AbstractNodeDescription) > 0) i++
    this.#items.splice(i, 0, node)
  }

  get size(): number {
    return this.#items.length
  }

  [Symbol.iterator](): Iterator<AbstractNodeDescription> {
    return this.#items[Symbol.iterator]()
  }

  names(): string {
    return this.#items.length === 0 ? 'none' : this.#items.map((n) => n.name).join(', ')
  }
}

/** A node of a described topology. */
export abstract class AbstractNodeDescription {
  readonly name: string
  readonly predecessors = new NodeSet()
  readonly successors = new NodeSet()
  /** Size of the sub-tree rooted at this node, including itself. */
  size = 1

  constructor(name: string) {
    this.name = name
  }

  updateSize(delta: number): void {
    this.size += delta
    for (const p of this.predecessors) p.updateSize(delta)
  }

  abstract toString(): string
}

export class SourceDescription extends AbstractNodeDescription {
  readonly topics: readonly string[]
  constructor(name: string, topics: readonly string[]) {
    super(name)
    this.topics = topics
  }

  toString(): string {
    return `Source: ${this.name} (topics: ${javaSetToString(this.topics)})\n      --> ${this.successors.names()}`
  }
}

export class ProcessorDescription extends AbstractNodeDescription {
  readonly stores: readonly string[]
  constructor(name: string, stores: readonly string[]) {
    super(name)
    this.stores = stores
  }

  toString(): string {
    return (
      `Processor: ${this.name} (stores: ${javaSetToString(this.stores)})\n      --> ${this.successors.names()}` +
      `\n      <-- ${this.predecessors.names()}`
    )
  }
}

export class SinkDescription extends AbstractNodeDescription {
  readonly topic: string
  constructor(name: string, topic: string) {
    super(name)
    this.topic = topic
  }

  toString(): string {
    return `Sink: ${this.name} (topic: ${this.topic})\n      <-- ${this.predecessors.names()}`
  }
}

export interface SubtopologyDescription {
  readonly id: number
  readonly nodes: readonly AbstractNodeDescription[]
}

/**
 * What `Topology.describe()` returns. `toString()` prints the same text as Kafka Streams'
 * `TopologyDescription`, so the two can be compared directly.
 */
export class TopologyDescription {
  readonly subtopologies: SubtopologyDescription[] = []

  addSubtopology(subtopology: SubtopologyDescription): void {
    this.subtopologies.push(subtopology)
    this.subtopologies.sort((a, b) => a.id - b.id)
  }

  toString(): string {
    let out = 'Topologies:\n '
    for (const sub of this.subtopologies) {
      const nodes = [...sub.nodes].sort(compareNodes)
      out += `  Sub-topology: ${sub.id}\n`
      for (const node of nodes) out += `    ${node.toString()}\n`
      out += '\n'
    }
    return out
  }
}
