import type { KeyValue } from '../key-value.ts'
import type { Windowed } from '../dsl/windowed.ts'
import type { StateStore } from './state-store.ts'
import type { ValueAndTimestamp } from './value-and-timestamp.ts'

/** Read access to a window store. Results come in window-start order. */
export interface ReadOnlyWindowStore<K, V> {
  fetch(key: K, windowStart: number): V | null
  /** Windows of `key` whose start lies in [timeFrom, timeTo]: pairs of (windowStart, value). */
  fetchRange(key: K, timeFrom: number, timeTo: number): Iterable<KeyValue<number, V>>
  backwardFetchRange(key: K, timeFrom: number, timeTo: number): Iterable<KeyValue<number, V>>
  fetchKeyRange(
    keyFrom: K | null,
    keyTo: K | null,
    timeFrom: number,
    timeTo: number
  ): Iterable<KeyValue<Windowed<K>, V>>
  fetchAll(timeFrom: number, timeTo: number): Iterable<KeyValue<Windowed<K>, V>>
  all(): Iterable<KeyValue<Windowed<K>, V>>
}

export interface WindowStore<K, V> extends StateStore, ReadOnlyWindowStore<K, V> {
  /** `value === null` deletes the window. */
  put(key: K, value: V | null, windowStart: number): void
}

export type TimestampedWindowStore<K, V> = WindowStore<K, ValueAndTimestamp<V>>
