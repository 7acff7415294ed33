// What the three caching layers (key-value, window, session) share: joining the task's record cache under
// `<taskId>-<store>`, the flush listener, and flushing/closing the namespace.
import type { StateStore, StateStoreContext } from '../state-store.ts'
import type { InternalStoreContext } from './internal-store-context.ts'
import { isInternalContext } from './internal-store-context.ts'
import type { DirtyEntry, ThreadCache } from './thread-cache.ts'
import { WrappedStore } from './wrapped-store.ts'

export abstract class CachingStore<S extends StateStore, L> extends WrappedStore<S> {
  protected context: InternalStoreContext | null = null
  /** `null` when the task has no record cache (cache size 0): every write goes straight to the store below. */
  protected cache: ThreadCache | null = null
  protected namespace = ''
  protected listener: L | null = null
  protected sendOldValues = false

  override init(context: StateStoreContext, root: StateStore): void {
    this.wrapped.init(context, root)
    if (isInternalContext(context) && context.cache !== null) {
      this.context = context
      this.cache = context.cache
      this.namespace = `${context.taskId}-${this.name}`
      this.cache.addDirtyEntryFlushListener(this.namespace, (entries) => this.flushEntries(entries))
    }
  }

  /** Registers the listener that forwards flushed entries downstream; false when there is no cache to flush. */
  setFlushListener(listener: L, sendOldValues: boolean): boolean {
    this.listener = listener
    this.sendOldValues = sendOldValues
    return this.cache !== null
  }

  /** Writes dirty entries to the store below and hands them to the listener, in dirty order. */
  protected abstract flushEntries(entries: DirtyEntry[]): void

  /** Extra state to drop on close (e.g. a key index). */
  protected onClose(): void {}

  override flush(): void {
    if (this.cache !== null) this.cache.flush(this.namespace)
    this.wrapped.flush()
  }

  override close(): void {
    try {
      this.flush()
    } finally {
      if (this.cache !== null) this.cache.close(this.namespace)
      this.onClose()
      this.wrapped.close()
    }
  }
}
