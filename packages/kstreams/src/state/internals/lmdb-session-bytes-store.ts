import type { RestoreRecord, StateStore, StateStoreContext } from '../state-store.ts'
import type { SessionBytesEntry, SessionBytesStore } from './bytes-store.ts'
import { LmdbEnvironment } from './lmdb-environment.ts'
import { readLong, segmentPrefix, Segments, writeLong } from './lmdb-segments.ts'
import { storeNotOpen } from './store-support.ts'
import { decodeSessionStoreKey } from './window-key-schema.ts'

// Stored key: [segment id 8][key][end 8][start 8], i.e. the segment id (of the end time) followed by
// Kafka Streams' session store key.
const SUFFIX = 16
const MAX_TIME = Number.MAX_SAFE_INTEGER

function storeKey(segment: number, key: Buffer, start: number, end: number): Buffer {
  const out = Buffer.allocUnsafe(8 + key.length + SUFFIX)
  writeLong(out, segment, 0)
  key.copy(out, 8)
  writeLong(out, end, 8 + key.length)
  writeLong(out, start, 8 + key.length + 8)
  return out
}

function endOf(stored: Buffer): number {
  return readLong(stored, stored.length - SUFFIX)
}

function toEntry(stored: Buffer, value: Buffer): SessionBytesEntry {
  return {
    key: Buffer.from(stored.subarray(8, stored.length - SUFFIX)),
    end: endOf(stored),
    start: readLong(stored, stored.length - 8),
    value
  }
}

function compareEntries(a: SessionBytesEntry, b: SessionBytesEntry): number {
  return a.end - b.end || Buffer.compare(a.key, b.key) || a.start - b.start
}

/**
 * Persistent session store on LMDB, with the retention semantics of the in-memory session store (see
 * {@link SessionBytesStore}) and Kafka Streams' segment layout (segments by session end time, of
 * max(retention / 2, 1 minute), deleted whole once expired). One key's sessions are one range read per
 * segment; key-range queries sort each segment's matches by (end, key, start). See LmdbKeyValueBytesStore
 * for durability.
 */
export class LmdbSessionBytesStore implements SessionBytesStore {
  readonly name: string
  readonly retentionPeriod: number
  #env: LmdbEnvironment | undefined
  #segments: Segments | undefined

  constructor(name: string, retentionPeriod: number) {
    this.name = name
    this.retentionPeriod = retentionPeriod
  }

  persistent(): boolean {
    return true
  }

  isOpen(): boolean {
    return this.#env?.isOpen ?? false
  }

  init(context: StateStoreContext, root: StateStore): void {
    const env = new LmdbEnvironment(this.name, context.stateDir)
    this.#env = env
    this.#segments = new Segments(env, this.retentionPeriod, endOf)
    context.register(root, (batch) => this.#restore(batch))
  }

  flush(): void {
    this.#lmdb().flush()
  }

  close(): void {
    this.#env?.close()
  }

  put(key: Buffer, start: number, end: number, value: Buffer | null): void {
    const env = this.#lmdb()
    const segments = this.#segments!
    const live = segments.observe(end)
    segments.dropExpired()
    if (!live) return
    const segment = segments.segmentId(end)
    if (value === null) {
      env.write((db) => db.removeSync(storeKey(segment, key, start, end)))
      return
    }
    segments.touched(segment)
    env.write((db) => db.putSync(storeKey(segment, key, start, end), value))
  }

  remove(key: Buffer, start: number, end: number): void {
    const env = this.#lmdb()
    env.write((db) => db.removeSync(storeKey(this.#segments!.segmentId(end), key, start, end)))
  }

  fetchSession(key: Buffer, start: number, end: number): Buffer | undefined {
    const env = this.#lmdb()
    const segments = this.#segments!
    if (end < segments.minLiveTime()) return undefined
    return env.get(storeKey(segments.segmentId(end), key, start, end))
  }

  findSessions(
    key: Buffer,
    earliestSessionEndTime: number,
    latestSessionStartTime: number
  ): Iterable<SessionBytesEntry> {
    this.#lmdb()
    return this.#keySessions(key, earliestSessionEndTime, latestSessionStartTime, false)
  }

  backwardFindSessions(
    key: Buffer,
    earliestSessionEndTime: number,
    latestSessionStartTime: number
  ): Iterable<SessionBytesEntry> {
    this.#lmdb()
    return this.#keySessions(key, earliestSessionEndTime, latestSessionStartTime, true)
  }

  findSessionsRange(
    keyFrom: Buffer | null,
    keyTo: Buffer | null,
    earliestSessionEndTime: number,
    latestSessionStartTime: number
  ): Iterable<SessionBytesEntry> {
    this.#lmdb()
    if (keyFrom !== null && keyTo !== null && Buffer.compare(keyFrom, keyTo) > 0) return []
    return this.#scan(keyFrom, keyTo, earliestSessionEndTime, latestSessionStartTime)
  }

  fetch(key: Buffer): Iterable<SessionBytesEntry> {
    return this.findSessions(key, -Infinity, Infinity)
  }

  all(): Iterable<SessionBytesEntry> {
    return this.findSessionsRange(null, null, -Infinity, Infinity)
  }

  #lmdb(): LmdbEnvironment {
    const env = this.#env
    if (env === undefined || !env.isOpen) throw storeNotOpen(this.name)
    return env
  }

  #restore(batch: readonly RestoreRecord[]): void {
    for (const record of batch) {
      const { key, start, end } = decodeSessionStoreKey(record.key)
      this.put(key, start, end, record.value)
    }
  }

  *#keySessions(
    key: Buffer,
    earliestEnd: number,
    latestStart: number,
    backward: boolean
  ): Generator<SessionBytesEntry> {
    const env = this.#lmdb()
    const segments = this.#segments!
    const minEnd = Math.max(earliestEnd, segments.minLiveTime(), 0)
    const ids = segments.ids(minEnd, MAX_TIME)
    if (backward) ids.reverse()
    const length = 8 + key.length + SUFFIX
    for (const id of ids) {
      const low = storeKey(id, key, 0, minEnd)
      const high = storeKey(id, key, MAX_TIME, MAX_TIME)
      const options = backward
        ? { start: high, end: low, inclusiveEnd: true, reverse: true }
        : { start: low, end: high, inclusiveEnd: true }
      // A longer key sharing this prefix can sort inside the range: keep exact key matches only.
      yield* env.iterate(options, (stored, value) => {
        if (stored.length !== length || key.compare(stored, 8, 8 + key.length) !== 0) return undefined
        return readLong(stored, stored.length - 8) <= latestStart ? toEntry(stored, value) : undefined
      })
    }
  }

  *#scan(
    keyFrom: Buffer | null,
    keyTo: Buffer | null,
    earliestEnd: number,
    latestStart: number
  ): Generator<SessionBytesEntry> {
    const env = this.#lmdb()
    const segments = this.#segments!
    const minEnd = Math.max(earliestEnd, segments.minLiveTime(), 0)
    for (const id of segments.ids(minEnd, MAX_TIME)) {
      const start = keyFrom === null ? segmentPrefix(id) : storeKey(id, keyFrom, 0, 0)
      const matches = [
        ...env.iterate({ start, end: segmentPrefix(id + 1) }, (stored, value) => {
          const key = stored.subarray(8, stored.length - SUFFIX)
          // Keys are followed by timestamps, so key order is not stored order when one key prefixes another.
          if (keyTo !== null && Buffer.compare(key, keyTo) > 0) return undefined
          if (keyFrom !== null && Buffer.compare(key, keyFrom) < 0) return undefined
          const entry = toEntry(stored, value)
          return entry.end >= minEnd && entry.start <= latestStart ? entry : undefined
        })
      ]
      for (const match of matches.sort(compareEntries)) {
        this.#lmdb()
        yield match
      }
    }
  }
}
