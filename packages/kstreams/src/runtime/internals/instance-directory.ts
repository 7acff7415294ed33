// Instance discovery for interactive queries. Kafka Streams piggybacks each member's application.server on the group
// protocol's user data; librdkafka does not let us set that for its built-in assignors, so each instance advertises
// itself on a compacted one-partition topic instead: key = process id, value = its application.server and tasks,
// written after every rebalance step and tombstoned on close. Every instance reads the whole topic and keeps the
// latest entry per process. A task belongs to the newest advertisement claiming it, so the entry of an instance that
// crashed (and could not tombstone itself) loses its tasks as soon as their new owners advertise them.
import type { ConsumerClient, ProducerClient } from '../../internals/client/kafka-client.ts'
import type { TopicPlan } from './topic-plan.ts'

/** One instance of the application, as Kafka Streams' `StreamsMetadata`. */
export interface StreamsMetadata {
  /** `host:port` from the instance's `application.server`; undefined when it has none. */
  readonly host: string | undefined
  readonly processId: string
  /** Stores of which this instance holds the active part of some partitions. */
  readonly stateStoreNames: readonly string[]
  /** Source partitions of the instance's tasks (internal topics with their `<application.id>-` prefix). */
  readonly topicPartitions: ReadonlyArray<{ readonly topic: string; readonly partition: number }>
  readonly tasks: readonly string[]
}

interface Advertisement {
  readonly host: string
  readonly tasks: readonly string[]
  /** Writer's wall clock when written: the newest claim of a task wins. */
  readonly at: number
}

const OFFSET_BEGINNING = -2

export class InstanceDirectory {
  readonly #topic: string
  readonly #processId: string
  readonly #host: string
  readonly #plan: TopicPlan
  readonly #producer: ProducerClient
  readonly #consumer: ConsumerClient
  readonly #warn: (message: string) => void
  readonly #entries = new Map<string, Advertisement>()
  #loop: Promise<void> | null = null
  #stopped = false
  #advertised = false

  static topicFor(applicationId: string): string {
    return `${applicationId}-kstreams-metadata`
  }

  constructor(
    topic: string,
    processId: string,
    host: string,
    plan: TopicPlan,
    producer: ProducerClient,
    consumer: ConsumerClient,
    warn: (message: string) => void
  ) {
    this.#topic = topic
    this.#processId = processId
    this.#host = host
    this.#plan = plan
    this.#producer = producer
    this.#consumer = consumer
    this.#warn = warn
  }

  async start(): Promise<void> {
    await this.#consumer.assign([{ topic: this.#topic, partition: 0, offset: OFFSET_BEGINNING }])
    this.#loop = this.#read()
  }

  async #read(): Promise<void> {
    while (!this.#stopped) {
      let records
      try {
        records = await this.#consumer.consume(500, 500)
      } catch (error) {
        if (this.#stopped) return
        this.#warn(`reading ${this.#topic} failed: ${(error as Error).message}`)
        continue
      }
      for (const r of records) {
        if (r.key === null) continue
        const id = r.key.toString('utf8')
        if (r.value === null) {
          this.#entries.delete(id)
          continue
        }
        try {
          const ad = JSON.parse(r.value.toString('utf8')) as Advertisement
          if (typeof ad.host === 'string' && Array.isArray(ad.tasks) && typeof ad.at === 'number') {
            this.#entries.set(id, ad)
          }
        } catch {
          this.#warn(`ignoring a malformed entry in ${this.#topic} at offset ${r.offset}`)
        }
      }
    }
  }

  /** Publishes this instance's tasks (after each rebalance step). */
  advertise(tasks: readonly string[]): void {
    // The consumer's last revocation comes after close() has tombstoned the entry.
    if (this.#stopped) return
    const ad: Advertisement = { host: this.#host, tasks: [...tasks], at: Date.now() }
    // Known locally at once; the others see it when the record arrives.
    this.#entries.set(this.#processId, ad)
    this.#write(Buffer.from(JSON.stringify(ad)))
    this.#advertised = true
  }

  #write(value: Buffer | null): void {
    try {
      const queued = this.#producer.produce(
        { topic: this.#topic, partition: 0, key: Buffer.from(this.#processId), value },
        (error) => {
          if (error !== null) this.#warn(`advertising this instance on ${this.#topic} failed: ${error.message}`)
        }
      )
      if (!queued) this.#warn(`advertising this instance on ${this.#topic} failed: producer queue full`)
    } catch (error) {
      this.#warn(`advertising this instance on ${this.#topic} failed: ${(error as Error).message}`)
    }
  }

  /** Task id → owner's process id, newest claim first. */
  #owners(ownTasks: readonly string[]): Map<string, string> {
    const owners = new Map<string, { id: string; at: number }>()
    for (const [id, ad] of this.#entries) {
      if (id === this.#processId) continue
      for (const t of ad.tasks) {
        const current = owners.get(t)
        if (current === undefined || ad.at > current.at) owners.set(t, { id, at: ad.at })
      }
    }
    const out = new Map<string, string>()
    for (const [t, o] of owners) out.set(t, o.id)
    // This instance knows its own tasks for sure, whatever the topic says.
    for (const t of ownTasks) out.set(t, this.#processId)
    return out
  }

  /** The owner of a task this instance does not run, as far as the advertisements tell. */
  ownerOf(taskId: string): { processId: string; host: string } | undefined {
    const id = this.#owners([]).get(taskId)
    if (id === undefined || id === this.#processId) return undefined
    const ad = this.#entries.get(id)
    return ad === undefined ? undefined : { processId: id, host: ad.host }
  }

  allMetadata(ownTasks: readonly string[]): StreamsMetadata[] {
    const byInstance = new Map<string, string[]>()
    for (const [task, id] of this.#owners(ownTasks)) {
      let list = byInstance.get(id)
      if (list === undefined) byInstance.set(id, (list = []))
      list.push(task)
    }
    const out: StreamsMetadata[] = [
      InstanceDirectory.describe(this.#processId, this.#host, byInstance.get(this.#processId) ?? [], this.#plan)
    ]
    for (const [id, tasks] of byInstance) {
      if (id === this.#processId) continue
      out.push(InstanceDirectory.describe(id, this.#entries.get(id)?.host, tasks, this.#plan))
    }
    return out
  }

  static describe(
    processId: string,
    host: string | undefined,
    tasks: readonly string[],
    plan: TopicPlan
  ): StreamsMetadata {
    const stores = new Set<string>()
    const partitions: Array<{ topic: string; partition: number }> = []
    const sorted = [...tasks].sort()
    for (const task of sorted) {
      const [sub, partition] = task.split('_').map(Number) as [number, number]
      const spec = plan.subtopologies.find((s) => s.id === sub)
      if (spec === undefined) continue
      for (const s of spec.stores) stores.add(s)
      for (const [topic, id] of plan.subtopologyOfTopic) if (id === sub) partitions.push({ topic, partition })
    }
    return { host, processId, stateStoreNames: [...stores].sort(), topicPartitions: partitions, tasks: sorted }
  }

  /** Stops reading and tombstones this instance's entry, so the others forget it at once. */
  async close(): Promise<void> {
    this.#stopped = true
    if (this.#advertised) {
      this.#write(null)
      try {
        await this.#producer.flush(5000)
      } catch (error) {
        this.#warn(`removing this instance from ${this.#topic} failed: ${(error as Error).message}`)
      }
    }
    await this.#loop
  }
}
