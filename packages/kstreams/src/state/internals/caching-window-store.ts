// Buffers window writes in the task's record cache, as Kafka Streams' CachingWindowStore: the store below and
// downstream processors see at most one update per window per flush (commit or eviction). Reads merge the cache
// over the store; a cached deletion hides the stored window.
import type { WindowBytesEntry, WindowBytesStore } from './bytes-store.ts'
import { CachedKeyIndex } from './cached-key-index.ts'
import type { InternalStoreContext, RecordContext } from './internal-store-context.ts'
import { byteKey } from './store-support.ts'
import type { DirtyEntry, ThreadCache } from './thread-cache.ts'
import { decodeWindowStoreKey, encodeWindowStoreKey } from './window-key-schema.ts'
import { CachingStore } from './caching-store.ts'

/** Called for each flushed window with the raw new and old values and the context it was written in. */
export type WindowBytesFlushListener = (
  key: Buffer,
  windowStart: number,
  newValue: Buffer | null,
  oldValue: Buffer | null,
  context: RecordContext
) => void

export interface CachedWindowStore {
  setFlushListener(listener: WindowBytesFlushListener, sendOldValues: boolean): boolean
}

interface Candidate {
  readonly key: Buffer
  readonly keyId: string
  readonly windowStart: number
  readonly value: Buffer | null
}

// Ascending by window start, then key bytes: the order of the inner window stores.
function compare(a: Candidate, b: Candidate): number {
  return a.windowStart - b.windowStart || (a.keyId < b.keyId ? -1 : a.keyId > b.keyId ? 1 : 0)
}

export class CachingWindowStore
  extends CachingStore<WindowBytesStore, WindowBytesFlushListener>
  implements WindowBytesStore, CachedWindowStore
{
  readonly #index = new CachedKeyIndex()

  get retentionPeriod(): number {
    return this.wrapped.retentionPeriod
  }

  get windowSize(): number {
    return this.wrapped.windowSize
  }

  get retainDuplicates(): boolean {
    return this.wrapped.retainDuplicates
  }

  protected flushEntries(entries: DirtyEntry[]): void {
    const ctx = this.context as InternalStoreContext
    for (const entry of entries) {
      const { key, windowStart } = decodeWindowStoreKey(entry.key)
      let oldValue: Buffer | null = null
      if (this.listener !== null && (entry.value === null || this.sendOldValues)) {
        oldValue = this.wrapped.fetch(key, windowStart) ?? null
      }
      // Neither stored nor new: nothing to write or forward.
      if (this.listener !== null && entry.value === null && oldValue === null) continue
      const current = ctx.recordContext()
      ctx.setRecordContext(entry.context)
      try {
        this.wrapped.put(key, entry.value, windowStart)
        if (this.listener !== null) {
          this.listener(key, windowStart, entry.value, this.sendOldValues ? oldValue : null, entry.context)
        }
      } finally {
        ctx.setRecordContext(current)
      }
    }
  }

  put(key: Buffer, value: Buffer | null, windowStart: number): void {
    const cache = this.cache
    if (cache === null) {
      this.wrapped.put(key, value, windowStart)
      return
    }
    const binary = encodeWindowStoreKey(key, windowStart, 0)
    const id = byteKey(binary)
    cache.put(this.namespace, id, binary, {
      value,
      dirty: true,
      context: (this.context as InternalStoreContext).recordContext()
    })
    this.#index.add(cache, this.namespace, byteKey(key), id, binary)
  }

  fetch(key: Buffer, windowStart: number): Buffer | undefined {
    const cache = this.cache
    if (cache === null) return this.wrapped.fetch(key, windowStart)
    const entry = cache.get(this.namespace, byteKey(encodeWindowStoreKey(key, windowStart, 0)))
    if (entry !== undefined) return entry.value ?? undefined
    return this.wrapped.fetch(key, windowStart)
  }

  // Cached windows are not filtered by the store's retention: Kafka Streams' cache iterators are not either, so
  // a window that expired from the store is still read while it sits in the cache.
  #cachedOf(key: Buffer): Candidate[] {
    const keyId = byteKey(key)
    return this.#index.lookup(this.cache as ThreadCache, this.namespace, keyId).map(({ binary, entry }) => {
      const d = decodeWindowStoreKey(binary)
      return { key: d.key, keyId, windowStart: d.windowStart, value: entry.value }
    })
  }

  #cachedInRange(from: string | null, to: string | null): Candidate[] {
    const out: Candidate[] = []
    for (const [, node] of (this.cache as ThreadCache).entries(this.namespace)) {
      const d = decodeWindowStoreKey(node.key)
      const keyId = byteKey(d.key)
      if ((from === null || keyId >= from) && (to === null || keyId <= to)) {
        out.push({ key: d.key, keyId, windowStart: d.windowStart, value: node.entry.value })
      }
    }
    return out
  }

  #merge(
    stored: Iterable<WindowBytesEntry>,
    cached: Candidate[],
    timeFrom: number,
    timeTo: number,
    backward: boolean
  ): WindowBytesEntry[] {
    const merged = new Map<string, Candidate>()
    for (const e of stored) {
      const keyId = byteKey(e.key)
      merged.set(`${e.windowStart}:${keyId}`, { key: e.key, keyId, windowStart: e.windowStart, value: e.value })
    }
    for (const c of cached) {
      if (c.windowStart < timeFrom || c.windowStart > timeTo) continue
      merged.set(`${c.windowStart}:${c.keyId}`, c)
    }
    const out = [...merged.values()].filter((c) => c.value !== null).sort(compare)
    if (backward) out.reverse()
    return out.map((c) => ({ key: c.key, windowStart: c.windowStart, value: c.value as Buffer }))
  }

  fetchRange(key: Buffer, timeFrom: number, timeTo: number): Iterable<WindowBytesEntry> {
    if (this.cache === null) return this.wrapped.fetchRange(key, timeFrom, timeTo)
    return this.#merge(this.wrapped.fetchRange(key, timeFrom, timeTo), this.#cachedOf(key), timeFrom, timeTo, false)
  }

  backwardFetchRange(key: Buffer, timeFrom: number, timeTo: number): Iterable<WindowBytesEntry> {
    if (this.cache === null) return this.wrapped.backwardFetchRange(key, timeFrom, timeTo)
    return this.#merge(this.wrapped.fetchRange(key, timeFrom, timeTo), this.#cachedOf(key), timeFrom, timeTo, true)
  }

  fetchKeyRange(
    keyFrom: Buffer | null,
    keyTo: Buffer | null,
    timeFrom: number,
    timeTo: number
  ): Iterable<WindowBytesEntry> {
    if (this.cache === null) return this.wrapped.fetchKeyRange(keyFrom, keyTo, timeFrom, timeTo)
    const from = keyFrom === null ? null : byteKey(keyFrom)
    const to = keyTo === null ? null : byteKey(keyTo)
    if (from !== null && to !== null && from > to) return []
    return this.#merge(
      this.wrapped.fetchKeyRange(keyFrom, keyTo, timeFrom, timeTo),
      this.#cachedInRange(from, to),
      timeFrom,
      timeTo,
      false
    )
  }

  fetchAll(timeFrom: number, timeTo: number): Iterable<WindowBytesEntry> {
    return this.fetchKeyRange(null, null, timeFrom, timeTo)
  }

  all(): Iterable<WindowBytesEntry> {
    if (this.cache === null) return this.wrapped.all()
    return this.#merge(this.wrapped.all(), this.#cachedInRange(null, null), -Infinity, Infinity, false)
  }

  protected override onClose(): void {
    this.#index.clear()
  }
}
