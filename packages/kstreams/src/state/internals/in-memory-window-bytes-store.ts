import type { RestoreRecord, StateStore, StateStoreContext } from '../state-store.ts'
import type { WindowBytesEntry, WindowBytesStore } from './bytes-store.ts'
import {
  byteKey,
  NO_TIMESTAMP,
  newByteKeyTree,
  newNumberTree,
  storeNotOpen,
  type BTreeMap as BTreeType
} from './store-support.ts'
import { decodeWindowStoreKey } from './window-key-schema.ts'

// Without duplicates a slot holds one entry; with them, every entry of that key in put order. Arrays are
// replaced, never mutated, so an iterator holding an old one is unaffected by later puts.
type Slot = WindowBytesEntry | readonly WindowBytesEntry[]
type Segment = BTreeType<string, Slot>

/**
 * In-memory window store with Kafka Streams' InMemoryWindowStore retention: the store tracks observed
 * stream time (the largest windowStart put); a put with windowStart <= observed - retention is dropped,
 * and windows with windowStart <= observed - retention are removed and never returned.
 *
 * With `retainDuplicates` every non-null put is kept, in put order, and `null` puts are ignored;
 * `fetch(key, windowStart)` then returns undefined, as in Kafka Streams (use fetchRange). Iterators walk
 * copy-on-write snapshots taken when they reach each window, so puts during iteration are safe.
 * The changelog keys of this store are `[key][windowStart][seqnum]` (see window-key-schema.ts); restore
 * applies them through `put`, so expired records are dropped and duplicates get fresh positions.
 */
export class InMemoryWindowBytesStore implements WindowBytesStore {
  readonly name: string
  readonly retentionPeriod: number
  readonly windowSize: number
  readonly retainDuplicates: boolean
  #open = false
  #observedStreamTime = NO_TIMESTAMP
  #segments: BTreeType<number, Segment> = newNumberTree<Segment>()

  constructor(name: string, retentionPeriod: number, windowSize: number, retainDuplicates: boolean) {
    this.name = name
    this.retentionPeriod = retentionPeriod
    this.windowSize = windowSize
    this.retainDuplicates = retainDuplicates
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
    this.#segments = newNumberTree<Segment>()
  }

  put(key: Buffer, value: Buffer | null, windowStart: number): void {
    this.#check()
    this.#removeExpired()
    if (windowStart > this.#observedStreamTime) this.#observedStreamTime = windowStart
    // Expired: Kafka Streams counts it in dropped-records and skips it; the metered layer does the counting.
    if (windowStart <= this.#observedStreamTime - this.retentionPeriod) return
    const k = byteKey(key)
    if (value === null) {
      if (this.retainDuplicates) return
      const segment = this.#segments.get(windowStart)
      if (segment !== undefined && segment.delete(k) && segment.size === 0) this.#segments.delete(windowStart)
      return
    }
    let segment = this.#segments.get(windowStart)
    if (segment === undefined) {
      segment = newByteKeyTree<Slot>()
      this.#segments.set(windowStart, segment)
    }
    const entry: WindowBytesEntry = { key, windowStart, value }
    if (this.retainDuplicates) {
      const previous = segment.get(k) as readonly WindowBytesEntry[] | undefined
      segment.set(k, previous === undefined ? [entry] : [...previous, entry])
    } else {
      segment.set(k, entry)
    }
  }

  fetch(key: Buffer, windowStart: number): Buffer | undefined {
    this.#check()
    this.#removeExpired()
    if (this.retainDuplicates || windowStart <= this.#observedStreamTime - this.retentionPeriod) return undefined
    return (this.#segments.get(windowStart)?.get(byteKey(key)) as WindowBytesEntry | undefined)?.value
  }

  fetchRange(key: Buffer, timeFrom: number, timeTo: number): Iterable<WindowBytesEntry> {
    return this.#fetchKey(key, timeFrom, timeTo, false)
  }

  backwardFetchRange(key: Buffer, timeFrom: number, timeTo: number): Iterable<WindowBytesEntry> {
    return this.#fetchKey(key, timeFrom, timeTo, true)
  }

  fetchKeyRange(
    keyFrom: Buffer | null,
    keyTo: Buffer | null,
    timeFrom: number,
    timeTo: number
  ): Iterable<WindowBytesEntry> {
    this.#check()
    this.#removeExpired()
    const from = keyFrom === null ? undefined : byteKey(keyFrom)
    const to = keyTo === null ? undefined : byteKey(keyTo)
    if (from !== undefined && to !== undefined && from > to) return []
    const minTime = Math.max(timeFrom, this.#observedStreamTime - this.retentionPeriod + 1)
    if (timeTo < minTime) return []
    return this.#scan(this.#segments.clone(), minTime, timeTo, from, to)
  }

  fetchAll(timeFrom: number, timeTo: number): Iterable<WindowBytesEntry> {
    return this.fetchKeyRange(null, null, timeFrom, timeTo)
  }

  all(): Iterable<WindowBytesEntry> {
    return this.fetchKeyRange(null, null, -Infinity, Infinity)
  }

  #check(): void {
    if (!this.#open) throw storeNotOpen(this.name)
  }

  #removeExpired(): void {
    const minLiveTime = Math.max(0, this.#observedStreamTime - this.retentionPeriod + 1)
    const oldest = this.#segments.minKey()
    if (oldest !== undefined && oldest < minLiveTime) this.#segments.deleteRange(oldest, minLiveTime, false)
  }

  #restore(batch: readonly RestoreRecord[]): void {
    for (const record of batch) {
      const { key, windowStart } = decodeWindowStoreKey(record.key)
      this.put(key, record.value, windowStart)
    }
  }

  #fetchKey(key: Buffer, timeFrom: number, timeTo: number, backward: boolean): Iterable<WindowBytesEntry> {
    this.#check()
    this.#removeExpired()
    const minTime = Math.max(timeFrom, this.#observedStreamTime - this.retentionPeriod + 1)
    if (timeTo < minTime) return []
    return this.#keyWindows(this.#segments.clone(), byteKey(key), minTime, timeTo, backward)
  }

  *#keyWindows(
    segments: BTreeType<number, Segment>,
    k: string,
    minTime: number,
    maxTime: number,
    backward: boolean
  ): Generator<WindowBytesEntry> {
    const windows = backward ? segments.entriesReversed(maxTime) : segments.entries(minTime)
    for (const [windowStart, segment] of windows) {
      if (backward ? windowStart < minTime : windowStart > maxTime) return
      this.#check()
      const slot = segment.get(k)
      if (slot === undefined) continue
      if (!Array.isArray(slot)) {
        yield slot as WindowBytesEntry
      } else if (backward) {
        for (let i = slot.length - 1; i >= 0; i--) yield slot[i]
      } else {
        yield* slot
      }
    }
  }

  *#scan(
    segments: BTreeType<number, Segment>,
    minTime: number,
    maxTime: number,
    from: string | undefined,
    to: string | undefined
  ): Generator<WindowBytesEntry> {
    for (const [windowStart, segment] of segments.entries(minTime)) {
      if (windowStart > maxTime) return
      // Snapshot of this window's keys as it is reached.
      for (const [k, slot] of segment.clone().entries(from)) {
        if (to !== undefined && k > to) break
        this.#check()
        if (Array.isArray(slot)) yield* slot as readonly WindowBytesEntry[]
        else yield slot as WindowBytesEntry
      }
    }
  }
}
