// The instance's tasks (Kafka Streams' TaskManager): created and restored on assignment, processed, committed
// together, and closed on revocation. The two sequences everything else builds on are written once each:
//
//   commitAll:  flush every task's stores → hand every record to the client → exactly-once: offsets and commit in
//               the transaction; at-least-once: wait for every acknowledgement, then commit the offsets.
//   abortAll:   abort the transaction (or replace the producer) → drop what was not sent → close every task without
//               checkpoint → restore every task from its changelog → rewind every partition to its committed offset.
//
// A commit or abort covers all tasks, because under exactly-once they share one transaction: a task that survives an
// aborted transaction lost its output with it and must be rebuilt, whichever partitions were being revoked.
import { StreamsError } from '../../errors.ts'
import { KafkaClientError } from '../../internals/client/client-error.ts'
import type {
  ConsumedRecord,
  ConsumerClient,
  TopicPartition,
  TopicPartitionOffset
} from '../../internals/client/kafka-client.ts'
import { decorateTopic, taskId } from '../../internals/names.ts'
import type { InternalTopologyBuilder } from '../../processor/internals/internal-topology-builder.ts'
import { StreamTask } from '../../processor/internals/stream-task.ts'
import type { RecordCollectorImpl } from './record-collector-impl.ts'
import type { RuntimeConfig } from './runtime-config.ts'
import type { StateDirectory } from './state-directory.ts'
import { loggedStores, transientClientError } from './store-changelog-reader.ts'
import type { StoreChangelogReader } from './store-changelog-reader.ts'
import { ERR_STATE, producerStateError } from './streams-producer.ts'
import { TaskExecutor } from './task-executor.ts'
import type { StreamsProducer } from './streams-producer.ts'
import type { TopicPlan } from './topic-plan.ts'

export interface TaskManagerMetrics {
  recordsProcessed: number
  commits: number
  commitLatencyMsTotal: number
  commitLatencyMsMax: number
  /** Records fetched before their partition was (re)assigned or rewound: not processed, fetched again. */
  staleRecordsSkipped: number
  /** Dropped-records counts of tasks that were closed (the open tasks keep their own). */
  droppedRecordsOfClosedTasks: number
}

/** What the task manager needs to know about the poll loop. */
export interface PollState {
  /** Rebalance callbacks that arrived and wait for the loop's lock. */
  readonly pendingRebalances: number
  /** Number the next consume() call will get. */
  nextConsumeSeq(): number
  /** Resolves when the consume() call under way, if any, has returned. */
  awaitInflight(): Promise<void>
}

export interface TaskManagerHooks {
  log(level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>): void
  /** Called after every assignment change with the task ids now owned (for instance discovery). */
  onTasksChanged(taskIds: readonly string[]): void
}

export interface TaskManagerDeps {
  readonly config: RuntimeConfig
  readonly builder: InternalTopologyBuilder
  readonly plan: TopicPlan
  readonly consumer: ConsumerClient
  readonly producer: StreamsProducer
  readonly collector: RecordCollectorImpl
  readonly changelogReader: StoreChangelogReader
  readonly stateDirectory: StateDirectory
  readonly poll: PollState
  readonly hooks: TaskManagerHooks
  readonly metrics: TaskManagerMetrics
}

interface OwnedPartition {
  readonly task: StreamTask
  /**
   * Number of the first consume() call whose records count for this partition. Calls issued earlier may return
   * records of an earlier assignment (or of a position before the seek that started this one): they are skipped
   * and fetched again from the committed offset.
   */
  validFrom: number
  /**
   * The group's committed offset as this instance knows it: read when the partition was adopted, then the offsets
   * of each commit it made (-1: none committed; undefined: not known, ask the broker).
   */
  committed: number | undefined
}

const OFFSET_BEGINNING = -2
const OFFSET_END = -1
const COMMITTED_DEADLINE_MS = 300_000
const COMMITTED_CALL_MS = 30_000
const CHECKPOINT_WATERMARKS_MS = 10_000
const ALO_FLUSH_MS = 60_000

const key = (p: TopicPartition): string => `${p.topic}\u0000${p.partition}`

/**
 * A rewind that could not be done now: the committed offsets could not be read (a rebalance may be waiting for the
 * lock, see #committed) or a seek failed. The partitions are rewound after a later poll or adopted afresh.
 */
export class RewindDeferred extends StreamsError {
  constructor(cause: unknown) {
    super('ILLEGAL_STATE', `rewind deferred: ${(cause as Error)?.message ?? String(cause)}`, { cause })
  }
}

export class TaskManager {
  readonly tasks = new Map<string, StreamTask>()
  /** Tasks created but not restored yet: their stores must not be queried. */
  readonly restoringTasks = new Set<string>()
  readonly #d: TaskManagerDeps
  readonly #owned = new Map<string, OwnedPartition>()
  // Partitions whose committed offsets could not be read yet (their records are not processed until they are).
  #unrewound: TopicPartition[] = []
  // Where a partition without committed offset starts (auto.offset.reset).
  readonly #resetOffset: number
  #lastCommit = Date.now()
  readonly #executor: TaskExecutor

  constructor(deps: TaskManagerDeps) {
    this.#d = deps
    this.#executor = new TaskExecutor(deps.hooks, deps.metrics)
    const { consumer, common } = deps.config
    const reset = String(consumer['auto.offset.reset'] ?? common['auto.offset.reset'] ?? 'earliest')
    this.#resetOffset = reset === 'latest' || reset === 'largest' || reset === 'end' ? OFFSET_END : OFFSET_BEGINNING
  }

  /** When the last commit completed (ms since the epoch). */
  get lastCommit(): number {
    return this.#lastCommit
  }

  /** True when records were processed since the last commit. */
  uncommitted(): boolean {
    for (const task of this.tasks.values()) if (task.consumedOffsets.size > 0) return true
    return false
  }

  ownedPartitions(): TopicPartition[] {
    return [...this.#owned.keys()].map((k) => {
      const [topic, partition] = k.split('\u0000') as [string, string]
      return { topic, partition: Number(partition) }
    })
  }

  /** The committed offset the partition's processing resumed from or last reached; -1 when not known. */
  committedOffset(p: TopicPartition): number {
    return this.#owned.get(key(p))?.committed ?? -1
  }

  // ---- assignment ----------------------------------------------------------------------------------------

  async handleAssignment(partitions: readonly TopicPartition[]): Promise<void> {
    this.#d.consumer.pause(partitions)
    try {
      await this.#adopt(partitions, false)
    } catch (error) {
      if (!(error instanceof RewindDeferred)) throw error
      // Rewound after a later poll (see maybeRewind), or adopted afresh if a rebalance takes them away first.
      this.#markUnrewound(partitions)
      this.#d.hooks.log('warn', `assignment superseded by a new rebalance: ${error.message}`)
    } finally {
      this.#d.consumer.resume(partitions)
    }
    this.#d.hooks.onTasksChanged([...this.tasks.keys()])
  }

  /**
   * Revocation (or loss) of `partitions`. A clean revocation commits every task first (Kafka Streams commits all
   * tasks that need it, as one transaction). When that is not possible — the commit failed, the membership was lost,
   * the instance failed — the transaction is aborted: the revoked tasks are closed without checkpoint, and under
   * exactly-once the tasks that stay (cooperative rebalancing) are rebuilt from their changelogs and rewound, since
   * their output since the last commit went with the transaction.
   */
  async handleRevocation(partitions: readonly TopicPartition[], lost: boolean, failed: boolean): Promise<void> {
    const revoked = new Set(partitions.map(key))
    this.#unrewound = this.#unrewound.filter((p) => !revoked.has(key(p)))
    this.#d.hooks.log('info', lost ? 'partitions lost' : 'partitions revoked', { partitions: partitions.length })
    const affected = new Set<StreamTask>()
    for (const p of partitions) {
      const owned = this.#owned.get(key(p))
      if (owned !== undefined) affected.add(owned.task)
    }
    let clean = !lost && !failed
    if (clean) {
      try {
        await this.commitAll()
      } catch (error) {
        this.#d.hooks.log(
          'warn',
          `commit on revocation failed; closing the tasks without checkpoint: ${(error as Error).message}`
        )
        clean = false
      }
    }
    if (clean) {
      await this.#closeTasks(affected, true)
    } else {
      const outcome = await this.#abort(new Error(lost ? 'partitions lost' : 'commit on revocation failed'))
      await this.#closeTasks(affected, false)
      for (const p of partitions) this.#owned.delete(key(p))
      // At-least-once output is not taken back: the tasks that stay keep their uncommitted offsets for the next commit.
      if (!failed && this.tasks.size > 0 && this.#d.producer.eosEnabled) await this.#revive(outcome.uncertain)
    }
    for (const p of partitions) this.#owned.delete(key(p))
    this.#d.hooks.onTasksChanged([...this.tasks.keys()])
  }

  #markUnrewound(partitions: readonly TopicPartition[]): void {
    const known = new Set(this.#unrewound.map(key))
    for (const p of partitions) {
      if (this.#owned.has(key(p)) && !known.has(key(p))) {
        this.#unrewound.push({ topic: p.topic, partition: p.partition })
      }
    }
  }

  /** Rewinds the partitions whose committed offsets could not be read before, unless a rebalance is waiting. */
  async maybeRewind(): Promise<void> {
    if (this.#unrewound.length === 0 || this.#d.poll.pendingRebalances > 0) return
    const partitions = this.#unrewound.filter((p) => this.#owned.has(key(p)))
    try {
      await this.#rewind(partitions, true)
      this.#unrewound = []
    } catch (error) {
      if (!(error instanceof RewindDeferred)) throw error
      this.#d.hooks.log('warn', `committed offsets still not available, will retry: ${error.message}`)
    }
  }

  #createTask(subtopology: number, partition: number): StreamTask {
    const id = taskId(subtopology, partition)
    const existing = this.tasks.get(id)
    if (existing !== undefined) return existing
    const sub = this.#d.plan.subtopologies.find((s) => s.id === subtopology)
    if (sub === undefined) throw new StreamsError('ILLEGAL_STATE', `unknown sub-topology ${subtopology}`)
    const { config, builder, hooks } = this.#d
    const task = new StreamTask({
      taskId: id,
      partition,
      applicationId: config.applicationId,
      builder,
      nodeNames: sub.nodes,
      collector: this.#d.collector,
      cacheMaxBytes: config.cacheMaxBytes,
      stateDir: this.#d.stateDirectory.prepareTaskDir(id),
      deserializationExceptionHandler: config.deserializationExceptionHandler,
      processingExceptionHandler: config.processingExceptionHandler,
      deadLetterQueueTopic: config.deadLetterQueueTopic,
      logger: { warn: (m, f) => hooks.log('warn', m, f), error: (m, f) => hooks.log('error', m, f) },
      wallClock: Date.now,
      defaultKeySerde: config.defaultKeySerde,
      defaultValueSerde: config.defaultValueSerde,
      decorateTopic: (t) => decorateTopic(config.applicationId, builder.internalTopics, t)
    })
    task.initialize()
    this.tasks.set(id, task)
    return task
  }

  /**
   * Creates (and restores) the tasks of `partitions`, then rewinds each partition to its committed offset, taken
   * from `known` where given, from the broker otherwise. `quick`: one attempt to read committed offsets.
   */
  async #adopt(
    partitions: readonly TopicPartition[],
    quick: boolean,
    known?: ReadonlyMap<string, number>
  ): Promise<void> {
    const created: StreamTask[] = []
    const adopted: TopicPartition[] = []
    for (const p of partitions) {
      const sub = this.#d.plan.subtopologyOfTopic.get(p.topic)
      if (sub === undefined) continue
      const fresh = !this.tasks.has(taskId(sub, p.partition))
      const task = this.#createTask(sub, p.partition)
      if (fresh) created.push(task)
      this.#owned.set(key(p), { task, validFrom: Number.MAX_SAFE_INTEGER, committed: undefined })
      adopted.push(p)
    }
    for (const task of created) this.restoringTasks.add(task.taskId)
    try {
      const checkpoints = new Map(created.map((t) => [t.taskId, this.#d.stateDirectory.takeCheckpoint(t.taskId)]))
      await this.#d.changelogReader.restore(created, checkpoints)
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
    await this.#rewind(adopted, quick, known)
  }

  /** Moves adopted partitions to their committed offsets and lets their records through from the next consume() on. */
  async #rewind(
    adopted: readonly TopicPartition[],
    quick: boolean,
    known?: ReadonlyMap<string, number>
  ): Promise<void> {
    const unknown = adopted.filter((p) => known?.get(key(p)) === undefined)
    const committed: TopicPartitionOffset[] = unknown.length === 0 ? [] : await this.#committed(unknown, quick)
    for (const p of adopted) {
      const offset = known?.get(key(p))
      if (offset !== undefined) committed.push({ topic: p.topic, partition: p.partition, offset })
    }
    await this.#d.poll.awaitInflight()
    for (const c of committed) {
      const owned = this.#owned.get(key(c))
      if (owned !== undefined) owned.committed = c.offset >= 0 ? c.offset : -1
      try {
        await this.#d.consumer.seek({
          topic: c.topic,
          partition: c.partition,
          offset: c.offset >= 0 ? c.offset : this.#resetOffset
        })
      } catch (error) {
        // "Erroneous state": the partition left the assignment meanwhile (a new rebalance); it is adopted afresh
        // when assigned again. Any other error the client recovers from (a timeout): the rewind is tried again after
        // the next poll. Either way its records are not processed before (validFrom not reached).
        if (error instanceof KafkaClientError && (error.kafkaCode === ERR_STATE || transientClientError(error))) {
          throw new RewindDeferred(error)
        }
        throw error
      }
    }
    const validFrom = this.#d.poll.nextConsumeSeq()
    for (const p of adopted) {
      const owned = this.#owned.get(key(p))
      if (owned !== undefined) owned.validFrom = validFrom
    }
    this.#d.hooks.log('info', 'partitions adopted', {
      committed: committed.map((c) => `${c.topic}-${c.partition}@${c.offset}`).join(' ')
    })
  }

  async #committed(partitions: readonly TopicPartition[], quick: boolean): Promise<TopicPartitionOffset[]> {
    // A crashed instance's open transaction keeps its offsets unstable until the broker aborts it.
    const deadline = Date.now() + COMMITTED_DEADLINE_MS
    for (;;) {
      try {
        return await this.#d.consumer.committed(partitions, COMMITTED_CALL_MS)
      } catch (error) {
        // The group may be rebalancing (e.g. our session timed out during a broker outage): the coordinator will not
        // answer until the rebalance completes, and its callback waits for us. Give way; the partitions are rewound
        // later (maybeRewind) or adopted afresh by the assignment that follows.
        if (quick || this.#d.poll.pendingRebalances > 0) throw new RewindDeferred(error)
        if (Date.now() > deadline) throw error
        this.#d.hooks.log('warn', `fetching committed offsets failed, retrying: ${(error as Error).message}`)
      }
    }
  }

  // ---- processing ----------------------------------------------------------------------------------------

  /** Hands the records of call number `seq` to their tasks; records of partitions not (yet) valid are skipped. */
  addRecords(records: readonly ConsumedRecord[], seq: number): void {
    let skipped = 0
    for (let i = 0; i < records.length; i++) {
      const r = records[i] as ConsumedRecord
      const owned = this.#owned.get(key(r))
      if (owned === undefined || seq < owned.validFrom) {
        skipped++
        continue
      }
      owned.task.addRecord(r)
    }
    if (skipped > 0) {
      this.#d.metrics.staleRecordsSkipped += skipped
      this.#d.hooks.log('info', `skipped ${skipped} of ${records.length} fetched records (partition moved or rewound)`)
    }
  }

  /**
   * Exactly-once: opens the transaction the next records are processed in. A producer in a failed state (e.g.
   * "requires epoch bump" after a broker restart) is recovered from as from a failed commit: false, nothing is
   * processed, the added records are fetched again from the committed offsets.
   */
  async beginTransaction(): Promise<boolean> {
    if (this.tasks.size === 0) return true
    try {
      await this.#d.producer.maybeBeginTransaction()
      return true
    } catch (error) {
      if (!producerStateError(error)) throw error
      await this.abortAll(error)
      return false
    }
  }

  /**
   * Processes what the tasks have queued and runs their punctuations. Returns true when a processor asked for a
   * commit. Throws when a handler chose to fail (the instance stops, as Kafka Streams' stream thread dies).
   */
  process(): Promise<boolean> {
    return this.#executor.process(this.tasks.values())
  }

  /**
   * Sends what waits and commits when `force` or the commit interval has passed. A failure stops the instance under
   * at-least-once (Kafka Streams' default production exception handler fails; nothing after the last commit was
   * acknowledged as done) and aborts and rebuilds every task under exactly-once.
   */
  async maybeCommit(force: boolean): Promise<void> {
    try {
      if (this.#d.collector.hasOverflow) await this.#d.collector.drain()
      this.#d.collector.checkError()
      if (force || Date.now() - this.#lastCommit >= this.#d.config.commitIntervalMs) await this.commitAll(true)
    } catch (error) {
      if (!this.#d.producer.eosEnabled) throw error
      await this.abortAll(error)
    }
  }

  /**
   * See the file comment. Throws on failure; the caller aborts (exactly-once) or stops (at-least-once).
   * `retryLater`: at-least-once, an offset commit that failed with an error the client recovers from is left for the
   * next commit instead of thrown.
   */
  async commitAll(retryLater = false): Promise<void> {
    const started = Date.now()
    for (const task of this.tasks.values()) task.flush()
    await this.#d.collector.drain()
    const offsets = this.#consumedOffsets()
    const { producer, collector, consumer } = this.#d
    let committed = false
    if (producer.eosEnabled) {
      if (producer.transactionInFlight) {
        // A record the client refused or reported failed must not be committed past (Kafka Streams'
        // RecordCollector.flush checks before the commit); failures reported during the commit fail it.
        collector.checkError()
        await producer.commitTransaction(offsets, consumer.groupMetadata())
        committed = true
        collector.checkError()
      }
    } else {
      await producer.flush(ALO_FLUSH_MS)
      collector.checkError()
      if (offsets.length > 0) {
        try {
          await consumer.commit(offsets)
        } catch (error) {
          // The output is acknowledged, only the offsets are not stored: they stay for the next commit (a rebalance
          // meanwhile leaves them to the next owner, which processes those records again, as at-least-once allows).
          // Kafka Streams retries such a commit too; a commit the caller must see (revocation, close) throws.
          if (!retryLater || !transientClientError(error)) throw error
          this.#d.hooks.log(
            'warn',
            `committing offsets failed, retrying with the next commit: ${(error as Error).message}`
          )
          this.#lastCommit = Date.now()
          return
        }
      }
      committed = true
    }
    if (committed) {
      for (const o of offsets) {
        const owned = this.#owned.get(key(o))
        if (owned !== undefined) owned.committed = o.offset
      }
    }
    for (const task of this.tasks.values()) task.consumedOffsets.clear()
    this.#lastCommit = Date.now()
    const latency = this.#lastCommit - started
    const m = this.#d.metrics
    m.commits++
    m.commitLatencyMsTotal += latency
    m.commitLatencyMsMax = Math.max(m.commitLatencyMsMax, latency)
  }

  /** See the file comment: exactly-once recovery from a failed send, begin or commit. */
  async abortAll(error: unknown): Promise<void> {
    this.#d.hooks.log(
      'warn',
      `transaction failed, aborting and restoring state: ${(error as Error)?.message ?? String(error)}`
    )
    const outcome = await this.#abort(error)
    await this.#revive(outcome.uncertain)
  }

  async #abort(cause: unknown): Promise<{ uncertain: boolean }> {
    try {
      return await this.#d.producer.abortOrReplace(cause)
    } finally {
      this.#d.collector.clear()
    }
  }

  /**
   * Closes every task without checkpoint and creates it again from its changelog, each partition rewound to its
   * committed offset: the one this instance last committed, unless a commit may have gone through unseen
   * (`uncertain`), in which case the broker is asked.
   */
  async #revive(uncertain: boolean): Promise<void> {
    const partitions = this.ownedPartitions()
    const known = new Map<string, number>()
    if (!uncertain) {
      for (const p of partitions) {
        const offset = this.#owned.get(key(p))?.committed
        if (offset !== undefined) known.set(key(p), offset)
      }
    }
    await this.#closeTasks([...this.tasks.values()], false)
    this.#owned.clear()
    try {
      await this.#adopt(partitions, true, known)
    } catch (adoptError) {
      if (!(adoptError instanceof RewindDeferred)) throw adoptError
      // The partitions stay unprocessed (validFrom not reached) until they are rewound after the next poll, or
      // revoked and reassigned by a rebalance.
      this.#markUnrewound(partitions)
      this.#d.hooks.log(
        'warn',
        `committed offsets not available yet, will retry after the next poll: ${adoptError.message}`
      )
    }
  }

  // ---- closing -------------------------------------------------------------------------------------------

  /** Commits, writes checkpoints and closes every task (clean shutdown); aborts instead when the commit fails. */
  async shutdown(clean: boolean): Promise<void> {
    if (clean) {
      try {
        await this.commitAll()
      } catch (error) {
        this.#d.hooks.log('warn', `commit on close failed: ${(error as Error).message}`)
        clean = false
      }
    }
    if (!clean) await this.#abortQuietly()
    await this.#closeTasks([...this.tasks.values()], clean)
    this.#owned.clear()
  }

  /** Aborts without committing and closes every task without checkpoint (after a fatal error). */
  async closeDirty(): Promise<void> {
    await this.#abortQuietly()
    await this.#closeTasks([...this.tasks.values()], false)
    this.#owned.clear()
  }

  async #abortQuietly(): Promise<void> {
    try {
      await this.#d.producer.abortTransaction()
    } catch {}
    this.#d.collector.clear()
  }

  async #closeTasks(tasks: Iterable<StreamTask>, clean: boolean): Promise<void> {
    for (const task of [...tasks]) {
      if (clean) await this.#writeCheckpoint(task)
      try {
        task.close()
      } catch (error) {
        this.#d.hooks.log('warn', `closing task ${task.taskId} failed: ${(error as Error).message}`)
      }
      this.tasks.delete(task.taskId)
      this.#d.metrics.droppedRecordsOfClosedTasks += task.droppedRecords.total
      for (const topic of task.sourceTopics()) {
        const real = decorateTopic(this.#d.config.applicationId, this.#d.builder.internalTopics, topic)
        this.#owned.delete(key({ topic: real, partition: task.partition }))
      }
    }
  }

  /**
   * After a clean commit: each persistent store's changelog end offset becomes its checkpoint, so the next start
   * restores only what was written after it. The task is its changelog partition's only writer and everything it
   * wrote is acknowledged, so the end offset is right after its last write. A store whose end cannot be read gets no
   * checkpoint (a full restore next time, never a wrong one).
   */
  async #writeCheckpoint(task: StreamTask): Promise<void> {
    const offsets: Record<string, number> = {}
    for (const store of loggedStores(this.#d.builder, task)) {
      if (!store.persistent) continue
      const p = { topic: store.topic, partition: task.partition }
      try {
        offsets[store.topic] = (await this.#d.consumer.watermarks(p, CHECKPOINT_WATERMARKS_MS)).high
      } catch (error) {
        this.#d.hooks.log('warn', `no checkpoint for ${store.topic}-${task.partition}: ${(error as Error)?.message}`)
      }
    }
    this.#d.stateDirectory.writeCheckpoint(task.taskId, offsets)
  }

  #consumedOffsets(): TopicPartitionOffset[] {
    const out: TopicPartitionOffset[] = []
    for (const task of this.tasks.values()) {
      for (const [topic, offset] of task.consumedOffsets) {
        out.push({ topic, partition: task.partition, offset: offset + 1 })
      }
    }
    return out
  }
}
