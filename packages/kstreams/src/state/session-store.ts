import type { KeyValue } from '../key-value.ts'
import type { Windowed } from '../dsl/windowed.ts'
import type { StateStore } from './state-store.ts'

/** Read access to a session store. */
export interface ReadOnlySessionStore<K, AGG> {
  /** Sessions of `key` ending at or after `earliestSessionEndTime` and starting at or before `latestSessionStartTime`. */
  findSessions(
    key: K,
    earliestSessionEndTime: number,
    latestSessionStartTime: number
  ): Iterable<KeyValue<Windowed<K>, AGG>>
  fetchSession(key: K, start: number, end: number): AGG | null
  fetch(key: K): Iterable<KeyValue<Windowed<K>, AGG>>
  all(): Iterable<KeyValue<Windowed<K>, AGG>>
}

export interface SessionStore<K, AGG> extends StateStore, ReadOnlySessionStore<K, AGG> {
  /** `aggregate === null` removes the session. */
  put(session: Windowed<K>, aggregate: AGG | null): void
  remove(session: Windowed<K>): void
}
