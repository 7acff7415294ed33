import { closeSync, fsyncSync, openSync } from 'node:fs'
import { join } from 'node:path'
import { open, type Database, type RangeOptions } from 'lmdb'
import { StreamsError } from '../../errors.ts'
import type { RestoreRecord, StateStore, StateStoreContext } from '../state-store.ts'
import type { BytesEntry, KeyValueBytesStore } from './bytes-store.ts'
import { storeNotOpen } from './store-support.ts'

// LMDB refuses zero-length keys but Kafka keys may be empty (e.g. the String ""): every stored key gets a
// constant 0x00 first byte, which keeps the byte-wise order and costs no allocation (lmdb copies keys anyway).
// Open range bounds are given explicitly (lmdb-js mishandles an absent start with a custom key encoder):
// FIRST encodes as 0x00, the smallest stored key; AFTER_LAST as 0x01, above every stored key.
const FIRST = Buffer.alloc(0)
const AFTER_LAST = Buffer.alloc(0)
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

/**
 * Persistent key-value store on LMDB (one environment per store, under `<stateDir>/<store name>`),
 * the counterpart of Kafka Streams' RocksDB store.
 *
 * Reads and writes are synchronous (`getBinary`, `putSync`, `removeSync`), so the processing hot path never
 * awaits. Durability comes from the changelog, as with Kafka Streams' RocksDB (whose WAL is off): the
 * environment is opened without fsync on commit, so a committed write survives a process crash but not
 * an OS crash; `flush()` fsyncs what was written since the last flush. Range iterators read an LMDB
 * snapshot taken when they start, so writes during iteration are safe. Keys longer than about 1.9 KB are
 * refused (STORE_INVALID_OPERATION).
 */
export class LmdbKeyValueBytesStore implements KeyValueBytesStore {
  readonly name: string
  #db: Database<Buffer, Buffer> | undefined
  #dataFile: number | undefined
  #dirty = false
  // LMDB cursors of unfinished iterators: released before the environment closes, never after.
  readonly #cursors = new Set<Iterator<unknown>>()

  constructor(name: string) {
    this.name = name
  }

  persistent(): boolean {
    return true
  }

  isOpen(): boolean {
    return this.#db !== undefined
  }

  init(context: StateStoreContext, root: StateStore): void {
    const path = join(context.stateDir, this.name)
    try {
      this.#db = open<Buffer, Buffer>({ path, keyEncoder: KEY_ENCODER, encoding: 'binary', noSync: true })
    } catch (cause) {
      throw new StreamsError(
        'ILLEGAL_STATE',
        `Cannot open LMDB store ${this.name} in ${path}: ${(cause as Error).message}`,
        {
          cause,
          storeName: this.name
        }
      )
    }
    this.#dataFile = openSync(join(path, 'data.mdb'), 'r')
    context.register(root, (batch) => this.#restore(batch))
  }

  flush(): void {
    this.#store()
    if (!this.#dirty || this.#dataFile === undefined) return
    // Commits skip fsync (noSync); one fsync per flush (commit interval) makes them durable before the
    // runtime writes its checkpoint. LMDB writes through the file, so fsync on our own descriptor covers it.
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

  get(key: Buffer): Buffer | undefined {
    return this.#store().getBinary(key)
  }

  put(key: Buffer, value: Buffer | null): void {
    const db = this.#store()
    this.#write(() => {
      if (value === null) db.removeSync(key)
      else db.putSync(key, value)
    })
  }

  putIfAbsent(key: Buffer, value: Buffer | null): Buffer | undefined {
    const db = this.#store()
    const previous = db.getBinary(key)
    if (previous === undefined && value !== null) this.#write(() => db.putSync(key, value))
    return previous
  }

  putAll(entries: ReadonlyArray<readonly [Buffer, Buffer | null]>): void {
    const db = this.#store()
    // One transaction for the batch: one commit instead of one per entry.
    this.#write(() =>
      db.transactionSync(() => {
        for (const [key, value] of entries) {
          if (value === null) db.removeSync(key)
          else db.putSync(key, value)
        }
      })
    )
  }

  delete(key: Buffer): Buffer | undefined {
    const db = this.#store()
    const previous = db.getBinary(key)
    if (previous !== undefined) this.#write(() => db.removeSync(key))
    return previous
  }

  range(from: Buffer | null, to: Buffer | null): Iterable<BytesEntry> {
    const db = this.#store()
    if (from !== null && to !== null && Buffer.compare(from, to) > 0) return []
    return this.#iterate(db, { start: from ?? FIRST, end: to ?? AFTER_LAST, inclusiveEnd: true })
  }

  reverseRange(from: Buffer | null, to: Buffer | null): Iterable<BytesEntry> {
    const db = this.#store()
    if (from !== null && to !== null && Buffer.compare(from, to) > 0) return []
    return this.#iterate(db, { start: to ?? AFTER_LAST, end: from ?? FIRST, inclusiveEnd: true, reverse: true })
  }

  all(): Iterable<BytesEntry> {
    return this.#iterate(this.#store(), { start: FIRST, end: AFTER_LAST })
  }

  reverseAll(): Iterable<BytesEntry> {
    return this.#iterate(this.#store(), { start: AFTER_LAST, end: FIRST, inclusiveEnd: true, reverse: true })
  }

  prefixScan(prefix: Buffer): Iterable<BytesEntry> {
    return this.#iterate(this.#store(), { start: prefix, end: AFTER_LAST }, prefix)
  }

  approximateNumEntries(): number {
    return (this.#store().getStats() as { entryCount: number }).entryCount
  }

  #store(): Database<Buffer, Buffer> {
    const db = this.#db
    if (db === undefined) throw storeNotOpen(this.name)
    return db
  }

  #write(action: () => void): void {
    this.#dirty = true
    try {
      action()
    } catch (cause) {
      throw new StreamsError(
        'STORE_INVALID_OPERATION',
        `LMDB store ${this.name} refused a write: ${(cause as Error).message}`,
        { cause, storeName: this.name }
      )
    }
  }

  #restore(batch: readonly RestoreRecord[]): void {
    const db = this.#store()
    this.#write(() =>
      db.transactionSync(() => {
        for (const record of batch) {
          if (record.value === null) db.removeSync(record.key)
          else db.putSync(record.key, record.value)
        }
      })
    )
  }

  *#iterate(db: Database<Buffer, Buffer>, options: RangeOptions, prefix?: Buffer): Generator<BytesEntry> {
    if (this.#db !== db) throw storeNotOpen(this.name)
    const entries = db.getRange(options)[Symbol.iterator]()
    this.#cursors.add(entries)
    try {
      while (true) {
        // Checked before touching LMDB, whose own error on a closed environment is less clear.
        if (this.#db !== db) throw storeNotOpen(this.name)
        const next = entries.next()
        if (next.done === true) return
        const key = next.value.key as Buffer
        if (prefix !== undefined && (key.length < prefix.length || prefix.compare(key, 0, prefix.length) !== 0)) return
        yield { key, value: next.value.value }
      }
    } finally {
      if (this.#cursors.delete(entries)) entries.return?.()
    }
  }
}
