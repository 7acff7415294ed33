// Restores tasks' stores from their changelogs (Kafka Streams' StoreChangelogReader): every changelog partition of
// the given tasks is replayed at once, each from its checkpoint (persistent stores) or the start, up to the end offset
// measured before reading. Under read_committed that end is the last stable offset: an open transaction of a crashed
// instance is not restored (it will be aborted), and nobody can have committed after it (KIP-447 makes them wait).
import { StreamsError } from '../../errors.ts'
import type { InternalTopologyBuilder } from '../../processor/internals/internal-topology-builder.ts'
import type { StreamTask } from '../../processor/internals/stream-task.ts'
import type { ConsumerClient, TopicPartition } from '../../internals/client/kafka-client.ts'
import type { Checkpoint } from './state-directory.ts'

type RestoreBatch = Array<{ key: Buffer; value: Buffer | null; timestamp: number }>

/** A logged store of a task, with its changelog topic. */
export interface LoggedStore {
  readonly name: string
  readonly topic: string
  readonly persistent: boolean
  readonly restore: (batch: RestoreBatch) => void
}

/** The task's stores that have a changelog. */
export function loggedStores(builder: InternalTopologyBuilder, task: StreamTask): LoggedStore[] {
  const out: LoggedStore[] = []
  for (const { store, restore } of task.registeredStores()) {
    const factory = builder.stateFactories.get(store.name)
    if (factory === undefined || !factory.builder.loggingEnabled) continue
    out.push({ name: store.name, topic: task.changelogFor(store.name), persistent: store.persistent(), restore })
  }
  return out
}

export interface RestoreMetrics {
  restoredRecords: number
  /** Changelog partitions being restored now. */
  restoring: number
}

export interface ChangelogReaderHooks {
  log(level: 'info' | 'warn', message: string, fields?: Record<string, unknown>): void
  /** A consumer with manual assignment (read_committed under exactly-once), closed after each restore. */
  createRestoreConsumer(): Promise<ConsumerClient>
}

interface RestoreEntry {
  readonly store: LoggedStore
  readonly partition: number
  readonly from: number
  readonly high: number
  position: number
  done: boolean
}

const RESTORE_TIMEOUT_MS = 300_000
const WATERMARKS_DEADLINE_MS = 60_000
const RESTORE_POLL_RECORDS = 5000
const RESTORE_POLL_MS = 100
const RESTORE_PROGRESS_MS = 15_000

/** A client error the client recovers from (librdkafka flags the ones it cannot recover from as fatal). */
export function transientClientError(error: unknown): boolean {
  const e = error as { kafkaCode?: unknown; fatal?: unknown }
  return typeof e?.kafkaCode === 'number' && e.fatal !== true
}

export class StoreChangelogReader {
  readonly #builder: InternalTopologyBuilder
  readonly #hooks: ChangelogReaderHooks
  readonly #metrics: RestoreMetrics

  constructor(builder: InternalTopologyBuilder, hooks: ChangelogReaderHooks, metrics: RestoreMetrics) {
    this.#builder = builder
    this.#hooks = hooks
    this.#metrics = metrics
  }

  /** Replays the changelogs of `tasks`' stores; `checkpoints` gives each task's starting offsets (by task id). */
  async restore(tasks: readonly StreamTask[], checkpoints: ReadonlyMap<string, Checkpoint>): Promise<void> {
    const work: Array<{ store: LoggedStore; partition: number; from: number }> = []
    for (const task of tasks) {
      const checkpoint = checkpoints.get(task.taskId) ?? {}
      for (const store of loggedStores(this.#builder, task)) {
        const from = store.persistent ? (checkpoint[store.topic] ?? 0) : 0
        work.push({ store, partition: task.partition, from })
      }
    }
    if (work.length === 0) return
    const consumer = await this.#hooks.createRestoreConsumer()
    try {
      await this.#restoreAll(consumer, work)
    } finally {
      this.#metrics.restoring = 0
      await consumer.close()
    }
  }

  /**
   * End offsets of a changelog partition. A changelog created moments ago may not have a leader yet ("not leader
   * for partition", "leader not available"): those errors are retried until a deadline, as Kafka Streams waits for
   * new internal topics.
   */
  async #watermarksWithRetry(consumer: ConsumerClient, p: TopicPartition): Promise<{ low: number; high: number }> {
    const deadline = Date.now() + WATERMARKS_DEADLINE_MS
    for (let attempt = 0; ; attempt++) {
      try {
        return await consumer.watermarks(p)
      } catch (error) {
        if (!transientClientError(error) || Date.now() > deadline) throw error
        this.#hooks.log(
          'info',
          `end offsets of ${p.topic}-${p.partition} not available yet, retrying: ${(error as Error).message}`
        )
        await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** attempt)))
      }
    }
  }

  async #restoreAll(
    consumer: ConsumerClient,
    work: ReadonlyArray<{ store: LoggedStore; partition: number; from: number }>
  ): Promise<void> {
    // The end offsets are asked before anything is assigned: a request queued behind a fetch waiting for data on an
    // idle partition would wait for that fetch (fetch.wait.max.ms, 500 ms each).
    const ends = await Promise.all(
      work.map((w) => this.#watermarksWithRetry(consumer, { topic: w.store.topic, partition: w.partition }))
    )
    const active = new Map<string, Array<RestoreEntry | undefined>>()
    const pending: TopicPartition[] = []
    for (const [i, w] of work.entries()) {
      const high = (ends[i] as { high: number }).high
      this.#hooks.log('info', 'restoring', { topic: w.store.topic, partition: w.partition, from: w.from, to: high })
      if (high <= w.from) continue
      let list = active.get(w.store.topic)
      if (list === undefined) active.set(w.store.topic, (list = []))
      list[w.partition] = { ...w, high, position: w.from, done: false }
      pending.push({ topic: w.store.topic, partition: w.partition })
    }
    if (pending.length === 0) return
    this.#metrics.restoring = pending.length
    await consumer.assign(pending.map((p) => ({ ...p, offset: active.get(p.topic)?.[p.partition]?.from ?? 0 })))
    const deadline = Date.now() + RESTORE_TIMEOUT_MS
    let nextReport = Date.now() + RESTORE_PROGRESS_MS
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
        this.#metrics.restoring--
        return false
      })
      if (remaining.length === 0) return
      if (Date.now() >= nextReport) {
        // A restore this long is slow or stuck: say where each partition is.
        nextReport = Date.now() + RESTORE_PROGRESS_MS
        this.#hooks.log('warn', 'restore still running', {
          partitions: remaining
            .map((p) => {
              const e = active.get(p.topic)?.[p.partition]
              return `${p.topic}-${p.partition}@${e?.position}/${e?.high}`
            })
            .join(' ')
        })
      }
      if (Date.now() > deadline) {
        const p = remaining[0] as TopicPartition
        throw new StreamsError(
          'TIMEOUT',
          `restoring ${p.topic} partition ${p.partition} did not reach its end offset within ${RESTORE_TIMEOUT_MS} ms`,
          { topic: p.topic, partition: p.partition }
        )
      }
      const records = await consumer.consume(RESTORE_POLL_RECORDS, RESTORE_POLL_MS)
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
        entry.store.restore(batch)
        this.#metrics.restoredRecords += batch.length
      }
    }
  }
}
