import type { RestoreRecord, StateStore, StateStoreContext } from '../state-store.ts'
import type { BytesEntry, KeyValueBytesStore } from './bytes-store.ts'
import { byteKey, newByteKeyTree, storeNotOpen, type BTreeMap as BTree } from './store-support.ts'

/**
 * Ordered in-memory key-value store (Kafka Streams' InMemoryKeyValueStore).
 *
 * Point reads and writes of existing keys touch only a Map keyed by the latin1 form of the key bytes;
 * the B+ tree of keys is touched only when a key appears or disappears, and gives ordered ranges. Range
 * iterators walk an O(1) copy-on-write clone of that tree taken when the range is opened, so puts and
 * deletes during iteration are safe; values are read when reached (a key deleted meanwhile is skipped),
 * as Kafka Streams does. The store keeps the buffers it is given: callers must not mutate them afterwards.
 */
export class InMemoryKeyValueBytesStore implements KeyValueBytesStore {
  readonly name: string
  #open = false
  readonly #values = new Map<string, Buffer>()
  readonly #keys: BTree<string, Buffer> = newByteKeyTree<Buffer>()

  constructor(name: string) {
    this.name = name
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
    this.#values.clear()
    this.#keys.clear()
  }

  get(key: Buffer): Buffer | undefined {
    this.#check()
    return this.#values.get(byteKey(key))
  }

  put(key: Buffer, value: Buffer | null): void {
    this.#check()
    this.#put(byteKey(key), key, value)
  }

  putIfAbsent(key: Buffer, value: Buffer | null): Buffer | undefined {
    this.#check()
    const k = byteKey(key)
    const previous = this.#values.get(k)
    if (previous === undefined) this.#put(k, key, value)
    return previous
  }

  putAll(entries: ReadonlyArray<readonly [Buffer, Buffer | null]>): void {
    this.#check()
    for (const [key, value] of entries) this.#put(byteKey(key), key, value)
  }

  delete(key: Buffer): Buffer | undefined {
    this.#check()
    const k = byteKey(key)
    const previous = this.#values.get(k)
    if (previous !== undefined) {
      this.#values.delete(k)
      this.#keys.delete(k)
    }
    return previous
  }

  range(from: Buffer | null, to: Buffer | null): Iterable<BytesEntry> {
    this.#check()
    return this.#scan(from === null ? undefined : byteKey(from), to === null ? undefined : byteKey(to), false)
  }

  reverseRange(from: Buffer | null, to: Buffer | null): Iterable<BytesEntry> {
    this.#check()
    return this.#scan(from === null ? undefined : byteKey(from), to === null ? undefined : byteKey(to), true)
  }

  all(): Iterable<BytesEntry> {
    this.#check()
    return this.#scan(undefined, undefined, false)
  }

  reverseAll(): Iterable<BytesEntry> {
    this.#check()
    return this.#scan(undefined, undefined, true)
  }

  prefixScan(prefix: Buffer): Iterable<BytesEntry> {
    this.#check()
    return this.#prefix(this.#keys.clone(), byteKey(prefix))
  }

  approximateNumEntries(): number {
    this.#check()
    return this.#values.size
  }

  #check(): void {
    if (!this.#open) throw storeNotOpen(this.name)
  }

  #put(k: string, key: Buffer, value: Buffer | null): void {
    if (value === null) {
      if (this.#values.delete(k)) this.#keys.delete(k)
      return
    }
    if (!this.#values.has(k)) this.#keys.set(k, key)
    this.#values.set(k, value)
  }

  #restore(batch: readonly RestoreRecord[]): void {
    for (const record of batch) this.#put(byteKey(record.key), record.key, record.value)
  }

  #scan(from: string | undefined, to: string | undefined, reverse: boolean): Iterable<BytesEntry> {
    // Kafka Streams returns nothing (with a warning) for from > to rather than failing.
    if (from !== undefined && to !== undefined && from > to) return []
    // Clone now, not when iteration starts: the snapshot is the state at the call.
    const snapshot = this.#keys.clone()
    return reverse ? this.#backward(snapshot, from, to) : this.#forward(snapshot, from, to)
  }

  *#forward(snapshot: BTree<string, Buffer>, from: string | undefined, to: string | undefined): Generator<BytesEntry> {
    for (const [k, key] of snapshot.entries(from)) {
      if (to !== undefined && k > to) return
      this.#check()
      const value = this.#values.get(k)
      if (value !== undefined) yield { key, value }
    }
  }

  *#backward(snapshot: BTree<string, Buffer>, from: string | undefined, to: string | undefined): Generator<BytesEntry> {
    for (const [k, key] of snapshot.entriesReversed(to)) {
      if (from !== undefined && k < from) return
      this.#check()
      const value = this.#values.get(k)
      if (value !== undefined) yield { key, value }
    }
  }

  *#prefix(snapshot: BTree<string, Buffer>, prefix: string): Generator<BytesEntry> {
    for (const [k, key] of snapshot.entries(prefix)) {
      if (!k.startsWith(prefix)) return
      this.#check()
      const value = this.#values.get(k)
      if (value !== undefined) yield { key, value }
    }
  }
}
