// The processing loop of one KafkaStreams instance: poll, hand records to their tasks, process, commit.
// Tasks are created on assignment and restored from their changelogs before they see a record; on revocation they
// are committed (or, under exactly-once, their transaction committed) and closed.
//
// The client runs rebalance callbacks asynchronously, between and during consume() calls. Every step that touches
// tasks, the transaction or offsets (a batch, a rebalance step, a commit, shutdown) therefore runs under one lock, so
// a revocation can never commit halfway through a batch or race a transaction commit, and a partition's records are
// handed to its task only after the task was restored.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { StreamsError } from '../../errors.ts'
import type { InternalTopologyBuilder } from '../../processor/internals/internal-topology-builder.ts'
import { StreamTask, isSchemaFetch } from '../../processor/internals/stream-task.ts'
import type { Headers } from '../../processor/record.ts'
import { SchemaRegistryError } from '../../serdes/schema-errors.ts'
import { KafkaClientError } from '../../internals/client/client-error.ts'
import type {
  ConsumedRecord,
  ConsumerClient,
  DeliveryCallback,
  ProducerClient,
  TopicPartition,
  TopicPartitionOffset
} from '../../internals/client/kafka-client.ts'
import type { RuntimeConfig } from './runtime-config.ts'
import type { TopicPlan } from './topic-plan.ts'

export interface ThreadMetrics {
  recordsProcessed: number
  commits: number
  commitLatencyMsTotal: number
  commitLatencyMsMax: number
  restoredRecords: number
  restoring: number
  /** Records fetched before their partition was (re)assigned or rewound: not processed, fetched again. */
  staleRecordsSkipped: number
  /** Exactly-once: transactions aborted after a failed send or commit, each followed by a restore. */
  abortedTransactions: number
  /** Producers replaced because they could no longer abort (fenced or fatal). */
  producerReplacements: number
  /** Exactly-once: transactional calls retried after a retriable error (timeout, coordinator unavailable). */
  transactionRetries: number
  /** Dropped-records counts of tasks that were closed (the open tasks keep their own). */
  droppedRecordsOfClosedTasks: number
}

export interface PartitionLag {
  readonly topic: string
  readonly partition: number
  /** Next offset the instance will process (its consumer position). */
  readonly position: number
  /** High watermark (last stable offset under read_committed) seen in the latest fetch. */
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

interface PendingSend {
  readonly topic: string
  readonly partition: number | undefined
  readonly key: Buffer | null
  readonly value: Buffer | null
  readonly headers: Headers
  readonly timestamp: number
}

interface OwnedPartition {
  readonly topic: string
  readonly partition: number
  readonly task: StreamTask
  /**
   * Number of the first consume() call whose records count for this partition. Calls issued earlier may return
   * records of an earlier assignment (or of a position before the seek that started this one): they are skipped
   * and fetched again from the committed offset.
   */
  validFrom: number
  /** Committed offset when adopted (-1 when none): the position until the client reports one. */
  start: number
}

interface RestoreWork {
  readonly task: StreamTask
  readonly topic: string
  readonly restore: (batch: RestoreBatch) => void
  readonly from: number
}

interface RestoreEntry {
  readonly w: RestoreWork
  readonly high: number
  position: number
  done: boolean
}

type RestoreBatch = Array<{ key: Buffer; value: Buffer | null; timestamp: number }>

const LAG_REFRESH_MS = 1000
const RESTORE_TIMEOUT_MS = 300_000
const OFFSET_BEGINNING = -2
const OFFSET_END = -1
const noop = (): void => {}

/** A client error the client recovers from (librdkafka flags the ones it cannot recover from as fatal). */
function transient(error: unknown): boolean {
  const e = error as { kafkaCode?: unknown; fatal?: unknown }
  return typeof e?.kafkaCode === 'number' && e.fatal !== true
}

export class StreamThread {
  readonly #config: RuntimeConfig
  readonly #builder: InternalTopologyBuilder
  readonly #plan: TopicPlan
  readonly #consumer: ConsumerClient
  #producer: ProducerClient
  readonly #hooks: ThreadHooks
  readonly #eos: boolean
  readonly tasks = new Map<string, StreamTask>()
  /** Source topic → owned partitions by partition number. */
  readonly #owned = new Map<string, Array<OwnedPartition | undefined>>()
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
  /** Tasks created but not restored yet: their stores must not be queried. */
  readonly restoringTasks = new Set<string>()
  #rateBase = 0
  #sendError: Error | null = null
  #fatal: unknown = null
  #overflow: PendingSend[] = []
  #running = false
  #inTransaction = false
  #lastCommit = Date.now()
  #lastLag = 0
  #lastSchemaWarning = 0
  // Rebalance callbacks that arrived and wait for the lock.
  #pendingRebalances = 0
  // Partitions adopted by a recovery whose committed offsets could not be read yet (their records are not processed).
  #unrewound: TopicPartition[] = []
  #lock: Promise<void> = Promise.resolve()
  /** consume() calls issued so far, and the one under way. */
  #consumeSeq = 0
  #inflight: Promise<unknown> | null = null
  /** Where a partition without committed offset starts (auto.offset.reset). */
  readonly #resetOffset: number
  // Delivery reports of records sent before an abort belong to an earlier epoch and are ignored.
  #epoch = 0
  #onDelivery: DeliveryCallback

  constructor(
    config: RuntimeConfig,
    builder: InternalTopologyBuilder,
    plan: TopicPlan,
    consumer: ConsumerClient,
    producer: ProducerClient,
    hooks: ThreadHooks
  ) {
    this.#config = config
    this.#builder = builder
    this.#plan = plan
    this.#consumer = consumer
    this.#producer = producer
    this.#hooks = hooks
    this.#eos = config.processingGuarantee === 'exactly_once_v2'
    this.#onDelivery = this.#deliveryCallback()
    const reset = String(config.consumer['auto.offset.reset'] ?? config.common['auto.offset.reset'] ?? 'earliest')
    this.#resetOffset = reset === 'latest' || reset === 'largest' || reset === 'end' ? OFFSET_END : OFFSET_BEGINNING
  }

  #deliveryCallback(): DeliveryCallback {
    const epoch = this.#epoch
    return (error) => {
      if (epoch !== this.#epoch) return
      if (error !== null) this.#sendError ??= error
    }
  }

  /** Runs `fn` when no other batch, rebalance step, commit or shutdown is running. */
  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#lock.then(fn)
    this.#lock = result.then(noop, noop)
    return result
  }

  // ---- sending -------------------------------------------------------------------------------------------

  #send(
    topic: string,
    partition: number | undefined,
    k: Buffer | null,
    v: Buffer | null,
    headers: Headers,
    timestamp: number
  ): void {
    let accepted: boolean
    try {
      accepted =
        this.#overflow.length === 0 &&
        this.#producer.produce({ topic, partition, key: k, value: v, headers, timestamp }, this.#onDelivery)
    } catch (error) {
      if (!producerStateError(error)) throw error
      // The producer refuses every send until its transaction is aborted (or it is replaced): a failed write like
      // any other, found after the batch, which aborts and restores (exactly-once) or stops (at-least-once). Thrown
      // into the processor it would look like a bug in the user's code and go to the processing handler.
      this.#sendError ??= error as Error
      return
    }
    if (!accepted) {
      // The client's queue is full: keep order by queueing everything behind the first refused record.
      this.#overflow.push({ topic, partition, key: k, value: v, headers, timestamp })
    }
  }

  async #drainOverflow(): Promise<void> {
    while (this.#overflow.length > 0) {
      const r = this.#overflow[0] as PendingSend
      if (
        this.#producer.produce(
          {
            topic: r.topic,
            partition: r.partition,
            key: r.key,
            value: r.value,
            headers: r.headers,
            timestamp: r.timestamp
          },
          this.#onDelivery
        )
      ) {
        this.#overflow.shift()
      } else {
        await this.#producer.flush(30_000)
      }
    }
  }

  #checkSendError(): void {
    if (this.#sendError !== null) {
      const error = this.#sendError
      throw new StreamsError('KAFKA_CLIENT', `a record could not be written: ${error.message}`, { cause: error })
    }
  }

  // ---- tasks ---------------------------------------------------------------------------------------------

  #taskDir(taskId: string): string {
    return join(this.#config.stateDir, this.#config.applicationId, taskId)
  }

  #checkpointFile(taskId: string): string {
    return join(this.#taskDir(taskId), '.checkpoint')
  }

  #createTask(subtopology: number, partition: number): StreamTask {
    const taskId = `${subtopology}_${partition}`
    const existing = this.tasks.get(taskId)
    if (existing !== undefined) return existing
    const sub = this.#plan.subtopologies.find((s) => s.id === subtopology)
    if (sub === undefined) throw new StreamsError('ILLEGAL_STATE', `unknown sub-topology ${subtopology}`)
    const stateDir = this.#taskDir(taskId)
    // Under exactly-once, local state without a checkpoint (a crash, an abort) may hold uncommitted writes that the
    // changelog never got: it is wiped and rebuilt from the changelog, as Kafka Streams does for a corrupted task.
    if (this.#eos && !existsSync(this.#checkpointFile(taskId))) rmSync(stateDir, { recursive: true, force: true })
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
      deadLetterQueueTopic: this.#config.deadLetterQueueTopic,
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

  /** Reads each store's changelog partition from its checkpoint (or the start) to its end and replays it. */
  async #restore(tasks: StreamTask[]): Promise<void> {
    const work: RestoreWork[] = []
    for (const task of tasks) {
      let checkpoint: Record<string, number> = {}
      try {
        checkpoint = JSON.parse(readFileSync(this.#checkpointFile(task.taskId), 'utf8')) as Record<string, number>
      } catch {}
      // A checkpoint is valid for one start only: while the task runs the store moves past it.
      rmSync(this.#checkpointFile(task.taskId), { force: true })
      for (const { store, restore } of task.registeredStores()) {
        const factory = this.#builder.stateFactories.get(store.name)
        if (factory === undefined || !factory.builder.loggingEnabled) continue
        const topic = task.changelogFor(store.name)
        const from = store.persistent() ? (checkpoint[topic] ?? 0) : 0
        work.push({ task, topic, restore, from })
      }
    }
    if (work.length === 0) return
    const consumer = await this.#hooks.createRestoreConsumer()
    try {
      await this.#restoreAll(consumer, work)
    } finally {
      this.metrics.restoring = 0
      await consumer.close()
    }
  }

  /**
   * Replays every changelog partition of `work` at once, each from its start to the end offset measured first.
   * Under read_committed the end is the last stable offset: an open transaction of a crashed instance is not restored
   * (it will be aborted), and nobody can have committed after it (KIP-447 makes them wait for it).
   */
  /**
   * End offsets of a changelog partition. A changelog created moments ago may not have a leader yet ("not leader
   * for partition", "leader not available"): those errors are retried until a deadline, as Kafka Streams waits for
   * new internal topics.
   */
  async #watermarksWithRetry(
    consumer: ConsumerClient,
    topic: string,
    partition: number
  ): Promise<{ low: number; high: number }> {
    const deadline = Date.now() + 60_000
    for (let attempt = 0; ; attempt++) {
      try {
        return await consumer.watermarks({ topic, partition })
      } catch (error) {
        if (!transient(error) || Date.now() > deadline) throw error
        this.#hooks.log(
          'info',
          `end offsets of ${topic}-${partition} not available yet, retrying: ${(error as Error).message}`
        )
        await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** attempt)))
      }
    }
  }

  async #restoreAll(consumer: ConsumerClient, work: RestoreWork[]): Promise<void> {
    // The end offsets are asked before anything is assigned: a request queued behind a fetch waiting for data on an
    // idle partition would wait for that fetch (fetch.wait.max.ms, 500 ms each).
    const ends = await Promise.all(work.map((w) => this.#watermarksWithRetry(consumer, w.topic, w.task.partition)))
    const active = new Map<string, Array<RestoreEntry | undefined>>()
    const pending: TopicPartition[] = []
    for (const [i, w] of work.entries()) {
      const high = (ends[i] as { high: number }).high
      this.#hooks.log('info', 'restoring', { topic: w.topic, partition: w.task.partition, from: w.from, to: high })
      if (high <= w.from) continue
      let list = active.get(w.topic)
      if (list === undefined) active.set(w.topic, (list = []))
      list[w.task.partition] = { w, high, position: w.from, done: false }
      pending.push({ topic: w.topic, partition: w.task.partition })
    }
    if (pending.length === 0) return
    this.metrics.restoring = pending.length
    await consumer.assign(pending.map((p) => ({ ...p, offset: active.get(p.topic)?.[p.partition]?.w.from ?? 0 })))
    const deadline = Date.now() + RESTORE_TIMEOUT_MS
    let remaining = pending
    const batches = new Map<RestoreEntry, RestoreBatch>()
    for (;;) {
      // The client's position moves past transaction markers, which are never returned as records.
      const positions = consumer.positions?.(remaining) ?? []
      remaining = remaining.filter((p, i) => {
        const entry = active.get(p.topic)?.[p.partition]
        if (entry === undefined) return false
        const known = positions[i]?.offset ?? -1
        if (known > entry.position) entry.position = known
        if (entry.position < entry.high) return true
        entry.done = true
        this.metrics.restoring--
        return false
      })
      if (remaining.length === 0) return
      if (Date.now() > deadline) {
        const p = remaining[0] as TopicPartition
        throw new StreamsError(
          'TIMEOUT',
          `restoring ${p.topic} partition ${p.partition} did not reach its end offset within ${RESTORE_TIMEOUT_MS} ms`,
          { topic: p.topic, partition: p.partition }
        )
      }
      const records = await consumer.consume(5000, 100)
      batches.clear()
      for (const r of records) {
        const entry = active.get(r.topic)?.[r.partition]
        // Past the end measured first (or finished): written after the restore began, not part of this state.
        if (entry === undefined || entry.done || r.offset >= entry.high) continue
        let batch = batches.get(entry)
        if (batch === undefined) batches.set(entry, (batch = []))
        batch.push({ key: r.key as Buffer, value: r.value, timestamp: r.timestamp })
        entry.position = Math.max(entry.position, r.offset + 1)
      }
      for (const [entry, batch] of batches) {
        entry.w.restore(batch)
        this.metrics.restoredRecords += batch.length
      }
    }
  }

  /**
   * After a successful commit: each persistent store's changelog end offset becomes its checkpoint, so the next start
   * restores only what was written after it. The task is its changelog partition's only writer and everything it
   * wrote is acknowledged, so the end offset is right after its last write. A store whose end cannot be read gets no
   * checkpoint (a full restore next time, never a wrong one).
   */
  async #writeCheckpoints(task: StreamTask): Promise<void> {
    const offsets: Record<string, number> = {}
    for (const { store } of task.registeredStores()) {
      const factory = this.#builder.stateFactories.get(store.name)
      if (!store.persistent() || factory === undefined || !factory.builder.loggingEnabled) continue
      const topic = task.changelogFor(store.name)
      try {
        offsets[topic] = (await this.#consumer.watermarks({ topic, partition: task.partition }, 10_000)).high
      } catch (error) {
        this.#hooks.log('warn', `no checkpoint for ${topic}-${task.partition}: ${(error as Error)?.message}`)
      }
    }
    mkdirSync(this.#taskDir(task.taskId), { recursive: true })
    writeFileSync(this.#checkpointFile(task.taskId), JSON.stringify(offsets))
  }

  #ownedPartitions(): TopicPartition[] {
    const out: TopicPartition[] = []
    for (const [topic, list] of this.#owned) {
      for (const p of list) if (p !== undefined) out.push({ topic, partition: p.partition })
    }
    return out
  }

  /** Creates (and restores) the tasks of `partitions`, then learns where each partition's processing resumes. */
  async #adopt(partitions: readonly TopicPartition[], quick = false): Promise<void> {
    const created: StreamTask[] = []
    const adopted: TopicPartition[] = []
    for (const p of partitions) {
      const sub = this.#plan.subtopologyOfTopic.get(p.topic)
      if (sub === undefined) continue
      const fresh = !this.tasks.has(`${sub}_${p.partition}`)
      const task = this.#createTask(sub, p.partition)
      if (fresh) created.push(task)
      let list = this.#owned.get(p.topic)
      if (list === undefined) this.#owned.set(p.topic, (list = []))
      list[p.partition] = {
        topic: p.topic,
        partition: p.partition,
        task,
        validFrom: Number.MAX_SAFE_INTEGER,
        start: -1
      }
      adopted.push(p)
    }
    for (const task of created) this.restoringTasks.add(task.taskId)
    try {
      await this.#restore(created)
    } finally {
      for (const task of created) this.restoringTasks.delete(task.taskId)
    }
    if (adopted.length === 0) return
    // A consume() call under way may return records fetched for an earlier assignment of these partitions, or from a
    // position that does not match the restored state (an earlier owner's uncommitted work), mixed with records of
    // this assignment. Offsets alone cannot tell them apart (a stale batch can start past a gap of records processed
    // but never committed, which a later fetch would then skip). So: let that call finish, move every adopted
    // partition to its committed offset (stable under read_committed, KIP-447), and count only the records of calls
    // issued after the seek; the call's records of these partitions are fetched again.
    await this.#rewind(adopted, quick)
  }

  /**
   * Moves adopted partitions to their committed offsets and lets their records through from the next consume() on.
   * `quick`: one attempt to read the committed offsets (recovery inside a batch, where no rebalance callback can
   * arrive: waiting longer could wait for a rebalance that waits for us).
   */
  async #rewind(adopted: readonly TopicPartition[], quick: boolean): Promise<void> {
    const committed = await this.#committed(adopted, quick)
    if (this.#inflight !== null) await this.#inflight.catch(noop)
    for (const c of committed) {
      const owned = this.#owned.get(c.topic)?.[c.partition]
      if (owned !== undefined) owned.start = c.offset
      try {
        await this.#consumer.seek({
          topic: c.topic,
          partition: c.partition,
          offset: c.offset >= 0 ? c.offset : this.#resetOffset
        })
      } catch (error) {
        // "Erroneous state": the partition left the assignment meanwhile (a new rebalance); it is adopted afresh
        // when assigned again, and its records are not processed before (validFrom not reached).
        if (error instanceof KafkaClientError && error.kafkaCode === ERR_STATE) throw new RebalancePending(error)
        throw error
      }
    }
    const validFrom = this.#consumeSeq + 1
    for (const p of adopted) {
      const owned = this.#owned.get(p.topic)?.[p.partition]
      if (owned !== undefined) owned.validFrom = validFrom
    }
    this.#hooks.log('info', 'partitions adopted', {
      committed: committed.map((c) => `${c.topic}-${c.partition}@${c.offset}`).join(' ')
    })
  }

  async #committed(partitions: readonly TopicPartition[], quick = false): Promise<TopicPartitionOffset[]> {
    // A crashed instance's open transaction keeps its offsets unstable until the broker aborts it.
    const deadline = Date.now() + RESTORE_TIMEOUT_MS
    for (;;) {
      try {
        return await this.#consumer.committed(partitions, 30_000)
      } catch (error) {
        // The group may be rebalancing (e.g. our session timed out during a broker outage): the coordinator will not
        // answer until the rebalance completes, and its callback waits for us. Give way; the partitions are rewound
        // later (see #iterate) or adopted afresh by the assignment that follows.
        if (quick || this.#pendingRebalances > 0) throw new RebalancePending(error)
        if (Date.now() > deadline) throw error
        this.#hooks.log('warn', `fetching committed offsets failed, retrying: ${(error as Error).message}`)
      }
    }
  }

  async #closeTasks(tasks: Iterable<StreamTask>, clean: boolean): Promise<void> {
    for (const task of [...tasks]) {
      if (clean) await this.#writeCheckpoints(task)
      try {
        task.close()
      } catch (error) {
        this.#hooks.log('warn', `closing task ${task.taskId} failed: ${(error as Error).message}`)
      }
      this.tasks.delete(task.taskId)
      this.metrics.droppedRecordsOfClosedTasks += task.droppedRecords.total
      for (const topic of task.sourceTopics()) {
        const list = this.#owned.get(this.#decorate(topic))
        if (list !== undefined) list[task.partition] = undefined
      }
    }
  }

  #decorate(topic: string): string {
    return this.#builder.internalTopics.has(topic) ? `${this.#config.applicationId}-${topic}` : topic
  }

  async #onAssigned(partitions: readonly TopicPartition[]): Promise<void> {
    this.#consumer.pause(partitions)
    try {
      await this.#adopt(partitions)
    } catch (error) {
      if (!(error instanceof RebalancePending)) throw error
      this.#hooks.log('warn', `assignment superseded by a new rebalance: ${error.message}`)
    } finally {
      this.#consumer.resume(partitions)
    }
    this.#hooks.onTasksChanged([...this.tasks.keys()])
    this.#lastLag = 0
    if (this.#running) this.#hooks.onRunning()
  }

  async #onRevoked(partitions: readonly TopicPartition[], lost: boolean): Promise<void> {
    const revoked = new Set(partitions.map((p) => `${p.topic}:${p.partition}`))
    this.#unrewound = this.#unrewound.filter((p) => !revoked.has(`${p.topic}:${p.partition}`))
    this.#hooks.log('info', lost ? 'partitions lost' : 'partitions revoked', { partitions: partitions.length })
    const affected = new Set<StreamTask>()
    for (const p of partitions) {
      const owned = this.#owned.get(p.topic)?.[p.partition]
      if (owned !== undefined) affected.add(owned.task)
    }
    // After a fatal error nothing more is committed: the records since the last commit are redone by the next owner.
    let clean = !lost && this.#fatal === null
    if (clean) {
      try {
        await this.#commit()
      } catch (error) {
        // The group moved on (or the producer failed): the work since the last commit will be redone by the next
        // owner, so the local state of these tasks is not trusted any more.
        this.#hooks.log(
          'warn',
          `commit on revocation failed; closing the tasks without checkpoint: ${(error as Error).message}`
        )
        clean = false
      }
    }
    if (!clean) await this.#abortOrReplaceProducer(new Error('commit on revocation failed'))
    // Under eager rebalancing every task is revoked; the other tasks' records were committed above too.
    await this.#closeTasks(affected, clean)
    for (const p of partitions) {
      const list = this.#owned.get(p.topic)
      if (list !== undefined) list[p.partition] = undefined
    }
    this.#hooks.onTasksChanged([...this.tasks.keys()])
  }

  async #abortTransaction(): Promise<void> {
    this.#overflow = []
    try {
      if (this.#eos && this.#inTransaction) {
        this.#inTransaction = false
        this.metrics.abortedTransactions++
        await this.#retrying('aborting the transaction', () => this.#producer.abortTransaction(TXN_CALL_TIMEOUT_MS))
      }
    } finally {
      // After the abort: the failure reports of the records it purged belong to the old epoch and are ignored.
      this.#epoch++
      this.#onDelivery = this.#deliveryCallback()
      this.#sendError = null
    }
  }

  /**
   * Runs a transactional call, calling it again (same arguments) while it fails with an error the client marks
   * retriable — librdkafka's rule: a timeout, an unavailable or moving coordinator, a concurrent transaction still
   * completing on the broker are retried; an abortable error aborts and a fatal one needs a new producer (the callers
   * do that). Aborting on a retriable error instead only starts another call that waits on the same broker, and one
   * made while the first still runs in the client is refused as conflicting. Gives up after TXN_RETRY_BUDGET_MS.
   */
  async #retrying(what: string, call: () => Promise<void>): Promise<void> {
    const giveUpAt = Date.now() + TXN_RETRY_BUDGET_MS
    for (let attempt = 1; ; attempt++) {
      try {
        await call()
        return
      } catch (error) {
        if (!retriableTxnError(error) || Date.now() >= giveUpAt) throw error
        this.metrics.transactionRetries++
        this.#hooks.log(
          'warn',
          `${what} failed with a retriable error, calling it again (attempt ${attempt + 1}): ${(error as Error).message}`
        )
        await new Promise((resolve) => setTimeout(resolve, Math.min(TXN_RETRY_BACKOFF_MAX_MS, 100 * 2 ** attempt)))
      }
    }
  }

  /** Aborts the open transaction; a producer that cannot abort any more is replaced (which aborts on the broker). */
  async #abortOrReplaceProducer(cause: unknown): Promise<void> {
    try {
      // Bounded: the client adapter puts a deadline on each call, #retrying a budget on the retries.
      await this.#abortTransaction()
    } catch (abortError) {
      // The producer cannot abort (fenced after a transaction timeout, or a fatal idempotence error): a new producer
      // with the same transactional.id fences this one, and the broker aborts its open transaction.
      this.#hooks.log(
        'warn',
        `the transaction could not be aborted (${(abortError as Error)?.message ?? String(abortError)}); replacing the producer`
      )
      try {
        this.#producer = await this.#hooks.replaceProducer(this.#producer)
        this.metrics.producerReplacements++
        // The broker answers "concurrent transactions" until it has aborted the old producer's transaction (its
        // markers may wait for a partition leader after a broker failure): retried, not a reason to give up.
        await this.#retrying('initializing transactions', () => this.#producer.initTransactions())
      } catch (replaceError) {
        throw new StreamsError(
          'KAFKA_CLIENT',
          `the transaction could not be aborted after a failure (${(cause as Error)?.message ?? String(cause)}), and no new producer could be set up: ${(replaceError as Error)?.message ?? String(replaceError)}`,
          { cause: replaceError }
        )
      }
    }
  }

  /**
   * Exactly-once recovery from a failed send or commit: abort the transaction, throw away every task's state, restore
   * it from the changelogs and rewind the input to the committed offsets, so the aborted records are processed again.
   */
  async #recover(error: unknown): Promise<void> {
    this.#hooks.log(
      'warn',
      `transaction failed, aborting and restoring state: ${(error as Error)?.message ?? String(error)}`
    )
    await this.#abortOrReplaceProducer(error)
    const partitions = this.#ownedPartitions()
    await this.#closeTasks([...this.tasks.values()], false)
    this.#owned.clear()
    // Restores the stores and rewinds every partition to its committed offset.
    try {
      await this.#adopt(partitions, true)
    } catch (adoptError) {
      if (!(adoptError instanceof RebalancePending)) throw adoptError
      // The partitions stay unprocessed (validFrom not reached) until they are rewound after the next poll, or
      // revoked and reassigned by a rebalance.
      this.#unrewound = partitions.filter((p) => this.#owned.get(p.topic)?.[p.partition] !== undefined)
      this.#hooks.log(
        'warn',
        `committed offsets not available yet, will retry after the next poll: ${adoptError.message}`
      )
    }
  }

  // ---- the loop ------------------------------------------------------------------------------------------

  async run(): Promise<void> {
    this.#running = true
    if (this.#eos) await this.#producer.initTransactions()
    // A rebalance callback waits for the lock; #pendingRebalances tells the loop's own steps that one is waiting (see
    // #committed), until it holds the lock.
    const rebalance = (step: () => Promise<void>): Promise<void> => {
      this.#hooks.onRebalanceStart()
      this.#pendingRebalances++
      return this.#exclusive(() => {
        this.#pendingRebalances--
        return step()
      }).catch((error: unknown) => {
        this.#fatal ??= error
      })
    }
    this.#consumer.subscribe(this.#plan.subscription, {
      onPartitionsAssigned: (p) => rebalance(() => this.#onAssigned(p)),
      onPartitionsRevoked: (p) => rebalance(() => this.#onRevoked(p, false)),
      onPartitionsLost: (p) => rebalance(() => this.#onRevoked(p, true))
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
          const uncommitted = this.#uncommitted()
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
          if (!transient(error)) throw error
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
        await this.#exclusive(() => this.#iterate(records, call.seq, idle))
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

  /** True when records were processed since the last commit. */
  #uncommitted(): boolean {
    for (const task of this.tasks.values()) if (task.consumedOffsets.size > 0) return true
    return false
  }

  /**
   * How long the next consume() may wait for a first record: `poll.ms`, but at-least-once with records processed
   * since the last commit no longer than until the next commit is due (or than `commit.idle.ms` when set). Otherwise, with a
   * `commit.interval.ms` below `poll.ms`, the results of a lone record would stay in the record cache (and
   * uncommitted) until a next record or the end of a full poll, instead of at the commit interval.
   */
  #pollTimeout(uncommitted: boolean): number {
    const { pollMs, commitIntervalMs, commitIdleMs } = this.#config
    // Exactly-once keeps full polls, as its crash and broker-failure tests ran before; a shorter poll there is not
    // tested. (Exactly-once crash-test runs lost records with and without it: open, docs/reliability-runtime.md.)
    if (!uncommitted || this.#eos) return pollMs
    const due = Math.max(0, this.#lastCommit + commitIntervalMs - Date.now())
    return Math.min(pollMs, due, commitIdleMs >= 0 ? commitIdleMs : pollMs)
  }

  #lastTransient = ''
  #lastTransientAt = 0
  #warnTransient(error: Error): void {
    const now = Date.now()
    if (error.message === this.#lastTransient && now - this.#lastTransientAt < 10_000) return
    this.#lastTransient = error.message
    this.#lastTransientAt = now
    this.#hooks.log('warn', `${error.message} (retrying)`)
  }

  async #iterate(records: readonly ConsumedRecord[], seq: number, idle = false): Promise<void> {
    if (this.#fatal !== null || !this.#running) {
      // Not processed, not committed: the next owner (or the next start) reads them again.
      return
    }
    if (this.#unrewound.length > 0 && this.#pendingRebalances === 0) {
      const partitions = this.#unrewound.filter((p) => this.#owned.get(p.topic)?.[p.partition] !== undefined)
      try {
        await this.#rewind(partitions, true)
        this.#unrewound = []
      } catch (error) {
        if (!(error instanceof RebalancePending)) throw error
        this.#hooks.log('warn', `committed offsets still not available, will retry: ${error.message}`)
      }
    }
    let skipped = 0
    for (let i = 0; i < records.length; i++) {
      const r = records[i] as ConsumedRecord
      const owned = this.#owned.get(r.topic)?.[r.partition]
      if (owned === undefined || seq < owned.validFrom) {
        skipped++
        continue
      }
      owned.task.addRecord(r)
    }
    if (skipped > 0) {
      this.metrics.staleRecordsSkipped += skipped
      this.#hooks.log('info', `skipped ${skipped} of ${records.length} fetched records (partition moved or rewound)`)
    }
    try {
      if (this.#eos && !this.#inTransaction && this.tasks.size > 0) {
        await this.#producer.beginTransaction()
        this.#inTransaction = true
      }
    } catch (error) {
      if (this.#eos && producerStateError(error)) {
        // The producer is in a failed transaction state (e.g. "requires epoch bump" after a broker restart):
        // recover as from a failed commit; the batch's records are fetched again from the committed offsets.
        await this.#recover(error)
        return
      }
      this.#fatal = error
      throw error
    }
    let commitRequested = idle
    for (const task of this.tasks.values()) {
      const before = task.processedRecords
      for (;;) {
        try {
          while (task.process()) {
            task.maybePunctuateStreamTime()
          }
          task.maybePunctuateSystemTime()
          break
        } catch (error) {
          if (isSchemaFetch(error)) {
            // A record written with a schema this instance has not seen yet: fetch it (the only await on this
            // path, once per new schema id), then retry the record; if the registry cannot give it, the record
            // goes to the deserialization handler like any undecodable record.
            try {
              await error.fetch()
            } catch (fetchError) {
              if (isRegistryOutage(fetchError)) {
                // The registry is down or refused us (auth, 5xx, timeout): the record is not at fault. It stays at
                // the head of its queue and the next loop iteration tries again; the other tasks go on meanwhile.
                const now = Date.now()
                if (now - this.#lastSchemaWarning >= 10_000) {
                  this.#lastSchemaWarning = now
                  this.#hooks.log(
                    'warn',
                    `schema fetch failed, will retry: ${(fetchError as Error)?.message ?? String(fetchError)}`
                  )
                }
                break
              }
              this.#hooks.log('warn', `schema fetch failed: ${(fetchError as Error)?.message ?? String(fetchError)}`)
              task.schemaFetchFailed()
            }
            continue
          }
          // A processing or deserialization failure the handlers chose to fail on: the instance stops (as Kafka
          // Streams' stream thread dies); under exactly-once nothing of this transaction becomes visible.
          this.#fatal = error
          throw error
        }
      }
      this.metrics.recordsProcessed += task.processedRecords - before
      commitRequested ||= task.commitRequested
    }
    const now = Date.now()
    if (now - this.#lastLag >= LAG_REFRESH_MS) this.#refreshLag(now)
    try {
      if (this.#overflow.length > 0) await this.#drainOverflow()
      this.#checkSendError()
      if (commitRequested || now - this.#lastCommit >= this.#config.commitIntervalMs) await this.#commit()
    } catch (error) {
      if (!this.#eos) {
        // At-least-once: a record that could not be written stops the instance (Kafka Streams' default production
        // exception handler fails); nothing after the last commit was acknowledged as done.
        this.#fatal = error
        throw error
      }
      await this.#recover(error)
    }
  }

  #refreshLag(now: number): void {
    const seconds = (now - this.#lastLag) / 1000
    if (this.#lastLag > 0 && seconds > 0) this.processRate = (this.metrics.recordsProcessed - this.#rateBase) / seconds
    this.#rateBase = this.metrics.recordsProcessed
    this.#lastLag = now
    const partitions = this.#ownedPartitions()
    const positions = this.#consumer.positions?.(partitions) ?? []
    const out: PartitionLag[] = []
    for (let i = 0; i < partitions.length; i++) {
      const p = partitions[i] as TopicPartition
      const end = this.#consumer.cachedHighWatermark?.(p)
      if (end === undefined) continue
      // The client knows a position only once it returned a record of the partition since the last seek.
      const reported = positions[i]?.offset ?? -1
      const position = reported >= 0 ? reported : (this.#owned.get(p.topic)?.[p.partition]?.start ?? -1)
      if (position < 0) continue
      out.push({ topic: p.topic, partition: p.partition, position, endOffset: end, lag: Math.max(0, end - position) })
    }
    this.lag = out
    // Until every partition has a fetch answer, look again soon instead of in a second.
    if (out.length < partitions.length) this.#lastLag = now - LAG_REFRESH_MS + 100
  }

  #offsets(): TopicPartitionOffset[] {
    const out: TopicPartitionOffset[] = []
    for (const task of this.tasks.values()) {
      for (const [topic, offset] of task.consumedOffsets) {
        out.push({ topic, partition: task.partition, offset: offset + 1 })
      }
    }
    return out
  }

  /**
   * Flushes every task's stores (caches forward downstream), waits until everything is acknowledged, then commits
   * input offsets — in the same transaction under exactly-once, after the acknowledgements under at-least-once.
   */
  async #commit(): Promise<void> {
    const started = Date.now()
    for (const task of this.tasks.values()) task.flush()
    await this.#drainOverflow()
    const offsets = this.#offsets()
    if (this.#eos) {
      if (this.#inTransaction) {
        if (offsets.length > 0) {
          // Retried with the same offsets and group metadata, as librdkafka asks (the call is not resumable).
          const group = this.#consumer.groupMetadata()
          await this.#retrying('sending offsets to the transaction', () =>
            this.#producer.sendOffsetsToTransaction(offsets, group, TXN_CALL_TIMEOUT_MS)
          )
        }
        await this.#retrying('committing the transaction', () => this.#producer.commitTransaction(TXN_CALL_TIMEOUT_MS))
        this.#inTransaction = false
        this.#checkSendError()
      }
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

  /** Commits, writes checkpoints and closes every task (clean shutdown); aborts instead when the commit fails. */
  async shutdown(): Promise<void> {
    this.#running = false
    await this.#exclusive(async () => {
      let clean = this.#fatal === null
      if (clean) {
        try {
          await this.#commit()
        } catch (error) {
          this.#hooks.log('warn', `commit on close failed: ${(error as Error).message}`)
          clean = false
        }
      }
      if (!clean) {
        try {
          await this.#abortTransaction()
        } catch {}
      }
      await this.#closeTasks([...this.tasks.values()], clean)
      this.#owned.clear()
    })
  }

  /** Aborts without committing (after a fatal error). */
  async abort(): Promise<void> {
    this.#running = false
    await this.#exclusive(async () => {
      try {
        await this.#abortTransaction()
      } catch {}
      await this.#closeTasks([...this.tasks.values()], false)
      this.#owned.clear()
    })
  }
}

/**
 * True when a schema fetch failed for reasons outside the record (registry unreachable, timeout, auth, 5xx, rate
 * limit): retry rather than treat the record as poison. A 404 (unknown schema id) or an unusable schema is the
 * record's fault and goes to the deserialization handler.
 */
function isRegistryOutage(error: unknown): boolean {
  if (!(error instanceof SchemaRegistryError)) return false
  const status = error.status
  return status === undefined || status >= 500 || status === 401 || status === 403 || status === 408 || status === 429
}

/**
 * Deadline of a transactional call (send offsets, commit, abort). A transaction lives at most 10 s on the broker
 * (`transaction.timeout.ms`): waiting a minute for a call that cannot succeed (e.g. a coordinator that moved while
 * librdkafka retries a PID request) only stalls the instance; a failed call aborts and, if need be, replaces the
 * producer.
 */
const TXN_CALL_TIMEOUT_MS = 30_000

/**
 * How long a transactional call is retried on retriable errors before the instance aborts (or replaces its producer).
 * A coordinator failover heals within it; the broker aborts the open transaction by itself after
 * `transaction.timeout.ms` anyway (a retry then fails as fenced, which is not retried). The whole recovery (retries,
 * abort, a new producer, restore) must stay well within `max.poll.interval.ms`, or the consumer leaves the group.
 */
const TXN_RETRY_BUDGET_MS = 30_000
const TXN_RETRY_BACKOFF_MAX_MS = 2_000

/** An error the client says the same transactional call may be retried after (and that does not doom the transaction). */
function retriableTxnError(error: unknown): boolean {
  return error instanceof KafkaClientError && error.retriable && !error.fatal && !error.txnRequiresAbort
}

/**
 * True for a producer error that is about the producer's state, not the record: a transaction that must be aborted
 * or needs an epoch bump ("Local: Erroneous state"), a fenced or fatally failed producer.
 */
function producerStateError(error: unknown): boolean {
  if (!(error instanceof KafkaClientError)) return false
  return (
    error.fatal ||
    error.txnRequiresAbort ||
    error.kafkaCode === ERR_STATE ||
    error.kafkaCode === ERR_FENCED ||
    error.kafkaCode === ERR_FATAL ||
    /erroneous state|epoch bump|fenced/i.test(error.message)
  )
}

// librdkafka's local error codes (rdkafka.h).
const ERR_STATE = -172
const ERR_FATAL = -150
const ERR_FENCED = -144

/** A step gave way to a rebalance that is waiting for the lock (see #committed). */
class RebalancePending extends StreamsError {
  constructor(cause: unknown) {
    super('ILLEGAL_STATE', `a rebalance is pending: ${(cause as Error)?.message ?? String(cause)}`, { cause })
  }
}
