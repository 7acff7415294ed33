import type { Headers } from '../../processor/record.ts'
import type { StateStoreContext } from '../state-store.ts'
import type { ThreadCache } from './thread-cache.ts'

/** Where the record being processed came from; captured by caches so a later flush forwards it unchanged. */
export interface RecordContext {
  readonly timestamp: number
  readonly topic: string
  readonly partition: number
  readonly offset: number
  readonly headers: Headers
}

/** The task-side context the built-in store layers need beyond the public {@link StateStoreContext}. */
export interface InternalStoreContext extends StateStoreContext {
  recordContext(): RecordContext
  setRecordContext(context: RecordContext): void
  /** The task's record cache, or `null` when caching is off for this task. */
  readonly cache: ThreadCache | null
  /** Sends one change of `storeName` to its changelog topic (partition = the task's partition). */
  logChange(storeName: string, key: Buffer, value: Buffer | null, timestamp: number, headers: Headers): void
  /** `<applicationId>-<storeName>-changelog`. */
  changelogFor(storeName: string): string
}

export function isInternalContext(context: StateStoreContext): context is InternalStoreContext {
  return typeof (context as Partial<InternalStoreContext>).recordContext === 'function'
}
