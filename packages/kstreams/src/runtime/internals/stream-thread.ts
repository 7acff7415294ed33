// The processing loop of one KafkaStreams instance (Kafka Streams' StreamThread): poll, hand the records to the
// task manager, process, commit when due. Everything about tasks, the transaction and offsets lives in TaskManager
// and StreamsProducer; this file owns the loop, the lock and the lag figures.
//
// The client runs rebalance callbacks asynchronously, between and during consume() calls. Every step that touches
// tasks, the transaction or offsets (a batch, a rebalance step, a commit, shutdown) therefore runs under one lock, so
// a revocation can never commit halfway through a batch or race a transaction commit, and a partition's records are
// handed to its task only after the task was restored.
import type { InternalTopologyBuilder } from '../../processor/internals/internal-topology-builder.ts'
import type { StreamTask } from '../../processor/internals/stream-task.ts'
import type {
  ConsumedRecord,
  ConsumerClient,
  ProducerClient,
  TopicPartition
} from '../../internals/client/kafka-client.ts'
import { RecordCollectorImpl } from './record-collector-impl.ts'
import type { RuntimeConfig } from './runtime-config.ts'
import type { StateDirectory } from './state-directory.ts'
import { StoreChangelogReader, transientClientError } from './store-changelog-reader.ts'
import type { RestoreMetrics } from './store-changelog-reader.ts'
import { StreamsProducer } from './streams-producer.ts'
import type { ProducerMetrics } from './streams-producer.ts'
import { TaskManager } from './task-manager.ts'
import type { TaskManagerMetrics } from './task-manager.ts'
import type { TopicPlan } from './topic-plan.ts'

export type ThreadMetrics = TaskManagerMetrics & ProducerMetrics & RestoreMetrics

export interface PartitionLag {
  readonly topic: string
  readonly partition: number
  /** Next offset the instance will process (its consumer position). */
  readonly position: number
  /** High watermark seen in the latest fetch; under read_committed it includes an open transaction's records. */
  readonly endOffset: number
  readonly lag: number
}

export interface ThreadHooks {
  onRebalanceStart(): void
  onRunning(): void
  /** Called after every assignment change with the task ids now owned (for instance discovery). */
  onTasksChanged(taskIds: readonly string[]): void
  log(level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>): void
  /** A consumer with manual assignment, for reading changelogs during restoration. */
  createRestoreConsumer(): Promise<ConsumerClient>
  /**
   * Closes `old` and returns a new producer with the same settings (exactly-once: same transactional.id), for a
   * producer that can no longer abort (fenced, fatal error).
   */
  replaceProducer(old: ProducerClient): Promise<ProducerClient>
}

const LAG_REFRESH_MS = 1000
const TRANSIENT_WARNING_INTERVAL_MS = 10_000
const noop = (): void => {}

export class StreamThread {
  readonly #config: RuntimeConfig
  readonly #plan: TopicPlan
  readonly #consumer: ConsumerClient
  readonly #hooks: ThreadHooks
  readonly #eos: boolean
  readonly #producer: StreamsProducer
  readonly #tasks: TaskManager
  readonly metrics: ThreadMetrics = {
    recordsProcessed: 0,
    commits: 0,
    commitLatencyMsTotal: 0,
    commitLatencyMsMax: 0,
    restoredRecords: 0,
    restoring: 0,
    staleRecordsSkipped: 0,
    abortedTransactions: 0,
    producerReplacements: 0,
    transactionRetries: 0,
    droppedRecordsOfClosedTasks: 0
  }

  /** Consumer lag per assigned source partition, refreshed about once a second from the client's memory. */
  lag: readonly PartitionLag[] = []
  /** Records processed per second over the last refresh interval (about a second). */
  processRate = 0
  #rateBase = 0
  #lastLag = 0
  #fatal: unknown = null
  #running = false
  // Rebalance callbacks that arrived and wait for the lock.
  #pendingRebalances = 0
  #lock: Promise<void> = Promise.resolve()
  /** consume() calls issued so far, and the one under way. */
  #consumeSeq = 0
  #inflight: Promise<unknown> | null = null
  #lastTransient = ''
  #lastTransientAt = 0

  constructor(
    config: RuntimeConfig,
    builder: InternalTopologyBuilder,
    plan: TopicPlan,
    consumer: ConsumerClient,
    producer: ProducerClient,
    stateDirectory: StateDirectory,
    hooks: ThreadHooks
  ) {
    this.#config = config
    this.#plan = plan
    this.#consumer = consumer
    this.#hooks = hooks
    this.#eos = config.processingGuarantee === 'exactly_once_v2'
    this.#producer = new StreamsProducer(producer, this.#eos, hooks, this.metrics)
    const thread = this
    this.#tasks = new TaskManager({
      config,
      builder,
      plan,
      consumer,
      producer: this.#producer,
      collector: new RecordCollectorImpl(this.#producer),
      changelogReader: new StoreChangelogReader(builder, hooks, this.metrics),
      stateDirectory,
      hooks,
      metrics: this.metrics,
      poll: {
        get pendingRebalances() {
          return thread.#pendingRebalances
        },
        nextConsumeSeq: () => this.#consumeSeq + 1,
        awaitInflight: async () => {
          if (this.#inflight !== null) await this.#inflight.catch(noop)
        }
      }
    })
  }

  /** The tasks this instance owns, by task id. */
  get tasks(): ReadonlyMap<string, StreamTask> {
    return this.#tasks.tasks
  }

  /** Tasks created but not restored yet: their stores must not be queried. */
  get restoringTasks(): ReadonlySet<string> {
    return this.#tasks.restoringTasks
  }

  /** Runs `fn` when no other batch, rebalance step, commit or shutdown is running. */
  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#lock.then(fn)
    this.#lock = result.then(noop, noop)
    return result
  }

  /**
   * A rebalance callback: announced at once, run under the lock. #pendingRebalances tells the loop's own steps that
   * one is waiting (a step waiting on the broker gives way to it), until it holds the lock. Its error stops the loop.
   */
  #rebalance(step: () => Promise<void>): Promise<void> {
    this.#hooks.onRebalanceStart()
    this.#pendingRebalances++
    return this.#exclusive(() => {
      this.#pendingRebalances--
      return step()
    }).catch((error: unknown) => {
      this.#fatal ??= error
    })
  }

  async run(): Promise<void> {
    this.#running = true
    await this.#producer.initTransactions()
    this.#consumer.subscribe(this.#plan.subscription, {
      onPartitionsAssigned: (p) =>
        this.#rebalance(async () => {
          await this.#tasks.handleAssignment(p)
          this.#lastLag = 0
          if (this.#running) this.#hooks.onRunning()
        }),
      onPartitionsRevoked: (p) => this.#rebalance(() => this.#onRevoked(p, false)),
      onPartitionsLost: (p) => this.#rebalance(() => this.#onRevoked(p, true))
    })
    // At-least-once: the next consume() is issued before a batch is processed, so the binding fetches and converts
    // it on its worker thread while this one processes (the loop otherwise waits for each call). Its records are
    // handled exactly as those of a call made later: a rewind waits for it, and records it fetched before an
    // assignment are skipped (validFrom). Not under exactly-once (see docs/benchmarks.md).
    const prefetch = !this.#eos
    let next: { seq: number; inflight: Promise<ConsumedRecord[]>; uncommitted: boolean } | null = null
    try {
      while (this.#running && this.#fatal === null) {
        let call = next
        next = null
        if (call === null) {
          const uncommitted = this.#tasks.uncommitted()
          call = {
            seq: ++this.#consumeSeq,
            inflight: this.#consumer.consume(this.#config.maxPollRecords, this.#pollTimeout(uncommitted)),
            uncommitted
          }
        }
        this.#inflight = call.inflight
        let records: ConsumedRecord[]
        try {
          records = await call.inflight
        } catch (error) {
          this.#inflight = null
          if (!transientClientError(error)) throw error
          // librdkafka reports conditions it recovers from by itself through consume(), e.g. "unknown topic or
          // partition" for a just-created internal topic that its metadata does not show yet.
          this.#warnTransient(error as Error)
          records = []
        }
        this.#inflight = null
        if (prefetch && records.length > 0 && this.#running) {
          // After this batch there is uncommitted work: the call waits no longer than until its commit is due.
          const inflight = this.#consumer.consume(this.#config.maxPollRecords, this.#pollTimeout(true))
          inflight.catch(noop) // awaited (and its error handled) on the next turn
          next = { seq: ++this.#consumeSeq, inflight, uncommitted: true }
          this.#inflight = inflight
        }
        // `commit.idle.ms`: nothing came while results wait for a commit.
        const idle = call.uncommitted && records.length === 0 && this.#config.commitIdleMs >= 0
        const seq = call.seq
        await this.#exclusive(() => this.#iterate(records, seq, idle))
      }
    } finally {
      // Not processed, not committed; the clients close only once that call has returned.
      if (next !== null) await next.inflight.catch(noop)
    }
    if (this.#fatal !== null) throw this.#fatal
  }

  stop(): void {
    this.#running = false
  }

  async #onRevoked(partitions: readonly TopicPartition[], lost: boolean): Promise<void> {
    // After a fatal error nothing more is committed: the records since the last commit are redone by the next owner.
    await this.#tasks.handleRevocation(partitions, lost, this.#fatal !== null)
  }

  /**
   * How long the next consume() may wait for a first record: `poll.ms`, but at-least-once with records processed
   * since the last commit no longer than until the next commit is due (or than `commit.idle.ms` when set). Otherwise,
   * with a `commit.interval.ms` below `poll.ms`, the results of a lone record would stay in the record cache (and
   * uncommitted) until a next record or the end of a full poll, instead of at the commit interval.
   */
  #pollTimeout(uncommitted: boolean): number {
    const { pollMs, commitIntervalMs, commitIdleMs } = this.#config
    // Exactly-once keeps full polls: a transaction is not committed sooner for a shorter poll.
    if (!uncommitted || this.#eos) return pollMs
    const due = Math.max(0, this.#tasks.lastCommit + commitIntervalMs - Date.now())
    return Math.min(pollMs, due, commitIdleMs >= 0 ? commitIdleMs : pollMs)
  }

  #warnTransient(error: Error): void {
    const now = Date.now()
    if (error.message === this.#lastTransient && now - this.#lastTransientAt < TRANSIENT_WARNING_INTERVAL_MS) return
    this.#lastTransient = error.message
    this.#lastTransientAt = now
    this.#hooks.log('warn', `${error.message} (retrying)`)
  }

  async #iterate(records: readonly ConsumedRecord[], seq: number, idle: boolean): Promise<void> {
    // After a failure or stop(): not processed, not committed; the next owner (or the next start) reads them again.
    if (this.#fatal !== null || !this.#running) return
    try {
      await this.#tasks.maybeRewind()
      this.#tasks.addRecords(records, seq)
      if (!(await this.#tasks.beginTransaction())) return
      const commitRequested = await this.#tasks.process()
      const now = Date.now()
      if (now - this.#lastLag >= LAG_REFRESH_MS) this.#refreshLag(now)
      await this.#tasks.maybeCommit(commitRequested || idle)
    } catch (error) {
      // A processing or deserialization failure the handlers chose to fail on, or a failure nothing recovers from:
      // the instance stops (as Kafka Streams' stream thread dies); under exactly-once nothing of this transaction
      // becomes visible.
      this.#fatal ??= error
      throw error
    }
  }

  #refreshLag(now: number): void {
    const seconds = (now - this.#lastLag) / 1000
    if (this.#lastLag > 0 && seconds > 0) this.processRate = (this.metrics.recordsProcessed - this.#rateBase) / seconds
    this.#rateBase = this.metrics.recordsProcessed
    this.#lastLag = now
    const partitions = this.#tasks.ownedPartitions()
    const positions = this.#consumer.positions?.(partitions) ?? []
    const out: PartitionLag[] = []
    for (let i = 0; i < partitions.length; i++) {
      const p = partitions[i] as TopicPartition
      const end = this.#consumer.cachedHighWatermark?.(p)
      if (end === undefined) continue
      // The client knows a position only once it returned a record of the partition since the last seek.
      const reported = positions[i]?.offset ?? -1
      const position = reported >= 0 ? reported : this.#tasks.committedOffset(p)
      if (position < 0) continue
      out.push({ topic: p.topic, partition: p.partition, position, endOffset: end, lag: Math.max(0, end - position) })
    }
    this.lag = out
    // Until every partition has a fetch answer, look again soon instead of in a second.
    if (out.length < partitions.length) this.#lastLag = now - LAG_REFRESH_MS + 100
  }

  /** Commits, writes checkpoints and closes every task (clean shutdown); aborts instead when the commit fails. */
  async shutdown(): Promise<void> {
    this.#running = false
    await this.#exclusive(() => this.#tasks.shutdown(this.#fatal === null))
  }

  /** Aborts without committing (after a fatal error). */
  async abort(): Promise<void> {
    this.#running = false
    await this.#exclusive(() => this.#tasks.closeDirty())
  }
}
