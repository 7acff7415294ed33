// Buffers session writes in the task's record cache, as Kafka Streams' CachingSessionStore: the store below and
// downstream processors see at most one update per session per flush (commit or eviction). Reads merge the cache
// over the store; a cached removal hides the stored session.
import type { SessionBytesEntry, SessionBytesStore } from './bytes-store.ts'
import { CachedKeyIndex } from './cached-key-index.ts'
import type { InternalStoreContext, RecordContext } from './internal-store-context.ts'
import { byteKey } from './store-support.ts'
import type { DirtyEntry, ThreadCache } from './thread-cache.ts'
import { decodeSessionStoreKey, encodeSessionStoreKey } from './window-key-schema.ts'
import { CachingStore } from './caching-store.ts'

/** Called for each flushed session with the raw new and old aggregates and the context it was written in. */
export type SessionBytesFlushListener = (
  key: Buffer,
  start: number,
  end: number,
  newValue: Buffer | null,
  oldValue: Buffer | null,
  context: RecordContext
) => void

export interface CachedSessionStore {
  setFlushListener(listener: SessionBytesFlushListener, sendOldValues: boolean): boolean
}

interface Candidate {
  readonly key: Buffer
  readonly keyId: string
  readonly start: number
  readonly end: number
  readonly value: Buffer | null
}

// Ascending by end, then key bytes, then start: the order of the inner session stores.
function compare(a: Candidate, b: Candidate): number {
  return a.end - b.end || (a.keyId < b.keyId ? -1 : a.keyId > b.keyId ? 1 : 0) || a.start - b.start
}

function inKeyRange(keyId: string, from: string | null, to: string | null): boolean {
  return (from === null || keyId >= from) && (to === null || keyId <= to)
}

export class CachingSessionStore
  extends CachingStore<SessionBytesStore, SessionBytesFlushListener>
  implements SessionBytesStore, CachedSessionStore
{
  readonly #index = new CachedKeyIndex()

  get retentionPeriod(): number {
    return this.wrapped.retentionPeriod
  }

  protected flushEntries(entries: DirtyEntry[]): void {
    const ctx = this.context as InternalStoreContext
    for (const entry of entries) {
      const { key, start, end } = decodeSessionStoreKey(entry.key)
      let oldValue: Buffer | null = null
      if (this.listener !== null && (entry.value === null || this.sendOldValues)) {
        oldValue = this.wrapped.fetchSession(key, start, end) ?? null
      }
      // Neither stored nor new: nothing to write or forward.
      if (this.listener !== null && entry.value === null && oldValue === null) continue
      const current = ctx.recordContext()
      ctx.setRecordContext(entry.context)
      try {
        this.wrapped.put(key, start, end, entry.value)
        if (this.listener !== null) {
          this.listener(key, start, end, entry.value, this.sendOldValues ? oldValue : null, entry.context)
        }
      } finally {
        ctx.setRecordContext(current)
      }
    }
  }

  put(key: Buffer, start: number, end: number, value: Buffer | null): void {
    const cache = this.cache
    if (cache === null) {
      this.wrapped.put(key, start, end, value)
      return
    }
    const binary = encodeSessionStoreKey(key, start, end)
    const id = byteKey(binary)
    cache.put(this.namespace, id, binary, {
      value,
      dirty: true,
      context: (this.context as InternalStoreContext).recordContext()
    })
    this.#index.add(cache, this.namespace, byteKey(key), id, binary)
  }

  remove(key: Buffer, start: number, end: number): void {
    this.put(key, start, end, null)
  }

  fetchSession(key: Buffer, start: number, end: number): Buffer | undefined {
    const cache = this.cache
    if (cache === null) return this.wrapped.fetchSession(key, start, end)
    const entry = cache.get(this.namespace, byteKey(encodeSessionStoreKey(key, start, end)))
    if (entry !== undefined) return entry.value ?? undefined
    return this.wrapped.fetchSession(key, start, end)
  }

  // Cached sessions are not filtered by the store's retention: Kafka Streams' cache iterators are not either.
  #cachedOf(key: Buffer): Candidate[] {
    const cache = this.cache as ThreadCache
    const keyId = byteKey(key)
    return this.#index.lookup(cache, this.namespace, keyId).map(({ binary, entry }) => {
      const d = decodeSessionStoreKey(binary)
      return { key: d.key, keyId, start: d.start, end: d.end, value: entry.value }
    })
  }

  #cachedInRange(from: string | null, to: string | null): Candidate[] {
    const out: Candidate[] = []
    for (const [, node] of (this.cache as ThreadCache).entries(this.namespace)) {
      const d = decodeSessionStoreKey(node.key)
      const keyId = byteKey(d.key)
      if (inKeyRange(keyId, from, to)) {
        out.push({ key: d.key, keyId, start: d.start, end: d.end, value: node.entry.value })
      }
    }
    return out
  }

  #merge(
    stored: Iterable<SessionBytesEntry>,
    cached: Candidate[],
    earliestEnd: number,
    latestStart: number,
    backward: boolean
  ): SessionBytesEntry[] {
    const merged = new Map<string, Candidate>()
    for (const e of stored) {
      merged.set(byteKey(encodeSessionStoreKey(e.key, e.start, e.end)), {
        key: e.key,
        keyId: byteKey(e.key),
        start: e.start,
        end: e.end,
        value: e.value
      })
    }
    for (const c of cached) {
      if (c.end < earliestEnd || c.start > latestStart) continue
      merged.set(byteKey(encodeSessionStoreKey(c.key, c.start, c.end)), c)
    }
    const out = [...merged.values()].filter((c) => c.value !== null).sort(compare)
    if (backward) out.reverse()
    return out.map((c) => ({ key: c.key, start: c.start, end: c.end, value: c.value as Buffer }))
  }

  findSessions(
    key: Buffer,
    earliestSessionEndTime: number,
    latestSessionStartTime: number
  ): Iterable<SessionBytesEntry> {
    const stored = this.wrapped.findSessions(key, earliestSessionEndTime, latestSessionStartTime)
    if (this.cache === null) return stored
    return this.#merge(stored, this.#cachedOf(key), earliestSessionEndTime, latestSessionStartTime, false)
  }

  backwardFindSessions(
    key: Buffer,
    earliestSessionEndTime: number,
    latestSessionStartTime: number
  ): Iterable<SessionBytesEntry> {
    if (this.cache === null) {
      return this.wrapped.backwardFindSessions(key, earliestSessionEndTime, latestSessionStartTime)
    }
    const stored = this.wrapped.findSessions(key, earliestSessionEndTime, latestSessionStartTime)
    return this.#merge(stored, this.#cachedOf(key), earliestSessionEndTime, latestSessionStartTime, true)
  }

  findSessionsRange(
    keyFrom: Buffer | null,
    keyTo: Buffer | null,
    earliestSessionEndTime: number,
    latestSessionStartTime: number
  ): Iterable<SessionBytesEntry> {
    const stored = this.wrapped.findSessionsRange(keyFrom, keyTo, earliestSessionEndTime, latestSessionStartTime)
    if (this.cache === null) return stored
    const from = keyFrom === null ? null : byteKey(keyFrom)
    const to = keyTo === null ? null : byteKey(keyTo)
    if (from !== null && to !== null && from > to) return []
    return this.#merge(stored, this.#cachedInRange(from, to), earliestSessionEndTime, latestSessionStartTime, false)
  }

  fetch(key: Buffer): Iterable<SessionBytesEntry> {
    if (this.cache === null) return this.wrapped.fetch(key)
    return this.#merge(this.wrapped.fetch(key), this.#cachedOf(key), -Infinity, Infinity, false)
  }

  all(): Iterable<SessionBytesEntry> {
    if (this.cache === null) return this.wrapped.all()
    return this.#merge(this.wrapped.all(), this.#cachedInRange(null, null), -Infinity, Infinity, false)
  }

  protected override onClose(): void {
    this.#index.clear()
  }
}
