// Writes every change of the wrapped key-value store to its changelog topic.
import type { BytesEntry, KeyValueBytesStore } from './bytes-store.ts'
import type { InternalStoreContext } from './internal-store-context.ts'
import { isInternalContext } from './internal-store-context.ts'
import type { StateStore, StateStoreContext } from '../state-store.ts'
import { timestampedRestoreContext } from './restore-conversion.ts'
import { WrappedStore, rawValue, timestampOf } from './wrapped-store.ts'

export class ChangeLoggingKeyValueBytesStore extends WrappedStore<KeyValueBytesStore> implements KeyValueBytesStore {
  readonly #timestamped: boolean
  #context: InternalStoreContext | null = null

  /** `timestamped`: values are `[timestamp][raw]`; the changelog carries the raw value with that timestamp. */
  constructor(wrapped: KeyValueBytesStore, timestamped: boolean) {
    super(wrapped)
    this.#timestamped = timestamped
  }

  override init(context: StateStoreContext, root: StateStore): void {
    if (isInternalContext(context)) this.#context = context
    if (!this.#timestamped) {
      this.wrapped.init(context, root)
      return
    }
    // The changelog holds raw values; the inner store wants them with the record timestamp in front.
    this.wrapped.init(timestampedRestoreContext(context), root)
  }

  #log(key: Buffer, value: Buffer | null): void {
    const ctx = this.#context
    if (ctx === null) return
    const rc = ctx.recordContext()
    if (value !== null && this.#timestamped) {
      ctx.logChange(this.name, key, rawValue(value), timestampOf(value), rc.headers)
    } else {
      ctx.logChange(this.name, key, value, rc.timestamp, rc.headers)
    }
  }

  get(key: Buffer): Buffer | undefined {
    return this.wrapped.get(key)
  }

  put(key: Buffer, value: Buffer | null): void {
    this.wrapped.put(key, value)
    this.#log(key, value)
  }

  putIfAbsent(key: Buffer, value: Buffer | null): Buffer | undefined {
    const previous = this.wrapped.putIfAbsent(key, value)
    if (previous === undefined) this.#log(key, value)
    return previous
  }

  putAll(entries: ReadonlyArray<readonly [Buffer, Buffer | null]>): void {
    this.wrapped.putAll(entries)
    for (const [k, v] of entries) this.#log(k, v)
  }

  delete(key: Buffer): Buffer | undefined {
    const previous = this.wrapped.delete(key)
    this.#log(key, null)
    return previous
  }

  range(from: Buffer | null, to: Buffer | null): Iterable<BytesEntry> {
    return this.wrapped.range(from, to)
  }

  reverseRange(from: Buffer | null, to: Buffer | null): Iterable<BytesEntry> {
    return this.wrapped.reverseRange(from, to)
  }

  all(): Iterable<BytesEntry> {
    return this.wrapped.all()
  }

  reverseAll(): Iterable<BytesEntry> {
    return this.wrapped.reverseAll()
  }

  prefixScan(prefix: Buffer): Iterable<BytesEntry> {
    return this.wrapped.prefixScan(prefix)
  }

  approximateNumEntries(): number {
    return this.wrapped.approximateNumEntries()
  }
}
