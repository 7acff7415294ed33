// The record cache shared by a task's caching stores: one LRU per store (namespace) under one byte budget, as
// Kafka Streams' ThreadCache/NamedCache. Dirty entries reach the store below, and downstream processors, only when
// the cache is flushed (at commit) or when an entry is evicted to stay under the budget.
import type { RecordContext } from './internal-store-context.ts'

export interface CacheEntry {
  value: Buffer | null
  dirty: boolean
  readonly context: RecordContext | null
}

export interface DirtyEntry {
  readonly key: Buffer
  readonly value: Buffer | null
  readonly context: RecordContext
}

export type DirtyEntryFlushListener = (entries: DirtyEntry[]) => void

interface Node {
  readonly id: string
  readonly key: Buffer
  entry: CacheEntry
  size: number
  // LRU order as a doubly-linked list: `head` is the eldest entry. A Map's insertion order would also do, but
  // evicting from its front gets slower as deleted slots pile up there.
  prev: Node | null
  next: Node | null
}

function entrySize(key: Buffer, entry: CacheEntry): number {
  // Mirrors the order of magnitude of Kafka Streams' estimate: bytes plus fixed per-entry overhead.
  return key.length + (entry.value === null ? 0 : entry.value.length) + 61 + (entry.context?.topic.length ?? 0)
}

class NamedCache {
  readonly nodes = new Map<string, Node>()
  readonly dirtyKeys = new Set<string>()
  sizeBytes = 0
  listener: DirtyEntryFlushListener | null = null
  #head: Node | null = null
  #tail: Node | null = null

  #unlink(node: Node): void {
    if (node.prev === null) this.#head = node.next
    else node.prev.next = node.next
    if (node.next === null) this.#tail = node.prev
    else node.next.prev = node.prev
    node.prev = null
    node.next = null
  }

  #append(node: Node): void {
    node.prev = this.#tail
    node.next = null
    if (this.#tail === null) this.#head = node
    else this.#tail.next = node
    this.#tail = node
  }

  get(id: string): CacheEntry | undefined {
    const node = this.nodes.get(id)
    if (node === undefined) return undefined
    if (node !== this.#tail) {
      this.#unlink(node)
      this.#append(node)
    }
    return node.entry
  }

  put(id: string, key: Buffer, entry: CacheEntry): void {
    let node = this.nodes.get(id)
    if (node !== undefined) {
      this.sizeBytes -= node.size
      node.entry = entry
      node.size = entrySize(key, entry)
      if (node !== this.#tail) {
        this.#unlink(node)
        this.#append(node)
      }
    } else {
      node = { id, key, entry, size: entrySize(key, entry), prev: null, next: null }
      this.nodes.set(id, node)
      this.#append(node)
    }
    if (entry.dirty) {
      this.dirtyKeys.delete(id)
      this.dirtyKeys.add(id)
    }
    this.sizeBytes += node.size
  }

  delete(id: string): void {
    const node = this.nodes.get(id)
    if (node === undefined) return
    this.sizeBytes -= node.size
    this.#unlink(node)
    this.nodes.delete(id)
    this.dirtyKeys.delete(id)
  }

  evict(): void {
    const eldest = this.#head
    if (eldest === null) return
    this.sizeBytes -= eldest.size
    this.#unlink(eldest)
    this.nodes.delete(eldest.id)
    if (eldest.entry.dirty) this.flush(eldest.id, eldest)
  }

  flush(evictedId?: string, evicted?: Node): void {
    if (this.dirtyKeys.size === 0) return
    const entries: DirtyEntry[] = []
    const deleted: string[] = []
    if (evictedId !== undefined && evicted !== undefined) {
      entries.push({ key: evicted.key, value: evicted.entry.value, context: evicted.entry.context as RecordContext })
      this.dirtyKeys.delete(evictedId)
    }
    for (const id of this.dirtyKeys) {
      const node = this.nodes.get(id) as Node
      entries.push({ key: node.key, value: node.entry.value, context: node.entry.context as RecordContext })
      node.entry.dirty = false
      if (node.entry.value === null) deleted.push(id)
    }
    // Cleared before the listener runs: flushing downstream may re-enter this cache.
    this.dirtyKeys.clear()
    if (this.listener === null) throw new Error('no flush listener registered for cache')
    this.listener(entries)
    for (const id of deleted) this.delete(id)
  }
}

export class ThreadCache {
  readonly maxBytes: number
  readonly #caches = new Map<string, NamedCache>()

  constructor(maxBytes: number) {
    this.maxBytes = Math.max(0, maxBytes)
  }

  #cache(namespace: string): NamedCache {
    let cache = this.#caches.get(namespace)
    if (cache === undefined) {
      cache = new NamedCache()
      this.#caches.set(namespace, cache)
    }
    return cache
  }

  #totalBytes(): number {
    let total = 0
    for (const c of this.#caches.values()) total += c.sizeBytes
    return total
  }

  addDirtyEntryFlushListener(namespace: string, listener: DirtyEntryFlushListener): void {
    this.#cache(namespace).listener = listener
  }

  get(namespace: string, id: string): CacheEntry | undefined {
    return this.#caches.get(namespace)?.get(id)
  }

  put(namespace: string, id: string, key: Buffer, entry: CacheEntry): void {
    const cache = this.#cache(namespace)
    cache.put(id, key, entry)
    this.#maybeEvict(cache)
  }

  delete(namespace: string, id: string): void {
    this.#caches.get(namespace)?.delete(id)
  }

  #maybeEvict(cache: NamedCache): void {
    while (this.#totalBytes() > this.maxBytes) {
      // The put may have cascaded into other caches; only this one is ours to evict from.
      if (cache.nodes.size === 0) return
      cache.evict()
    }
  }

  flush(namespace: string): void {
    this.#caches.get(namespace)?.flush()
  }

  /** Entries of one namespace (for range queries that merge cache and store). */
  entries(namespace: string): Iterable<[string, Node]> {
    return this.#caches.get(namespace)?.nodes ?? new Map<string, Node>()
  }

  close(namespace: string): void {
    this.#caches.delete(namespace)
  }
}
