import type { RestoreRecord, StateStore, StateStoreContext } from '../state-store.ts'
import type { BytesEntry, KeyValueBytesStore } from './bytes-store.ts'
import { AFTER_LAST, FIRST, LmdbEnvironment, STOP } from './lmdb-environment.ts'
import { storeNotOpen } from './store-support.ts'

function entry(key: Buffer, value: Buffer): BytesEntry {
  return { key, value }
}

/**
 * Persistent key-value store on LMDB (one environment per store, under `<stateDir>/<store name>`),
 * the counterpart of Kafka Streams' RocksDB store.
 *
 * Reads and writes are synchronous (`getBinary`, `putSync`, `removeSync`), so the processing hot path never
 * awaits. Durability comes from the changelog, as with Kafka Streams' RocksDB (whose WAL is off): commits
 * skip fsync, so a committed write survives a process crash but not an OS crash; `flush()` fsyncs what was
 * written since the last flush. Range iterators read an LMDB snapshot taken when they start, so writes
 * during iteration are safe. Keys longer than about 1.9 KB are refused (STORE_INVALID_OPERATION).
 */
export class LmdbKeyValueBytesStore implements KeyValueBytesStore {
  readonly name: string
  #env: LmdbEnvironment | undefined

  constructor(name: string) {
    this.name = name
  }

  persistent(): boolean {
    return true
  }

  isOpen(): boolean {
    return this.#env?.isOpen ?? false
  }

  init(context: StateStoreContext, root: StateStore): void {
    this.#env = new LmdbEnvironment(this.name, context.stateDir)
    context.register(root, (batch) => this.#restore(batch))
  }

  flush(): void {
    this.#lmdb().flush()
  }

  close(): void {
    this.#env?.close()
  }

  get(key: Buffer): Buffer | undefined {
    return this.#lmdb().get(key)
  }

  put(key: Buffer, value: Buffer | null): void {
    this.#lmdb().write((db) => {
      if (value === null) db.removeSync(key)
      else db.putSync(key, value)
    })
  }

  putIfAbsent(key: Buffer, value: Buffer | null): Buffer | undefined {
    const env = this.#lmdb()
    const previous = env.get(key)
    if (previous === undefined && value !== null) env.write((db) => db.putSync(key, value))
    return previous
  }

  putAll(entries: ReadonlyArray<readonly [Buffer, Buffer | null]>): void {
    // One transaction for the batch: one commit instead of one per entry.
    this.#lmdb().write((db) => {
      for (const [key, value] of entries) {
        if (value === null) db.removeSync(key)
        else db.putSync(key, value)
      }
    }, true)
  }

  delete(key: Buffer): Buffer | undefined {
    const env = this.#lmdb()
    const previous = env.get(key)
    if (previous !== undefined) env.write((db) => db.removeSync(key))
    return previous
  }

  range(from: Buffer | null, to: Buffer | null): Iterable<BytesEntry> {
    const env = this.#lmdb()
    if (from !== null && to !== null && Buffer.compare(from, to) > 0) return []
    return env.iterate({ start: from ?? FIRST, end: to ?? AFTER_LAST, inclusiveEnd: true }, entry)
  }

  reverseRange(from: Buffer | null, to: Buffer | null): Iterable<BytesEntry> {
    const env = this.#lmdb()
    if (from !== null && to !== null && Buffer.compare(from, to) > 0) return []
    return env.iterate({ start: to ?? AFTER_LAST, end: from ?? FIRST, inclusiveEnd: true, reverse: true }, entry)
  }

  all(): Iterable<BytesEntry> {
    return this.#lmdb().iterate({ start: FIRST, end: AFTER_LAST }, entry)
  }

  reverseAll(): Iterable<BytesEntry> {
    return this.#lmdb().iterate({ start: AFTER_LAST, end: FIRST, inclusiveEnd: true, reverse: true }, entry)
  }

  prefixScan(prefix: Buffer): Iterable<BytesEntry> {
    return this.#lmdb().iterate({ start: prefix, end: AFTER_LAST }, (key, value) =>
      key.length >= prefix.length && prefix.compare(key, 0, prefix.length) === 0 ? { key, value } : STOP
    )
  }

  approximateNumEntries(): number {
    return this.#lmdb().count()
  }

  #lmdb(): LmdbEnvironment {
    const env = this.#env
    if (env === undefined || !env.isOpen) throw storeNotOpen(this.name)
    return env
  }

  #restore(batch: readonly RestoreRecord[]): void {
    this.#lmdb().write((db) => {
      for (const record of batch) {
        if (record.value === null) db.removeSync(record.key)
        else db.putSync(record.key, record.value)
      }
    }, true)
  }
}
