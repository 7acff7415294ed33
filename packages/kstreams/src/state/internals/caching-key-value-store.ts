// Buffers writes in the task's record cache; the store below and downstream processors see at most one update
// per key per flush (commit or eviction).
import type { BytesEntry, KeyValueBytesStore } from './bytes-store.ts'
import type { InternalStoreContext, RecordContext } from './internal-store-context.ts'
import type { DirtyEntry } from './thread-cache.ts'
import { CachingStore } from './caching-store.ts'

/** Called for each flushed entry with the raw new and old values and the context the entry was written in. */
export type BytesFlushListener = (
  key: Buffer,
  newValue: Buffer | null,
  oldValue: Buffer | null,
  context: RecordContext
) => void

export interface CachedStateStore {
  setFlushListener(listener: BytesFlushListener, sendOldValues: boolean): boolean
}

const id = (key: Buffer): string => key.toString('latin1')

function inRange(key: Buffer, from: Buffer | null, to: Buffer | null): boolean {
  return (from === null || Buffer.compare(key, from) >= 0) && (to === null || Buffer.compare(key, to) <= 0)
}

export class CachingKeyValueStore
  extends CachingStore<KeyValueBytesStore, BytesFlushListener>
  implements KeyValueBytesStore, CachedStateStore
{
  protected flushEntries(entries: DirtyEntry[]): void {
    const ctx = this.context as InternalStoreContext
    for (const entry of entries) {
      if (this.listener === null) {
        this.#putToWrapped(ctx, entry)
        continue
      }
      const oldValue = entry.value === null || this.sendOldValues ? (this.wrapped.get(entry.key) ?? null) : null
      // Nothing in the store and nothing new: neither write nor forward.
      if (entry.value === null && oldValue === null) continue
      this.#putToWrapped(ctx, entry)
      const current = ctx.recordContext()
      ctx.setRecordContext(entry.context)
      try {
        this.listener(entry.key, entry.value, this.sendOldValues ? oldValue : null, entry.context)
      } finally {
        ctx.setRecordContext(current)
      }
    }
  }

  #putToWrapped(ctx: InternalStoreContext, entry: DirtyEntry): void {
    const current = ctx.recordContext()
    ctx.setRecordContext(entry.context)
    try {
      this.wrapped.put(entry.key, entry.value)
    } finally {
      ctx.setRecordContext(current)
    }
  }

  get(key: Buffer): Buffer | undefined {
    const cache = this.cache
    if (cache === null) return this.wrapped.get(key)
    const entry = cache.get(this.namespace, id(key))
    if (entry !== undefined) return entry.value ?? undefined
    const value = this.wrapped.get(key)
    if (value !== undefined) cache.put(this.namespace, id(key), key, { value, dirty: false, context: null })
    return value
  }

  put(key: Buffer, value: Buffer | null): void {
    const cache = this.cache
    if (cache === null) {
      this.wrapped.put(key, value)
      return
    }
    const ctx = (this.context as InternalStoreContext).recordContext()
    cache.put(this.namespace, id(key), key, { value, dirty: true, context: ctx })
  }

  putIfAbsent(key: Buffer, value: Buffer | null): Buffer | undefined {
    const previous = this.get(key)
    if (previous === undefined) this.put(key, value)
    return previous
  }

  putAll(entries: ReadonlyArray<readonly [Buffer, Buffer | null]>): void {
    for (const [k, v] of entries) this.put(k, v)
  }

  delete(key: Buffer): Buffer | undefined {
    const previous = this.get(key)
    this.put(key, null)
    return previous
  }

  #merged(from: Buffer | null, to: Buffer | null, reverse: boolean): BytesEntry[] {
    const merged = new Map<string, BytesEntry | null>()
    for (const e of this.wrapped.range(from, to)) merged.set(id(e.key), e)
    if (this.cache !== null) {
      for (const [k, node] of this.cache.entries(this.namespace)) {
        if (!inRange(node.key, from, to)) continue
        merged.set(k, node.entry.value === null ? null : { key: node.key, value: node.entry.value })
      }
    }
    const out: BytesEntry[] = []
    for (const e of merged.values()) if (e !== null) out.push(e)
    out.sort((a, b) => Buffer.compare(a.key, b.key))
    if (reverse) out.reverse()
    return out
  }

  range(from: Buffer | null, to: Buffer | null): Iterable<BytesEntry> {
    if (from !== null && to !== null && Buffer.compare(from, to) > 0) return []
    return this.#merged(from, to, false)
  }

  reverseRange(from: Buffer | null, to: Buffer | null): Iterable<BytesEntry> {
    if (from !== null && to !== null && Buffer.compare(from, to) > 0) return []
    return this.#merged(from, to, true)
  }

  all(): Iterable<BytesEntry> {
    return this.#merged(null, null, false)
  }

  reverseAll(): Iterable<BytesEntry> {
    return this.#merged(null, null, true)
  }

  prefixScan(prefix: Buffer): Iterable<BytesEntry> {
    return this.#merged(null, null, false).filter((e) => e.key.subarray(0, prefix.length).equals(prefix))
  }

  approximateNumEntries(): number {
    return this.wrapped.approximateNumEntries()
  }
}
