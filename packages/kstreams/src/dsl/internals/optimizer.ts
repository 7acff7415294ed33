// `topology.optimization`: rewrites the DSL graph before it is written, as Kafka Streams' InternalStreamsBuilder
// does. Only merge.repartition.topics changes what runs: every repartition below one key-changing operation (with
// no value-changing operation in between) is replaced by a single repartition topic, named after the first one,
// that feeds all the operators the separate topics fed.
import { StreamsError } from '../../errors.ts'
import type { Serde } from '../../serdes/serde.ts'
import type { GraphNode, InternalStreamsBuilder } from './graph.ts'
import { createRepartitionedSource, repartitionNodes } from './repartition.ts'

const valueChanging = new WeakSet<GraphNode>()
const mergeNodes = new WeakSet<GraphNode>()

/** Marks a `KStream.merge` node: repartitions below it are merged under it rather than under one input's key change. */
export function markMergeNode(node: GraphNode): void {
  mergeNodes.add(node)
}

/** Marks a node that changes values (mapValues, flatMapValues): a repartition after it is not merged across it. */
export function markValueChanging(node: GraphNode): void {
  valueChanging.add(node)
}

const OPTIMIZATIONS = ['reuse.ktable.source.topics', 'merge.repartition.topics', 'single.store.self.join']

/** The optimizations a `topology.optimization` value asks for ("all", "none" or a comma-separated list). */
export function optimizationsOf(value: string | undefined): Set<string> {
  if (value === undefined || value.trim() === 'none') return new Set()
  if (value.trim() === 'all') return new Set(OPTIMIZATIONS)
  const out = new Set<string>()
  for (const part of value.split(',').map((s) => s.trim())) {
    if (!OPTIMIZATIONS.includes(part)) {
      throw new StreamsError(
        'CONFIG_INVALID',
        `Invalid value ${value} for configuration topology.optimization: unknown optimization ${part}`,
        { setting: 'topology.optimization' }
      )
    }
    out.add(part)
  }
  return out
}

// Kafka Streams' findParentNodeMatching: the node itself, else a matching parent, else a match further up
// (the last parent's, when several parents have one).
function findUp(start: GraphNode, predicate: (n: GraphNode) => boolean): GraphNode | null {
  if (predicate(start)) return start
  let found: GraphNode | null = null
  for (const parent of start.parents) {
    if (predicate(parent)) return parent
    found = findUp(parent, predicate)
  }
  return found
}

function reachable(root: GraphNode): GraphNode[] {
  const seen = new Set<GraphNode>()
  const stack = [root]
  while (stack.length > 0) {
    const n = stack.pop() as GraphNode
    if (seen.has(n)) continue
    seen.add(n)
    stack.push(...n.children)
  }
  return [...seen].sort((a, b) => a.priority - b.priority)
}

function detach(parent: GraphNode, child: GraphNode): void {
  const c = parent.children.indexOf(child)
  if (c >= 0) parent.children.splice(c, 1)
  const p = child.parents.indexOf(parent)
  if (p >= 0) child.parents.splice(p, 1)
}

function attach(parent: GraphNode, child: GraphNode): void {
  if (!parent.children.includes(child)) parent.children.push(child)
  if (!child.parents.includes(parent)) child.parents.push(parent)
}

/** Replaces the repartition topics below each key-changing node by one (merge.repartition.topics). */
export function mergeRepartitionTopics(builder: InternalStreamsBuilder): void {
  const groups = new Map<GraphNode, GraphNode[]>()
  for (const node of reachable(builder.root)) {
    if (repartitionNodes.get(node)?.optimizable !== true) continue
    const changer = findUp(node, (n) => n.keyChangingOperation || valueChanging.has(n))
    const keyChanger = findUp(node, (n) => n.keyChangingOperation)
    if (changer === null || changer !== keyChanger) continue
    // Below a merge of re-keyed streams, the merged topic hangs off the merge node (Kafka Streams does the same).
    const merge = findUp(node, (n) => mergeNodes.has(n))
    const owner = merge !== null && findUp(merge, (n) => n === keyChanger) !== null ? merge : keyChanger
    let group = groups.get(owner)
    if (group === undefined) {
      group = []
      groups.set(owner, group)
    }
    group.push(node)
  }
  for (const [keyChanger, group] of groups) {
    const infos = group.map((n) => repartitionNodes.get(n) as NonNullable<ReturnType<typeof repartitionNodes.get>>)
    const keySerde: Serde<unknown> | undefined = infos.find((i) => i.keySerde !== undefined)?.keySerde
    const valueSerde: Serde<unknown> | undefined = infos.find((i) => i.valueSerde !== undefined)?.valueSerde
    const merged = createRepartitionedSource(builder, keySerde, valueSerde, (infos[0] as { topic: string }).topic).node
    repartitionNodes.delete(merged)
    for (const old of group) {
      const child = findUp(old, (n) => n.parents.includes(keyChanger)) as GraphNode
      attach(merged, child)
      detach(keyChanger, child)
      for (const grandChild of [...old.children]) {
        for (const parent of old.parents) attach(parent, grandChild)
      }
      for (const parent of [...old.parents]) detach(parent, old)
      for (const grandChild of [...old.children]) detach(old, grandChild)
      // Out of the graph now: never written.
      old.written = true
    }
    builder.addGraphNode(keyChanger, merged)
    // Written right after the key-changing node, before everything that now reads the merged topic.
    merged.priority = keyChanger.priority + 0.5
  }
}
