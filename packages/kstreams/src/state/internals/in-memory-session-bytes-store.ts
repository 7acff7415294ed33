import type { RestoreRecord, StateStore, StateStoreContext } from '../state-store.ts'
import type { SessionBytesEntry, SessionBytesStore } from './bytes-store.ts'
import {
  byteKey,
  NO_TIMESTAMP,
  newByteKeyTree,
  newNumberTree,
  storeNotOpen,
  type BTreeMap as BTree
} from './store-support.ts'
import { decodeSessionStoreKey } from './window-key-schema.ts'

// Sessions of one key that end at the same time, ascending by start. Replaced on change, never mutated,
// so iterators holding an old array are unaffected by later puts.
type Slot = readonly SessionBytesEntry[]
type EndSegment = BTree<string, Slot>

/**
 * In-memory session store with Kafka Streams' InMemorySessionStore retention, measured on session end:
 * the store tracks observed stream time (the largest end put); a put with end <= observed - retention is
 * dropped, and sessions with end <= observed - retention are removed and never returned.
 *
 * Iteration order is by end, then key bytes, then start (backward variants reverse all three).
 * Iterators walk copy-on-write snapshots, so puts during iteration are safe. The changelog keys of this
 * store are `[key][end][start]` (see window-key-schema.ts); restore applies them through `put`.
 */
export class InMemorySessionBytesStore implements SessionBytesStore {
  readonly name: string
  readonly retentionPeriod: number
  #open = false
  #observedStreamTime = NO_TIMESTAMP
  #ends: BTree<number, EndSegment> = newNumberTree<EndSegment>()

  constructor(name: string, retentionPeriod: number) {
    this.name = name
    this.retentionPeriod = retentionPeriod
  }

  persistent(): boolean {
    return false
  }

  isOpen(): boolean {
    return this.#open
  }

  init(context: StateStoreContext, root: StateStore): void {
    context.register(root, (batch) => this.#restore(batch))
    this.#open = true
  }

  flush(): void {
    this.#check()
  }

  close(): void {
    if (!this.#open) return
    this.#open = false
    this.#ends = newNumberTree<EndSegment>()
  }

  put(key: Buffer, start: number, end: number, value: Buffer | null): void {
    this.#check()
    this.#removeExpired()
    if (end > this.#observedStreamTime) this.#observedStreamTime = end
    // Expired: dropped, as Kafka Streams does (the metered layer counts dropped records).
    if (end <= this.#observedStreamTime - this.retentionPeriod) return
    if (value === null) {
      this.#remove(key, start, end)
      return
    }
    let segment = this.#ends.get(end)
    if (segment === undefined) {
      segment = newByteKeyTree<Slot>()
      this.#ends.set(end, segment)
    }
    const k = byteKey(key)
    const slot = segment.get(k) ?? []
    const entry: SessionBytesEntry = { key, start, end, value }
    const at = slot.findIndex((s) => s.start >= start)
    let next: SessionBytesEntry[]
    if (at === -1) next = [...slot, entry]
    else if (slot[at].start === start) next = slot.map((s, i) => (i === at ? entry : s))
    else next = [...slot.slice(0, at), entry, ...slot.slice(at)]
    segment.set(k, next)
  }

  remove(key: Buffer, start: number, end: number): void {
    this.#check()
    this.#remove(key, start, end)
  }

  fetchSession(key: Buffer, start: number, end: number): Buffer | undefined {
    this.#check()
    this.#removeExpired()
    if (end <= this.#observedStreamTime - this.retentionPeriod) return undefined
    return this.#ends
      .get(end)
      ?.get(byteKey(key))
      ?.find((s) => s.start === start)?.value
  }

  findSessions(
    key: Buffer,
    earliestSessionEndTime: number,
    latestSessionStartTime: number
  ): Iterable<SessionBytesEntry> {
    return this.#find(key, key, earliestSessionEndTime, latestSessionStartTime, false)
  }

  backwardFindSessions(
    key: Buffer,
    earliestSessionEndTime: number,
    latestSessionStartTime: number
  ): Iterable<SessionBytesEntry> {
    return this.#find(key, key, earliestSessionEndTime, latestSessionStartTime, true)
  }

  findSessionsRange(
    keyFrom: Buffer | null,
    keyTo: Buffer | null,
    earliestSessionEndTime: number,
    latestSessionStartTime: number
  ): Iterable<SessionBytesEntry> {
    return this.#find(keyFrom, keyTo, earliestSessionEndTime, latestSessionStartTime, false)
  }

  fetch(key: Buffer): Iterable<SessionBytesEntry> {
    return this.#find(key, key, -Infinity, Infinity, false)
  }

  all(): Iterable<SessionBytesEntry> {
    return this.#find(null, null, -Infinity, Infinity, false)
  }

  #check(): void {
    if (!this.#open) throw storeNotOpen(this.name)
  }

  #removeExpired(): void {
    const minLiveTime = Math.max(0, this.#observedStreamTime - this.retentionPeriod + 1)
    const oldest = this.#ends.minKey()
    if (oldest !== undefined && oldest < minLiveTime) this.#ends.deleteRange(oldest, minLiveTime, false)
  }

  #remove(key: Buffer, start: number, end: number): void {
    const segment = this.#ends.get(end)
    if (segment === undefined) return
    const k = byteKey(key)
    const slot = segment.get(k)
    if (slot === undefined) return
    const next = slot.filter((s) => s.start !== start)
    if (next.length === slot.length) return
    if (next.length > 0) {
      segment.set(k, next)
    } else {
      segment.delete(k)
      if (segment.size === 0) this.#ends.delete(end)
    }
  }

  #restore(batch: readonly RestoreRecord[]): void {
    for (const record of batch) {
      const { key, start, end } = decodeSessionStoreKey(record.key)
      this.put(key, start, end, record.value)
    }
  }

  #find(
    keyFrom: Buffer | null,
    keyTo: Buffer | null,
    earliestEnd: number,
    latestStart: number,
    backward: boolean
  ): Iterable<SessionBytesEntry> {
    this.#check()
    this.#removeExpired()
    const from = keyFrom === null ? undefined : byteKey(keyFrom)
    const to = keyTo === null ? undefined : byteKey(keyTo)
    if (from !== undefined && to !== undefined && from > to) return []
    const minEnd = Math.max(earliestEnd, this.#observedStreamTime - this.retentionPeriod + 1)
    return this.#walk(this.#ends.clone(), from, to, minEnd, latestStart, backward)
  }

  *#walk(
    ends: BTree<number, EndSegment>,
    from: string | undefined,
    to: string | undefined,
    minEnd: number,
    latestStart: number,
    backward: boolean
  ): Generator<SessionBytesEntry> {
    const segments = backward ? ends.entriesReversed() : ends.entries(minEnd)
    for (const [end, live] of segments) {
      if (end < minEnd) {
        if (backward) return
        continue
      }
      if (from !== undefined && from === to) {
        // One key (findSessions, the per-record path): a lookup, no snapshot of the segment needed.
        const slot = live.get(from)
        if (slot !== undefined) yield* this.#slot(slot, latestStart, backward)
        continue
      }
      const segment = live.clone()
      const slots = backward ? segment.entriesReversed(to) : segment.entries(from)
      for (const [k, slot] of slots) {
        if (backward ? from !== undefined && k < from : to !== undefined && k > to) break
        yield* this.#slot(slot, latestStart, backward)
      }
    }
  }

  *#slot(slot: Slot, latestStart: number, backward: boolean): Generator<SessionBytesEntry> {
    this.#check()
    if (backward) {
      for (let i = slot.length - 1; i >= 0; i--) if (slot[i].start <= latestStart) yield slot[i]
    } else {
      for (const session of slot) {
        if (session.start > latestStart) return
        yield session
      }
    }
  }
}
