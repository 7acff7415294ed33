// LMDB plumbing shared by the persistent stores: one environment per store, synchronous reads and writes,
// fsync on flush, cursors released before close, and clear errors.
import { closeSync, fsyncSync, openSync } from 'node:fs'
import { join } from 'node:path'
import { open, type Database, type RangeOptions } from 'lmdb'
import { StreamsError } from '../../errors.ts'
import { storeNotOpen } from './store-support.ts'

/** Range bound below every stored key (encodes as 0x00, the encoding of the empty key). */
export const FIRST = Buffer.alloc(0)
/** Range bound above every stored key (encodes as 0x01). */
export const AFTER_LAST = Buffer.alloc(0)

// LMDB refuses zero-length keys but Kafka keys may be empty (e.g. the String ""): every stored key gets a
// constant 0x00 first byte, which keeps the byte-wise order and costs no allocation (lmdb copies keys anyway).
// Open range bounds are passed explicitly as FIRST / AFTER_LAST: lmdb-js mishandles an absent start with a
// custom key encoder.
const KEY_ENCODER = {
  writeKey(key: Buffer, target: Buffer, start: number): number {
    if (key === AFTER_LAST) {
      target[start] = 1
      return start + 1
    }
    target[start] = 0
    target.set(key, start + 1)
    return start + 1 + key.length
  },
  readKey(source: Buffer, start: number, end: number): Buffer {
    return Buffer.from(source.subarray(start + 1, end))
  }
}

/** Returned by an iteration mapper to end the iteration. */
export const STOP = Symbol('stop')

/**
 * One store's LMDB environment under `<stateDir>/<storeName>`. Commits skip fsync (durability comes from
 * the changelog, as Kafka Streams runs RocksDB without its WAL); `flush()` fsyncs the data file when
 * something was written since the last flush.
 */
export class LmdbEnvironment {
  readonly storeName: string
  readonly path: string
  #db: Database<Buffer, Buffer> | undefined
  #dataFile: number | undefined
  #dirty = false
  // Cursors of unfinished iterators: released before the environment closes, never after (that crashes).
  readonly #cursors = new Set<Iterator<unknown>>()

  constructor(storeName: string, stateDir: string) {
    this.storeName = storeName
    this.path = join(stateDir, storeName)
    try {
      this.#db = open<Buffer, Buffer>({ path: this.path, keyEncoder: KEY_ENCODER, encoding: 'binary', noSync: true })
      // LMDB writes through the file (no write map), so an fsync on our own descriptor covers its commits.
      this.#dataFile = openSync(join(this.path, 'data.mdb'), 'r')
    } catch (cause) {
      this.#db?.close().catch(() => {})
      throw new StreamsError(
        'ILLEGAL_STATE',
        `Cannot open LMDB store ${storeName} in ${this.path}: ${(cause as Error).message}`,
        { cause, storeName }
      )
    }
  }

  get isOpen(): boolean {
    return this.#db !== undefined
  }

  /** The database; throws STORE_CLOSED once closed. */
  get db(): Database<Buffer, Buffer> {
    const db = this.#db
    if (db === undefined) throw storeNotOpen(this.storeName)
    return db
  }

  get(key: Buffer): Buffer | undefined {
    return this.db.getBinary(key)
  }

  /** Runs writes (several are grouped into one transaction); LMDB refusals become STORE_INVALID_OPERATION. */
  write(action: (db: Database<Buffer, Buffer>) => void, batch = false): void {
    const db = this.db
    this.#dirty = true
    try {
      if (batch) db.transactionSync(() => action(db))
      else action(db)
    } catch (cause) {
      if (cause instanceof StreamsError) throw cause
      throw new StreamsError(
        'STORE_INVALID_OPERATION',
        `LMDB store ${this.storeName} refused a write: ${(cause as Error).message}`,
        { cause, storeName: this.storeName }
      )
    }
  }

  /**
   * Iterates a range lazily over an LMDB snapshot taken at the first step; `map` turns an entry into a
   * result, `undefined` to skip it, or {@link STOP} to end. Every step throws STORE_CLOSED once closed.
   */
  *iterate<T>(options: RangeOptions, map: (key: Buffer, value: Buffer) => T | undefined | typeof STOP): Generator<T> {
    const db = this.db
    const entries = db.getRange(options)[Symbol.iterator]()
    this.#cursors.add(entries)
    try {
      while (true) {
        // Checked before touching LMDB, whose own error on a closed environment is less clear.
        if (this.#db !== db) throw storeNotOpen(this.storeName)
        const next = entries.next()
        if (next.done === true) return
        const result = map(next.value.key as Buffer, next.value.value)
        if (result === STOP) return
        if (result !== undefined) yield result
      }
    } finally {
      if (this.#cursors.delete(entries)) entries.return?.()
    }
  }

  /** Number of entries (exact for LMDB). */
  count(): number {
    return (this.db.getStats() as { entryCount: number }).entryCount
  }

  flush(): void {
    if (this.#db === undefined) throw storeNotOpen(this.storeName)
    if (!this.#dirty || this.#dataFile === undefined) return
    fsyncSync(this.#dataFile)
    this.#dirty = false
  }

  close(): void {
    const db = this.#db
    if (db === undefined) return
    this.#db = undefined
    for (const cursor of this.#cursors) cursor.return?.()
    this.#cursors.clear()
    if (this.#dataFile !== undefined) closeSync(this.#dataFile)
    this.#dataFile = undefined
    db.close().catch(() => {})
  }
}
