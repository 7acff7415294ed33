// Which internal topics a topology needs on a cluster, with partition counts and configs as Kafka Streams chooses
// them: a repartition topic gets the partition count of the sub-topology writing it, a changelog the partition
// count of its store's sub-topology (one changelog partition per task).
import { StreamsError } from '../../errors.ts'
import type { InternalTopologyBuilder, SubtopologySpec } from '../../processor/internals/internal-topology-builder.ts'
import type { NewTopic } from '../../internals/client/kafka-client.ts'
import { changelogTopic, decorateTopic } from '../../internals/names.ts'

export interface TopicPlan {
  /** Real (decorated) topic names of every source topic the instance subscribes to. */
  readonly subscription: string[]
  /** Decorated source topic → sub-topology id. */
  readonly subtopologyOfTopic: Map<string, number>
  readonly tasksPerSubtopology: Map<number, number>
  readonly internalTopics: NewTopic[]
  readonly subtopologies: SubtopologySpec[]
}

const DAY_MS = 24 * 60 * 60 * 1000

export function planTopics(
  builder: InternalTopologyBuilder,
  applicationId: string,
  userTopicPartitions: ReadonlyMap<string, number | undefined>,
  replicationFactor: number
): TopicPlan {
  const decorate = (t: string): string => decorateTopic(applicationId, builder.internalTopics, t)
  const repartitionCounts = new Map<string, number>()
  for (const [name, spec] of builder.internalTopics) {
    if (spec.partitions !== undefined) repartitionCounts.set(name, spec.partitions)
  }
  const subtopologies = builder.subtopologies()
  const tasksPerSubtopology = new Map<number, number>()
  const subtopologyOfTopic = new Map<string, number>()
  const internalTopics: NewTopic[] = []
  const missing: string[] = []
  for (const sub of subtopologies) {
    let n = 0
    for (const t of sub.sourceTopics) {
      const count = builder.internalTopics.has(t) ? repartitionCounts.get(t) : userTopicPartitions.get(t)
      if (count === undefined) {
        if (!builder.internalTopics.has(t)) missing.push(t)
        continue
      }
      n = Math.max(n, count)
      subtopologyOfTopic.set(decorate(t), sub.id)
    }
    for (const t of sub.repartitionSourceTopics) subtopologyOfTopic.set(decorate(t), sub.id)
    if (n === 0 && missing.length === 0) {
      throw new StreamsError('TOPOLOGY_INVALID', `cannot tell the partition count of sub-topology ${sub.id}`)
    }
    tasksPerSubtopology.set(sub.id, n)
    for (const sink of sub.sinkTopics) {
      if (builder.internalTopics.has(sink) && !repartitionCounts.has(sink)) repartitionCounts.set(sink, n)
    }
    for (const store of sub.stores) {
      const factory = builder.stateFactories.get(store)
      if (factory === undefined || !factory.builder.loggingEnabled) continue
      const windowed =
        factory.builder.kind === 'window' ||
        factory.builder.kind === 'timestampedWindow' ||
        factory.builder.kind === 'session'
      const configs: Record<string, string> = windowed
        ? {
            'cleanup.policy': 'compact,delete',
            'retention.ms': String((factory.builder.retentionPeriod ?? 0) + DAY_MS)
          }
        : { 'cleanup.policy': 'compact' }
      internalTopics.push({
        topic: changelogTopic(applicationId, store),
        partitions: n,
        replicationFactor,
        configs: { ...configs, ...factory.builder.logConfig }
      })
    }
  }
  if (missing.length > 0) {
    throw new StreamsError(
      'SOURCE_TOPIC_MISSING',
      `source topic${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ${missing.length > 1 ? 'do' : 'does'} not exist; create ${missing.length > 1 ? 'them' : 'it'} before starting the application`,
      { topic: missing[0] }
    )
  }
  for (const [name, spec] of builder.internalTopics) {
    internalTopics.push({
      topic: decorate(name),
      partitions: repartitionCounts.get(name) ?? 1,
      replicationFactor,
      configs: { ...spec.config }
    })
  }
  const subscription = [...subtopologyOfTopic.keys()]
  return { subscription, subtopologyOfTopic, tasksPerSubtopology, internalTopics, subtopologies }
}

/**
 * Checks that the consumer's `partition.assignment.strategy` keeps each task's partitions together. Kafka Streams
 * assigns whole tasks with its own assignor; librdkafka's built-in assignors assign partitions, and only `range`
 * gives partition p of every subscribed topic to the same member (for equal partition counts). `cooperative-sticky`
 * (and `roundrobin`) may split a task that reads several topics — a join's two sides — between two instances, so
 * they are accepted only when every sub-topology reads a single topic.
 */
export function checkAssignmentStrategy(strategy: string, plan: TopicPlan): void {
  const names = strategy.split(',').map((s) => s.trim())
  if (names.every((s) => s === 'range')) return
  const known = new Set(['range', 'roundrobin', 'cooperative-sticky'])
  const unknown = names.find((s) => !known.has(s))
  if (unknown !== undefined) {
    throw new StreamsError(
      'CONFIG_INVALID',
      `partition.assignment.strategy: unknown assignor "${unknown}" (one of range, roundrobin, cooperative-sticky)`,
      { setting: 'partition.assignment.strategy' }
    )
  }
  const topicsPerSub = new Map<number, number>()
  for (const sub of plan.subtopologyOfTopic.values()) topicsPerSub.set(sub, (topicsPerSub.get(sub) ?? 0) + 1)
  const split = [...topicsPerSub].find(([, n]) => n > 1)
  if (split !== undefined) {
    throw new StreamsError(
      'CONFIG_INVALID',
      `partition.assignment.strategy "${strategy}" can assign the ${split[1]} source topics of sub-topology ${split[0]} to different instances; use "range" for topologies whose sub-topologies read several topics (joins, merges)`,
      { setting: 'partition.assignment.strategy' }
    )
  }
}
