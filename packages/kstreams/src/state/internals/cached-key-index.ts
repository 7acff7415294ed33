// Which cache entries of a windowed caching store belong to one record key. The record cache is a flat LRU per
// store, so without this a per-key range read (every windowed aggregate does one per record) would scan the
// whole namespace. The cache evicts clean entries without telling the store, so the index may hold ids that
// are gone: lookups drop them as they find them, and the whole index is pruned whenever it has doubled.
import type { CacheEntry, ThreadCache } from './thread-cache.ts'

const MIN_PRUNE_SIZE = 1024

export interface CachedItem {
  /** The binary cache key (a window or session store key). */
  readonly binary: Buffer
  readonly entry: CacheEntry
}

export class CachedKeyIndex {
  readonly #byKey = new Map<string, Map<string, Buffer>>()
  #size = 0
  #pruneAt = MIN_PRUNE_SIZE

  add(cache: ThreadCache, namespace: string, keyId: string, id: string, binary: Buffer): void {
    let ids = this.#byKey.get(keyId)
    if (ids === undefined) {
      ids = new Map()
      this.#byKey.set(keyId, ids)
    }
    if (ids.has(id)) return
    ids.set(id, binary)
    if (++this.#size > this.#pruneAt) this.#prune(cache, namespace)
  }

  /** The live cache entries of one record key, in no particular order. */
  lookup(cache: ThreadCache, namespace: string, keyId: string): CachedItem[] {
    const ids = this.#byKey.get(keyId)
    if (ids === undefined) return []
    const out: CachedItem[] = []
    for (const [id, binary] of ids) {
      const entry = cache.get(namespace, id)
      if (entry === undefined) {
        ids.delete(id)
        this.#size--
      } else {
        out.push({ binary, entry })
      }
    }
    if (ids.size === 0) this.#byKey.delete(keyId)
    return out
  }

  clear(): void {
    this.#byKey.clear()
    this.#size = 0
    this.#pruneAt = MIN_PRUNE_SIZE
  }

  #prune(cache: ThreadCache, namespace: string): void {
    const live = new Set<string>()
    for (const [id] of cache.entries(namespace)) live.add(id)
    for (const [keyId, ids] of this.#byKey) {
      for (const id of ids.keys()) {
        if (!live.has(id)) {
          ids.delete(id)
          this.#size--
        }
      }
      if (ids.size === 0) this.#byKey.delete(keyId)
    }
    this.#pruneAt = Math.max(MIN_PRUNE_SIZE, 2 * this.#size)
  }
}
