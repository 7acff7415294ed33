// The processing loop of one KafkaStreams instance: poll, hand records to their tasks, process, commit.
// Tasks are created on assignment and restored from their changelogs before they see a record; on revocation they
// are committed (or, under exactly-once, their transaction committed) and closed.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { StreamsError } from '../../errors.ts'
import type { InternalTopologyBuilder } from '../../processor/internals/internal-topology-builder.ts'
import { StreamTask } from '../../processor/internals/stream-task.ts'
import type { Headers } from '../../processor/record.ts'
import type { ConsumedRecord, ConsumerClient, DeliveryReport, ProducerClient, TopicPartition, TopicPartitionOffset } from '../../internals/client/kafka-client.ts'
import type { RuntimeConfig } from './runtime-config.ts'
import type { TopicPlan } from './topic-plan.ts'

export interface ThreadMetrics {
  recordsProcessed: number
  commits: number
  commitLatencyMsTotal: number
  commitLatencyMsMax: number
  restoredRecords: number
  restoring: number
  droppedRecords: number
}

export interface ThreadHooks {
  onRebalanceStart (): void
  onRunning (): void
  log (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>): void
  /** A consumer with manual assignment, for reading changelogs during restoration. */
  createRestoreConsumer (): Promise<ConsumerClient>
}

interface PendingSend {
  readonly topic: string
  readonly partition: number | undefined
  readonly key: Buffer | null
  readonly value: Buffer | null
  readonly headers: Headers
  readonly timestamp: number
}

const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`

export class StreamThread {
  readonly #config: RuntimeConfig
  readonly #builder: InternalTopologyBuilder
  readonly #plan: TopicPlan
  readonly #consumer: ConsumerClient
  readonly #producer: ProducerClient
  readonly #hooks: ThreadHooks
  readonly #eos: boolean
  readonly tasks = new Map<string, StreamTask>()
  /** Input partition → task. */
  readonly #taskByPartition = new Map<string, StreamTask>()
  /** Input partitions whose task is still restoring: records wait here. */
  readonly #pending = new Map<string, ConsumedRecord[]>()
  readonly metrics: ThreadMetrics = { recordsProcessed: 0, commits: 0, commitLatencyMsTotal: 0, commitLatencyMsMax: 0, restoredRecords: 0, restoring: 0, droppedRecords: 0 }
  /** Latest produced offset per changelog partition (for checkpoints). */
  readonly #changelogOffsets = new Map<string, number>()
  #sendError: Error | null = null
  #overflow: PendingSend[] = []
  #running = false
  #inTransaction = false
  #lastCommit = Date.now()
  #rebalance: Promise<void> = Promise.resolve()
  readonly #onDelivery = (error: Error | null, report: DeliveryReport | null): void => {
    if (error !== null) {
      this.#sendError ??= error
      return
    }
    if (report !== null && report.topic.endsWith('-changelog')) this.#changelogOffsets.set(key(report.topic, report.partition), report.offset)
  }

  constructor (config: RuntimeConfig, builder: InternalTopologyBuilder, plan: TopicPlan, consumer: ConsumerClient, producer: ProducerClient, hooks: ThreadHooks) {
    this.#config = config
    this.#builder = builder
    this.#plan = plan
    this.#consumer = consumer
    this.#producer = producer
    this.#hooks = hooks
    this.#eos = config.processingGuarantee === 'exactly_once_v2'
  }

  // ---- sending -------------------------------------------------------------------------------------------

  #send (topic: string, partition: number | undefined, k: Buffer | null, v: Buffer | null, headers: Headers, timestamp: number): void {
    if (this.#overflow.length > 0 || !this.#producer.produce({ topic, partition, key: k, value: v, headers, timestamp }, this.#onDelivery)) {
      // The client's queue is full: keep order by queueing everything behind the first refused record.
      this.#overflow.push({ topic, partition, key: k, value: v, headers, timestamp })
    }
  }

  async #drainOverflow (): Promise<void> {
    while (this.#overflow.length > 0) {
      const r = this.#overflow[0] as PendingSend
      if (this.#producer.produce({ topic: r.topic, partition: r.partition, key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp }, this.#onDelivery)) {
        this.#overflow.shift()
      } else {
        await this.#producer.flush(30_000)
      }
    }
  }

  #checkSendError (): void {
    if (this.#sendError !== null) {
      const error = this.#sendError
      throw new StreamsError('KAFKA_CLIENT', `a record could not be written: ${error.message}`, { cause: error })
    }
  }

  // ---- tasks ---------------------------------------------------------------------------------------------

  #taskDir (taskId: string): string {
    return join(this.#config.stateDir, this.#config.applicationId, taskId)
  }

  #createTask (subtopology: number, partition: number): StreamTask {
    const taskId = `${subtopology}_${partition}`
    const existing = this.tasks.get(taskId)
    if (existing !== undefined) return existing
    const sub = this.#plan.subtopologies.find((s) => s.id === subtopology)
    if (sub === undefined) throw new StreamsError('ILLEGAL_STATE', `unknown sub-topology ${subtopology}`)
    const stateDir = this.#taskDir(taskId)
    mkdirSync(stateDir, { recursive: true })
    const appId = this.#config.applicationId
    const task = new StreamTask({
      taskId,
      partition,
      applicationId: appId,
      builder: this.#builder,
      nodeNames: sub.nodes,
      collector: { send: (topic, k, v, headers, timestamp, p) => this.#send(topic, p, k, v, headers, timestamp) },
      cacheMaxBytes: this.#config.cacheMaxBytes,
      stateDir,
      deserializationExceptionHandler: this.#config.deserializationExceptionHandler,
      processingExceptionHandler: this.#config.processingExceptionHandler,
      logger: { warn: (m, f) => this.#hooks.log('warn', m, f), error: (m, f) => this.#hooks.log('error', m, f) },
      wallClock: Date.now,
      defaultKeySerde: this.#config.defaultKeySerde,
      defaultValueSerde: this.#config.defaultValueSerde,
      decorateTopic: (t) => (this.#builder.internalTopics.has(t) ? `${appId}-${t}` : t)
    })
    task.initialize()
    this.tasks.set(taskId, task)
    return task
  }

  #checkpointFile (task: StreamTask): string {
    return join(this.#taskDir(task.taskId), '.checkpoint')
  }

  /** Reads each store's changelog partition from its checkpoint (or the start) to the end and replays it. */
  async #restore (tasks: StreamTask[]): Promise<void> {
    const work: Array<{ task: StreamTask, topic: string, restore: (b: Array<{ key: Buffer, value: Buffer | null, timestamp: number }>) => void, from: number }> = []
    for (const task of tasks) {
      let checkpoint: Record<string, number> = {}
      try {
        checkpoint = JSON.parse(readFileSync(this.#checkpointFile(task), 'utf8')) as Record<string, number>
      } catch {}
      // Under exactly-once the checkpoint is only valid for a clean shutdown; a crash must replay everything.
      rmSync(this.#checkpointFile(task), { force: true })
      for (const { store, restore } of task.registeredStores()) {
        const factory = this.#builder.stateFactories.get(store.name)
        if (factory === undefined || !factory.builder.loggingEnabled) continue
        const topic = task.changelogFor(store.name)
        const from = store.persistent() ? (checkpoint[topic] ?? 0) : 0
        work.push({ task, topic, restore, from })
      }
    }
    if (work.length === 0) return
    this.metrics.restoring += work.length
    const consumer = await this.#hooks.createRestoreConsumer()
    try {
      for (const w of work) {
        const partition = w.task.partition
        const { high } = await consumer.watermarks({ topic: w.topic, partition })
        if (high <= w.from) continue
        await consumer.assign([{ topic: w.topic, partition, offset: w.from }])
        let position = w.from
        let idle = 0
        while (position < high && idle < 20) {
          const records = await consumer.consume(5000, 200)
          if (records.length === 0) {
            idle++
            continue
          }
          idle = 0
          w.restore(records.map((r) => ({ key: r.key as Buffer, value: r.value, timestamp: r.timestamp })))
          this.metrics.restoredRecords += records.length
          position = (records[records.length - 1] as ConsumedRecord).offset + 1
        }
        this.metrics.restoring--
      }
    } finally {
      await consumer.close()
    }
  }

  #writeCheckpoints (tasks: Iterable<StreamTask>): void {
    for (const task of tasks) {
      const offsets: Record<string, number> = {}
      for (const { store } of task.registeredStores()) {
        const topic = task.changelogFor(store.name)
        const offset = this.#changelogOffsets.get(key(topic, task.partition))
        if (offset !== undefined) offsets[topic] = offset + 1
      }
      mkdirSync(this.#taskDir(task.taskId), { recursive: true })
      writeFileSync(this.#checkpointFile(task), JSON.stringify(offsets))
    }
  }

  async #onAssigned (partitions: readonly TopicPartition[]): Promise<void> {
    this.#hooks.onRebalanceStart()
    this.#consumer.pause(partitions)
    const created: StreamTask[] = []
    for (const p of partitions) {
      const sub = this.#plan.subtopologyOfTopic.get(p.topic)
      if (sub === undefined) continue
      const fresh = !this.tasks.has(`${sub}_${p.partition}`)
      const task = this.#createTask(sub, p.partition)
      if (fresh) created.push(task)
      this.#taskByPartition.set(key(p.topic, p.partition), task)
    }
    await this.#restore(created)
    for (const p of partitions) {
      const waiting = this.#pending.get(key(p.topic, p.partition))
      this.#pending.delete(key(p.topic, p.partition))
      const task = this.#taskByPartition.get(key(p.topic, p.partition))
      if (waiting !== undefined && task !== undefined) for (const r of waiting) task.addRecord(r)
    }
    this.#consumer.resume(partitions)
    this.#hooks.onRunning()
  }

  async #onRevoked (partitions: readonly TopicPartition[], lost: boolean): Promise<void> {
    this.#hooks.onRebalanceStart()
    const affected = new Set<StreamTask>()
    for (const p of partitions) {
      const task = this.#taskByPartition.get(key(p.topic, p.partition))
      if (task !== undefined) affected.add(task)
    }
    if (!lost) {
      await this.commit()
    } else if (this.#eos && this.#inTransaction) {
      await this.#producer.abortTransaction()
      this.#inTransaction = false
    }
    for (const task of affected) {
      if (!lost) this.#writeCheckpoints([task])
      task.close()
      this.tasks.delete(task.taskId)
    }
    for (const p of partitions) {
      this.#taskByPartition.delete(key(p.topic, p.partition))
      this.#pending.delete(key(p.topic, p.partition))
    }
  }

  // ---- the loop ------------------------------------------------------------------------------------------

  async run (): Promise<void> {
    this.#running = true
    if (this.#eos) await this.#producer.initTransactions()
    this.#consumer.subscribe(this.#plan.subscription, {
      onPartitionsAssigned: (p) => (this.#rebalance = this.#rebalance.then(() => this.#onAssigned(p))),
      onPartitionsRevoked: (p) => (this.#rebalance = this.#rebalance.then(() => this.#onRevoked(p, false))),
      onPartitionsLost: (p) => (this.#rebalance = this.#rebalance.then(() => this.#onRevoked(p, true)))
    })
    while (this.#running) {
      await this.#rebalance
      if (this.#eos && !this.#inTransaction) {
        await this.#producer.beginTransaction()
        this.#inTransaction = true
      }
      const records = await this.#consumer.consume(this.#config.maxPollRecords, this.#config.pollMs)
      await this.#rebalance
      for (const r of records) {
        const task = this.#taskByPartition.get(key(r.topic, r.partition))
        if (task === undefined) {
          let list = this.#pending.get(key(r.topic, r.partition))
          if (list === undefined) this.#pending.set(key(r.topic, r.partition), (list = []))
          list.push(r)
        } else {
          task.addRecord(r)
        }
      }
      let commitRequested = false
      for (const task of this.tasks.values()) {
        const before = task.processedRecords
        while (task.process()) {
          task.maybePunctuateStreamTime()
        }
        task.maybePunctuateSystemTime()
        this.metrics.recordsProcessed += task.processedRecords - before
        commitRequested ||= task.commitRequested
      }
      if (this.#overflow.length > 0) await this.#drainOverflow()
      this.#checkSendError()
      if (commitRequested || Date.now() - this.#lastCommit >= this.#config.commitIntervalMs) await this.commit()
    }
  }

  stop (): void {
    this.#running = false
  }

  #offsets (): TopicPartitionOffset[] {
    const out: TopicPartitionOffset[] = []
    for (const task of this.tasks.values()) {
      for (const [topic, offset] of task.consumedOffsets) out.push({ topic, partition: task.partition, offset: offset + 1 })
    }
    return out
  }

  /**
   * Flushes every task's stores (caches forward downstream), waits until everything is acknowledged, then commits
   * input offsets — in the same transaction under exactly-once, after the acknowledgements under at-least-once.
   */
  async commit (): Promise<void> {
    const started = Date.now()
    for (const task of this.tasks.values()) task.flush()
    await this.#drainOverflow()
    const offsets = this.#offsets()
    if (this.#eos) {
      if (!this.#inTransaction) return
      if (offsets.length > 0) await this.#producer.sendOffsetsToTransaction(offsets, this.#consumer.groupMetadata())
      await this.#producer.commitTransaction()
      this.#inTransaction = false
      this.#checkSendError()
    } else {
      await this.#producer.flush(60_000)
      this.#checkSendError()
      if (offsets.length > 0) await this.#consumer.commit(offsets)
    }
    for (const task of this.tasks.values()) task.consumedOffsets.clear()
    this.#lastCommit = Date.now()
    const latency = this.#lastCommit - started
    this.metrics.commits++
    this.metrics.commitLatencyMsTotal += latency
    this.metrics.commitLatencyMsMax = Math.max(this.metrics.commitLatencyMsMax, latency)
  }

  /** Commits, writes checkpoints and closes every task (clean shutdown). */
  async shutdown (): Promise<void> {
    this.#running = false
    await this.#rebalance
    try {
      await this.commit()
      this.#writeCheckpoints(this.tasks.values())
    } finally {
      for (const task of this.tasks.values()) task.close()
      this.tasks.clear()
    }
  }

  /** Aborts without committing (after a fatal error). */
  async abort (): Promise<void> {
    this.#running = false
    if (this.#eos && this.#inTransaction) {
      try {
        await this.#producer.abortTransaction()
      } catch {}
      this.#inTransaction = false
    }
    for (const task of this.tasks.values()) {
      try {
        task.close()
      } catch {}
    }
    this.tasks.clear()
  }
}
