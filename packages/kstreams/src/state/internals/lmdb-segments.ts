// Time segments of the LMDB window and session stores, after Kafka Streams' segmented RocksDB stores:
// every stored key starts with the 8-byte id of its time segment, so expiring a whole segment is one
// contiguous range delete and a time-bounded query only visits the segments it overlaps.
import type { Database } from 'lmdb'
import { AFTER_LAST, FIRST, type LmdbEnvironment } from './lmdb-environment.ts'
import { NO_TIMESTAMP } from './store-support.ts'

const TWO_POW_32 = 4294967296

export function writeLong(target: Buffer, value: number, offset: number): void {
  const hi = Math.floor(value / TWO_POW_32)
  target.writeInt32BE(hi, offset)
  target.writeUInt32BE(value - hi * TWO_POW_32, offset + 4)
}

export function readLong(source: Buffer, offset: number): number {
  return source.readInt32BE(offset) * TWO_POW_32 + source.readUInt32BE(offset + 4)
}

/** Kafka Streams' default: segments of half the retention, at least one minute. */
export function segmentIntervalFor(retentionPeriod: number): number {
  return Math.max(Math.floor(retentionPeriod / 2), 60_000)
}

/**
 * The shared bookkeeping: observed stream time, which segments may hold data, and dropping the ones
 * wholly older than `observed - retention + 1`. Timestamps must be >= 0, as Kafka Streams' are.
 */
export class Segments {
  readonly env: LmdbEnvironment
  readonly retentionPeriod: number
  readonly interval: number
  observedStreamTime = NO_TIMESTAMP
  #oldest = Infinity
  #newest = -Infinity

  constructor(env: LmdbEnvironment, retentionPeriod: number, timeOf: (storeKey: Buffer) => number) {
    this.env = env
    this.retentionPeriod = retentionPeriod
    this.interval = segmentIntervalFor(retentionPeriod)
    // Reopened store: recover the segment span and observed stream time from what is on disk.
    for (const key of env.iterate({ start: FIRST, end: AFTER_LAST }, (k) => k)) {
      const id = readLong(key, 0)
      if (id < this.#oldest) this.#oldest = id
      if (id > this.#newest) this.#newest = id
      const time = timeOf(key)
      if (time > this.observedStreamTime) this.observedStreamTime = time
    }
  }

  segmentId(time: number): number {
    return Math.floor(time / this.interval)
  }

  /** Smallest time still live: `observed - retention + 1`. */
  minLiveTime(): number {
    return this.observedStreamTime - this.retentionPeriod + 1
  }

  /** Advances observed stream time; returns false when `time` is already expired (the put must be dropped). */
  observe(time: number): boolean {
    if (time > this.observedStreamTime) this.observedStreamTime = time
    return time >= this.minLiveTime()
  }

  /** Notes that a key of segment `id` was written. */
  touched(id: number): void {
    if (id < this.#oldest) this.#oldest = id
    if (id > this.#newest) this.#newest = id
  }

  /** Segment ids overlapping [from, to] that may hold data, ascending. */
  ids(from: number, to: number): number[] {
    const first = Math.max(this.segmentId(Math.max(from, 0)), this.#oldest)
    const last = Math.min(this.segmentId(Math.max(to, 0)), this.#newest)
    const ids: number[] = []
    for (let id = first; id <= last; id++) ids.push(id)
    return ids
  }

  /** Deletes every segment wholly older than the minimum live time. */
  dropExpired(): void {
    const firstLive = this.segmentId(Math.max(0, this.minLiveTime()))
    if (this.#oldest >= firstLive) return
    const from = segmentPrefix(this.#oldest)
    const to = segmentPrefix(firstLive)
    const expired = [...this.env.iterate({ start: from, end: to }, (k) => k)]
    this.env.write((db: Database<Buffer, Buffer>) => {
      for (const key of expired) db.removeSync(key)
    }, true)
    this.#oldest = firstLive
  }
}

export function segmentPrefix(id: number): Buffer {
  const out = Buffer.allocUnsafe(8)
  writeLong(out, id, 0)
  return out
}
