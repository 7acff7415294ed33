/**
 * One changelog entry handed to a store's restore callback, in changelog order.
 * `value === null` is a tombstone.
 */
export interface RestoreRecord {
  readonly key: Buffer
  readonly value: Buffer | null
  readonly timestamp: number
}

export type RestoreCallback = (batch: readonly RestoreRecord[]) => void

/**
 * What a store sees of its task while it is initialised. Lifecycle: `init(context, root)` runs once,
 * before the task processes any record; `register` must be called from `init`.
 */
export interface StateStoreContext {
  readonly applicationId: string
  /** `<subtopology>_<partition>`, as in Kafka Streams. */
  readonly taskId: string
  /** Directory for this task's persistent stores; created by the runtime. */
  readonly stateDir: string
  /** Registers the store with the task so the runtime can restore it from its changelog and flush it. */
  register(store: StateStore, restore: RestoreCallback): void
}

/**
 * A named, task-local store. Stores are single-threaded: a task never calls one concurrently.
 * `flush()` runs at every commit; `close()` once when the task closes; after it, every call throws
 * StreamsError('STORE_CLOSED').
 */
export interface StateStore {
  readonly name: string
  persistent(): boolean
  init(context: StateStoreContext, root: StateStore): void
  flush(): void
  close(): void
  isOpen(): boolean
}
