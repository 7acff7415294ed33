// Inner (bytes-level) store contracts; the metered/caching/change-logging layers wrap these.
import type { StateStore } from '../state-store.ts'

/** Key and value bytes. Keys order by unsigned byte-wise comparison, as Kafka Streams' `Bytes`. */
export interface BytesEntry {
  readonly key: Buffer
  readonly value: Buffer
}

export interface KeyValueBytesStore extends StateStore {
  get(key: Buffer): Buffer | undefined
  /** `value === null` deletes the key. */
  put(key: Buffer, value: Buffer | null): void
  /** Puts only when absent; returns the previous value. */
  putIfAbsent(key: Buffer, value: Buffer | null): Buffer | undefined
  putAll(entries: ReadonlyArray<readonly [Buffer, Buffer | null]>): void
  /** Returns the removed value. */
  delete(key: Buffer): Buffer | undefined
  /** Both bounds inclusive; a `null` bound is open. `from > to` yields nothing. Ascending byte order. */
  range(from: Buffer | null, to: Buffer | null): Iterable<BytesEntry>
  reverseRange(from: Buffer | null, to: Buffer | null): Iterable<BytesEntry>
  all(): Iterable<BytesEntry>
  reverseAll(): Iterable<BytesEntry>
  prefixScan(prefix: Buffer): Iterable<BytesEntry>
  approximateNumEntries(): number
}

export interface WindowBytesEntry {
  readonly key: Buffer
  readonly windowStart: number
  readonly value: Buffer
}

/**
 * Windows keyed by (key, windowStart). Retention follows Kafka Streams: the store tracks the largest
 * windowStart put so far (observed stream time); a put with windowStart <= observed - retention is dropped,
 * and fetches never return windows with windowStart <= observed - retention.
 * With `retainDuplicates`, every put is kept (a sequence number disambiguates) and `null` puts are ignored.
 */
export interface WindowBytesStore extends StateStore {
  readonly retentionPeriod: number
  readonly windowSize: number
  readonly retainDuplicates: boolean
  put(key: Buffer, value: Buffer | null, windowStart: number): void
  fetch(key: Buffer, windowStart: number): Buffer | undefined
  /** Windows of one key with timeFrom <= windowStart <= timeTo, ascending windowStart. */
  fetchRange(key: Buffer, timeFrom: number, timeTo: number): Iterable<WindowBytesEntry>
  backwardFetchRange(key: Buffer, timeFrom: number, timeTo: number): Iterable<WindowBytesEntry>
  /** Keys in [keyFrom, keyTo] (null = open). Ordered by windowStart, then key bytes. */
  fetchKeyRange(
    keyFrom: Buffer | null,
    keyTo: Buffer | null,
    timeFrom: number,
    timeTo: number
  ): Iterable<WindowBytesEntry>
  fetchAll(timeFrom: number, timeTo: number): Iterable<WindowBytesEntry>
  /** Every unexpired window, ordered by windowStart, then key bytes. */
  all(): Iterable<WindowBytesEntry>
}

export interface SessionBytesEntry {
  readonly key: Buffer
  readonly start: number
  readonly end: number
  readonly value: Buffer
}

/**
 * Sessions keyed by (key, start, end). Retention as for windows, measured on session end time.
 */
export interface SessionBytesStore extends StateStore {
  readonly retentionPeriod: number
  /** Sessions of `key` with end >= earliestSessionEndTime and start <= latestSessionStartTime, ascending by end then start. */
  findSessions(key: Buffer, earliestSessionEndTime: number, latestSessionStartTime: number): Iterable<SessionBytesEntry>
  backwardFindSessions(
    key: Buffer,
    earliestSessionEndTime: number,
    latestSessionStartTime: number
  ): Iterable<SessionBytesEntry>
  findSessionsRange(
    keyFrom: Buffer | null,
    keyTo: Buffer | null,
    earliestSessionEndTime: number,
    latestSessionStartTime: number
  ): Iterable<SessionBytesEntry>
  fetchSession(key: Buffer, start: number, end: number): Buffer | undefined
  /** `value === null` removes the session. */
  put(key: Buffer, start: number, end: number, value: Buffer | null): void
  remove(key: Buffer, start: number, end: number): void
  /** Every session of one key, ascending by end then start. */
  fetch(key: Buffer): Iterable<SessionBytesEntry>
  all(): Iterable<SessionBytesEntry>
}
