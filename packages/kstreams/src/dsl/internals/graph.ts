// The DSL's logical graph. Nodes are written to the topology builder in the order they were added
// (Kafka Streams' build priority), which fixes node and sub-topology order in describe().
import type { InternalTopologyBuilder } from '../../processor/internals/internal-topology-builder.ts'

export class GraphNode {
  /** The name children use as their predecessor. */
  readonly nodeName: string
  readonly parents: GraphNode[] = []
  readonly children: GraphNode[] = []
  priority = -1
  written = false
  keyChangingOperation = false
  readonly #write: (builder: InternalTopologyBuilder, parentNames: string[]) => void

  constructor(nodeName: string, write: (builder: InternalTopologyBuilder, parentNames: string[]) => void = () => {}) {
    this.nodeName = nodeName
    this.#write = write
  }

  write(builder: InternalTopologyBuilder): void {
    this.#write(
      builder,
      this.parents.map((p) => p.nodeName)
    )
  }
}

export class InternalStreamsBuilder {
  readonly root = new GraphNode('root')
  readonly #nodes: GraphNode[] = []
  #index = 0
  #priority = 0

  newProcessorName(prefix: string): string {
    return prefix + String(this.#index++).padStart(10, '0')
  }

  /** A user-given name, or a generated one; a counter value is burnt either way, as in Kafka Streams. */
  nameOrGenerate(name: string | undefined, prefix: string): string {
    const generated = this.newProcessorName(prefix)
    return name ?? generated
  }

  /** `name + suffix`, or a generated name; burns a counter value either way. */
  suffixOrGenerate(name: string | undefined, suffix: string, prefix: string): string {
    const generated = this.newProcessorName(prefix)
    return name === undefined ? generated : name + suffix
  }

  newStoreName(prefix: string): string {
    return `${prefix}STATE-STORE-${String(this.#index++).padStart(10, '0')}`
  }

  addGraphNode(parents: GraphNode | readonly GraphNode[], child: GraphNode): void {
    for (const parent of Array.isArray(parents) ? parents : [parents as GraphNode]) {
      if (!child.parents.includes(parent)) child.parents.push(parent)
      if (!parent.children.includes(child)) parent.children.push(child)
    }
    child.priority = this.#priority++
    if (!this.#nodes.includes(child)) this.#nodes.push(child)
  }

  buildInto(builder: InternalTopologyBuilder): void {
    const ordered = [...this.#nodes].sort((a, b) => a.priority - b.priority)
    for (const node of ordered) {
      if (node.written) continue
      node.write(builder)
      node.written = true
    }
  }
}
