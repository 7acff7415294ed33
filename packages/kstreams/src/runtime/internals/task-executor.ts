// Runs the tasks' processing (Kafka Streams' TaskExecutor): each task processes what it has queued, with its
// stream-time and wall-clock punctuations, and a record written with a schema this instance has not seen yet is
// retried once the schema has been fetched.
import { isSchemaFetch } from '../../processor/internals/stream-task.ts'
import type { StreamTask } from '../../processor/internals/stream-task.ts'
import { SchemaRegistryError } from '../../serdes/schema-errors.ts'

export interface TaskExecutorHooks {
  log(level: 'warn', message: string): void
}

const SCHEMA_WARNING_INTERVAL_MS = 10_000

export class TaskExecutor {
  readonly #hooks: TaskExecutorHooks
  readonly #metrics: { recordsProcessed: number }
  #lastSchemaWarning = 0

  constructor(hooks: TaskExecutorHooks, metrics: { recordsProcessed: number }) {
    this.#hooks = hooks
    this.#metrics = metrics
  }

  /**
   * Processes every task's queued records. Returns true when a processor asked for a commit. Throws when a handler
   * chose to fail (the instance stops, as Kafka Streams' stream thread dies).
   */
  async process(tasks: Iterable<StreamTask>): Promise<boolean> {
    let commitRequested = false
    for (const task of tasks) {
      const before = task.processedRecords
      for (;;) {
        try {
          while (task.process()) task.maybePunctuateStreamTime()
          task.maybePunctuateSystemTime()
          break
        } catch (error) {
          if (!isSchemaFetch(error)) throw error
          // Fetched once per new schema id (the only await on this path), then the record is processed again.
          try {
            await error.fetch()
          } catch (fetchError) {
            if (!isRegistryOutage(fetchError)) {
              // The registry cannot give it: the record goes to the deserialization handler like any undecodable one.
              this.#hooks.log('warn', `schema fetch failed: ${message(fetchError)}`)
              task.schemaFetchFailed()
              continue
            }
            // The registry is down or refused us: the record is not at fault. It stays at the head of its queue and
            // the next iteration tries again; the other tasks go on meanwhile.
            const now = Date.now()
            if (now - this.#lastSchemaWarning >= SCHEMA_WARNING_INTERVAL_MS) {
              this.#lastSchemaWarning = now
              this.#hooks.log('warn', `schema fetch failed, will retry: ${message(fetchError)}`)
            }
            break
          }
        }
      }
      this.#metrics.recordsProcessed += task.processedRecords - before
      commitRequested ||= task.commitRequested
    }
    return commitRequested
  }
}

function message(error: unknown): string {
  return (error as Error)?.message ?? String(error)
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
