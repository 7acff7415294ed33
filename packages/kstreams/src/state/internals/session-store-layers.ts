// Session store layers: change-logging (Kafka Streams' session changelog key layout) and the typed metered face.
import { KeyValue } from '../../key-value.ts'
import { Window, Windowed } from '../../dsl/windowed.ts'
import type { Serde } from '../../serdes/serde.ts'
import type { SessionStore } from '../session-store.ts'
import type { StateStore, StateStoreContext } from '../state-store.ts'
import type { SessionBytesEntry, SessionBytesStore } from './bytes-store.ts'
import type { CachedSessionStore } from './caching-session-store.ts'
import type { RecordContext } from './internal-store-context.ts'
import type { InternalStoreContext } from './internal-store-context.ts'
import { isInternalContext } from './internal-store-context.ts'
import { encodeSessionStoreKey } from './window-key-schema.ts'
import { WrappedStore } from './wrapped-store.ts'
import { changelogTopic } from '../../internals/names.ts'

export class ChangeLoggingSessionBytesStore extends WrappedStore<SessionBytesStore> implements SessionBytesStore {
  #context: InternalStoreContext | null = null

  get retentionPeriod(): number {
    return this.wrapped.retentionPeriod
  }

  override init(context: StateStoreContext, root: StateStore): void {
    if (isInternalContext(context)) this.#context = context
    this.wrapped.init(context, root)
  }

  #log(key: Buffer, start: number, end: number, value: Buffer | null): void {
    const ctx = this.#context
    if (ctx === null) return
    const rc = ctx.recordContext()
    ctx.logChange(this.name, encodeSessionStoreKey(key, start, end), value, rc.timestamp, rc.headers)
  }

  findSessions(
    key: Buffer,
    earliestSessionEndTime: number,
    latestSessionStartTime: number
  ): Iterable<SessionBytesEntry> {
    return this.wrapped.findSessions(key, earliestSessionEndTime, latestSessionStartTime)
  }

  backwardFindSessions(
    key: Buffer,
    earliestSessionEndTime: number,
    latestSessionStartTime: number
  ): Iterable<SessionBytesEntry> {
    return this.wrapped.backwardFindSessions(key, earliestSessionEndTime, latestSessionStartTime)
  }

  findSessionsRange(
    keyFrom: Buffer | null,
    keyTo: Buffer | null,
    earliestSessionEndTime: number,
    latestSessionStartTime: number
  ): Iterable<SessionBytesEntry> {
    return this.wrapped.findSessionsRange(keyFrom, keyTo, earliestSessionEndTime, latestSessionStartTime)
  }

  fetchSession(key: Buffer, start: number, end: number): Buffer | undefined {
    return this.wrapped.fetchSession(key, start, end)
  }

  put(key: Buffer, start: number, end: number, value: Buffer | null): void {
    this.wrapped.put(key, start, end, value)
    this.#log(key, start, end, value)
  }

  remove(key: Buffer, start: number, end: number): void {
    this.wrapped.remove(key, start, end)
    this.#log(key, start, end, null)
  }

  fetch(key: Buffer): Iterable<SessionBytesEntry> {
    return this.wrapped.fetch(key)
  }

  all(): Iterable<SessionBytesEntry> {
    return this.wrapped.all()
  }
}

/** A cache flush of one session, typed: the new and old aggregates (`null` = none / removed). */
export type SessionFlushListener<K, V> = (
  session: Windowed<K>,
  newValue: V | null,
  oldValue: V | null,
  context: RecordContext
) => void

export class MeteredSessionStore<K, V> extends WrappedStore<SessionBytesStore> implements SessionStore<K, V> {
  readonly #keySerde: Serde<K>
  readonly #valueSerde: Serde<V>
  #topic: string

  constructor(wrapped: SessionBytesStore, keySerde: Serde<K>, valueSerde: Serde<V>) {
    super(wrapped)
    this.#keySerde = keySerde
    this.#valueSerde = valueSerde
    this.#topic = wrapped.name
  }

  override init(context: StateStoreContext, root: StateStore): void {
    this.#topic = changelogTopic(context.applicationId, this.name)
    super.init(context, root)
  }

  #key(key: K): Buffer {
    const bytes = this.#keySerde.serialize(this.#topic, key)
    if (bytes === null) throw new TypeError(`store ${this.name}: key must not be null`)
    return bytes
  }

  #value(bytes: Buffer | null): V | null {
    return bytes === null ? null : this.#valueSerde.deserialize(this.#topic, bytes)
  }

  /** Registers a typed listener for cache flushes; false when the stack has no cache. */
  setFlushListener(listener: SessionFlushListener<K, V>, sendOldValues: boolean): boolean {
    const cached = this.wrapped as unknown as Partial<CachedSessionStore>
    if (typeof cached.setFlushListener !== 'function') return false
    return cached.setFlushListener(
      (key, start, end, newValue, oldValue, context) =>
        listener(
          new Windowed(this.#keySerde.deserialize(this.#topic, key) as K, new Window(start, end)),
          this.#value(newValue),
          this.#value(oldValue),
          context
        ),
      sendOldValues
    )
  }

  *#sessions(entries: Iterable<SessionBytesEntry>): Generator<KeyValue<Windowed<K>, V>> {
    for (const e of entries) {
      yield new KeyValue(
        new Windowed(this.#keySerde.deserialize(this.#topic, e.key) as K, new Window(e.start, e.end)),
        this.#valueSerde.deserialize(this.#topic, e.value) as V
      )
    }
  }

  findSessions(
    key: K,
    earliestSessionEndTime: number,
    latestSessionStartTime: number
  ): Iterable<KeyValue<Windowed<K>, V>> {
    return this.#sessions(this.wrapped.findSessions(this.#key(key), earliestSessionEndTime, latestSessionStartTime))
  }

  fetchSession(key: K, start: number, end: number): V | null {
    const bytes = this.wrapped.fetchSession(this.#key(key), start, end)
    return bytes === undefined ? null : this.#valueSerde.deserialize(this.#topic, bytes)
  }

  fetch(key: K): Iterable<KeyValue<Windowed<K>, V>> {
    return this.#sessions(this.wrapped.fetch(this.#key(key)))
  }

  all(): Iterable<KeyValue<Windowed<K>, V>> {
    return this.#sessions(this.wrapped.all())
  }

  put(session: Windowed<K>, aggregate: V | null): void {
    this.wrapped.put(
      this.#key(session.key),
      session.window.start,
      session.window.end,
      aggregate === null ? null : this.#valueSerde.serialize(this.#topic, aggregate)
    )
  }

  remove(session: Windowed<K>): void {
    this.wrapped.remove(this.#key(session.key), session.window.start, session.window.end)
  }
}
