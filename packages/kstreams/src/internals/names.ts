// Every name Kafka Streams derives from the application id, in one place: internal topics, task ids and the ids of
// the clients' groups and transactions. Kafka Streams' own rules (ProcessorStateManager.storeChangelogTopic,
// InternalTopologyBuilder.decorateTopic, TaskId.toString), so an application's topics and groups keep their names
// when it moves between the two engines.

/** `<application.id>-<store>-changelog`: the changelog topic of a logged store. */
export function changelogTopic(applicationId: string, storeName: string): string {
  return `${applicationId}-${storeName}-changelog`
}

/** `<name>-repartition`: a repartition topic's name inside the topology, before decoration. */
export function repartitionTopicName(name: string): string {
  return `${name}-repartition`
}

/**
 * The real name of a topic the topology names `topic`: `<application.id>-<topic>` for the topology's internal
 * (repartition) topics, the name itself for user topics.
 */
export function decorateTopic(
  applicationId: string,
  internalTopics: { has(name: string): boolean },
  topic: string
): string {
  return internalTopics.has(topic) ? `${applicationId}-${topic}` : topic
}

/** `<sub-topology>_<partition>`, Kafka Streams' TaskId text. */
export function taskId(subtopology: number, partition: number): string {
  return `${subtopology}_${partition}`
}

/** The transactional.id of an instance under exactly_once_v2: one producer per instance, stable across restarts. */
export function transactionalId(applicationId: string, processId: string): string {
  return `${applicationId}-${processId}`
}

/** Group id of the consumer that reads changelogs during restoration (manual assignment, never commits). */
export function restoreGroupId(applicationId: string, processId: string): string {
  return `${applicationId}-restore-${processId}`
}

/** Group id of an instance's reader of the instance-discovery topic (never commits). */
export function metadataGroupId(applicationId: string, processId: string): string {
  return `${applicationId}-metadata-${processId}`
}
