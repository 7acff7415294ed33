// Plain-value views over the timestamped stores that DSL operators create (for tests and interactive queries).
import { KeyValue } from '../../key-value.ts'
import type { Windowed } from '../../dsl/windowed.ts'
import type { KeyValueStore, TimestampedKeyValueStore } from '../key-value-store.ts'
import type { StateStore, StateStoreContext } from '../state-store.ts'
import { ValueAndTimestamp } from '../value-and-timestamp.ts'
import type { TimestampedWindowStore, WindowStore } from '../window-store.ts'

const NO_TIMESTAMP = -1

function* values<K, V>(it: Iterable<KeyValue<K, ValueAndTimestamp<V>>>): Generator<KeyValue<K, V>> {
  for (const kv of it) yield new KeyValue(kv.key, kv.value.value)
}

abstract class Facade<S extends StateStore> implements StateStore {
  protected readonly inner: S
  constructor(inner: S) {
    this.inner = inner
  }

  get name(): string {
    return this.inner.name
  }

  persistent(): boolean {
    return this.inner.persistent()
  }

  init(context: StateStoreContext, root: StateStore): void {
    this.inner.init(context, root)
  }

  flush(): void {
    this.inner.flush()
  }

  close(): void {
    this.inner.close()
  }

  isOpen(): boolean {
    return this.inner.isOpen()
  }
}

export class KeyValueStoreFacade<K, V> extends Facade<TimestampedKeyValueStore<K, V>> implements KeyValueStore<K, V> {
  get(key: K): V | null {
    return ValueAndTimestamp.getValueOrNull(this.inner.get(key))
  }

  put(key: K, value: V | null): void {
    this.inner.put(key, ValueAndTimestamp.make(value, NO_TIMESTAMP))
  }

  putIfAbsent(key: K, value: V | null): V | null {
    return ValueAndTimestamp.getValueOrNull(this.inner.putIfAbsent(key, ValueAndTimestamp.make(value, NO_TIMESTAMP)))
  }

  putAll(entries: ReadonlyArray<KeyValue<K, V | null>>): void {
    for (const e of entries) this.put(e.key, e.value)
  }

  delete(key: K): V | null {
    return ValueAndTimestamp.getValueOrNull(this.inner.delete(key))
  }

  range(from: K | null, to: K | null): Iterable<KeyValue<K, V>> {
    return values(this.inner.range(from, to))
  }

  reverseRange(from: K | null, to: K | null): Iterable<KeyValue<K, V>> {
    return values(this.inner.reverseRange(from, to))
  }

  all(): Iterable<KeyValue<K, V>> {
    return values(this.inner.all())
  }

  reverseAll(): Iterable<KeyValue<K, V>> {
    return values(this.inner.reverseAll())
  }

  approximateNumEntries(): number {
    return this.inner.approximateNumEntries()
  }
}

export class WindowStoreFacade<K, V> extends Facade<TimestampedWindowStore<K, V>> implements WindowStore<K, V> {
  put(key: K, value: V | null, windowStart: number): void {
    this.inner.put(key, ValueAndTimestamp.make(value, NO_TIMESTAMP), windowStart)
  }

  fetch(key: K, windowStart: number): V | null {
    return ValueAndTimestamp.getValueOrNull(this.inner.fetch(key, windowStart))
  }

  fetchRange(key: K, timeFrom: number, timeTo: number): Iterable<KeyValue<number, V>> {
    return values(this.inner.fetchRange(key, timeFrom, timeTo))
  }

  backwardFetchRange(key: K, timeFrom: number, timeTo: number): Iterable<KeyValue<number, V>> {
    return values(this.inner.backwardFetchRange(key, timeFrom, timeTo))
  }

  fetchKeyRange(
    keyFrom: K | null,
    keyTo: K | null,
    timeFrom: number,
    timeTo: number
  ): Iterable<KeyValue<Windowed<K>, V>> {
    return values(this.inner.fetchKeyRange(keyFrom, keyTo, timeFrom, timeTo))
  }

  fetchAll(timeFrom: number, timeTo: number): Iterable<KeyValue<Windowed<K>, V>> {
    return values(this.inner.fetchAll(timeFrom, timeTo))
  }

  all(): Iterable<KeyValue<Windowed<K>, V>> {
    return values(this.inner.all())
  }
}
