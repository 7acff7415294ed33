// AdminClient of the simulated cluster: topic creation, listing, partition counts and deletion.
import { StreamsError } from '../../../src/errors.ts'
import type { AdminClient, CreateTopicResult, NewTopic } from '../../../src/internals/client/kafka-client.ts'
import type { SimCluster } from './cluster.ts'

export class SimAdmin implements AdminClient {
  readonly #cluster: SimCluster
  readonly #instance: string
  #closed = false

  constructor(cluster: SimCluster, instance: string) {
    this.#cluster = cluster
    this.#instance = instance
  }

  #open(): void {
    if (this.#closed) throw new StreamsError('ILLEGAL_STATE', 'admin client is closed')
  }

  async createTopics(topics: readonly NewTopic[], timeoutMs = 30_000): Promise<CreateTopicResult[]> {
    this.#open()
    await this.#cluster.call(this.#instance, 'createTopics', timeoutMs)
    return topics.map((t) => ({ topic: t.topic, created: this.#cluster.createTopic(t.topic, t.partitions, t.configs) }))
  }

  async listTopics(timeoutMs = 30_000): Promise<string[]> {
    this.#open()
    await this.#cluster.call(this.#instance, 'listTopics', timeoutMs)
    return ['__consumer_offsets', '__transaction_state', ...this.#cluster.topics.keys()]
  }

  async describePartitionCounts(
    topics: readonly string[],
    timeoutMs = 30_000
  ): Promise<Map<string, number | undefined>> {
    this.#open()
    await this.#cluster.call(this.#instance, 'describePartitionCounts', timeoutMs)
    return new Map(topics.map((t) => [t, this.#cluster.topics.get(t)?.partitions.length]))
  }

  async deleteTopics(topics: readonly string[], timeoutMs = 30_000): Promise<void> {
    this.#open()
    await this.#cluster.call(this.#instance, 'deleteTopics', timeoutMs)
    for (const t of topics) this.#cluster.deleteTopic(t)
  }

  async close(): Promise<void> {
    this.#closed = true
  }
}
