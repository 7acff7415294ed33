// Factories for stores and store builders, as Kafka Streams' `Stores`.
import type { Serde } from '../serdes/serde.ts'
import { InMemoryKeyValueBytesStore } from './internals/in-memory-key-value-bytes-store.ts'
import { InMemorySessionBytesStore } from './internals/in-memory-session-bytes-store.ts'
import { InMemoryWindowBytesStore } from './internals/in-memory-window-bytes-store.ts'
import { LmdbKeyValueBytesStore } from './internals/lmdb-key-value-bytes-store.ts'
import { CachingKeyValueStore } from './internals/caching-key-value-store.ts'
import { CachingSessionStore } from './internals/caching-session-store.ts'
import { CachingWindowStore } from './internals/caching-window-store.ts'
import { ChangeLoggingKeyValueBytesStore } from './internals/change-logging-key-value-bytes-store.ts'
import { MeteredKeyValueStore } from './internals/metered-key-value-store.ts'
import { StoreBuilderImpl } from './internals/store-builder-impl.ts'
import { persistentSession, persistentWindow } from './internals/suppliers.ts'
import { ValueAndTimestampSerde } from './internals/value-and-timestamp-serde.ts'
import { ChangeLoggingWindowBytesStore, MeteredWindowStore } from './internals/window-store-layers.ts'
import { ChangeLoggingSessionBytesStore, MeteredSessionStore } from './internals/session-store-layers.ts'
import type { KeyValueBytesStore, SessionBytesStore, WindowBytesStore } from './internals/bytes-store.ts'
import type { KeyValueStore, TimestampedKeyValueStore } from './key-value-store.ts'
import type { SessionStore } from './session-store.ts'
import type { StoreBuilder } from './store-builder.ts'
import type {
  KeyValueBytesStoreSupplier,
  SessionBytesStoreSupplier,
  WindowBytesStoreSupplier
} from './store-supplier.ts'
import type { ValueAndTimestamp } from './value-and-timestamp.ts'
import type { TimestampedWindowStore } from './window-store.ts'

function kvStack<K, V>(
  supplier: KeyValueBytesStoreSupplier,
  keySerde: Serde<K>,
  valueSerde: Serde<V>,
  timestamped: boolean,
  logging: boolean,
  caching: boolean
): MeteredKeyValueStore<K, V> {
  let store: KeyValueBytesStore = supplier.get()
  if (logging) store = new ChangeLoggingKeyValueBytesStore(store, timestamped)
  if (caching) store = new CachingKeyValueStore(store)
  return new MeteredKeyValueStore(store, keySerde, valueSerde)
}

// Kafka Streams' order: metered -> caching -> change-logging -> inner, so the changelog sees only flushed writes.
function windowStack(
  supplier: WindowBytesStoreSupplier,
  timestamped: boolean,
  logging: boolean,
  caching: boolean
): WindowBytesStore {
  let store: WindowBytesStore = supplier.get()
  if (logging) store = new ChangeLoggingWindowBytesStore(store, timestamped)
  // A store keeping duplicates (stream-stream joins) is never cached, as in Kafka Streams.
  if (caching && !store.retainDuplicates) store = new CachingWindowStore(store)
  return store
}

function sessionStack(supplier: SessionBytesStoreSupplier, logging: boolean, caching: boolean): SessionBytesStore {
  let store: SessionBytesStore = supplier.get()
  if (logging) store = new ChangeLoggingSessionBytesStore(store)
  if (caching) store = new CachingSessionStore(store)
  return store
}

export const Stores = {
  /** An ordered in-memory key-value store (the default for DSL tables here; see docs/compatibility.md). */
  inMemoryKeyValueStore(name: string): KeyValueBytesStoreSupplier {
    return { name, metricsScope: 'in-memory', get: () => new InMemoryKeyValueBytesStore(name) }
  },

  /** A key-value store on LMDB under the task's state directory, restored from its changelog past its checkpoint. */
  persistentKeyValueStore(name: string): KeyValueBytesStoreSupplier {
    return { name, metricsScope: 'lmdb', get: () => new LmdbKeyValueBytesStore(name) }
  },

  inMemoryWindowStore(
    name: string,
    retentionPeriodMs: number,
    windowSizeMs: number,
    retainDuplicates: boolean
  ): WindowBytesStoreSupplier {
    return {
      name,
      metricsScope: 'in-memory-window',
      retentionPeriod: retentionPeriodMs,
      windowSize: windowSizeMs,
      retainDuplicates,
      get: () => new InMemoryWindowBytesStore(name, retentionPeriodMs, windowSizeMs, retainDuplicates)
    }
  },

  /**
   * A window store on LMDB under the task's state directory (Kafka Streams' segment layout), restored from its
   * changelog. Use it for a windowed aggregation with `Materialized.as(Stores.persistentWindowStore(...))`; the
   * retention must cover window size + grace (sliding windows: 2 * time difference + grace).
   */
  persistentWindowStore(
    name: string,
    retentionPeriodMs: number,
    windowSizeMs: number,
    retainDuplicates: boolean
  ): WindowBytesStoreSupplier {
    return persistentWindow(name, retentionPeriodMs, windowSizeMs, retainDuplicates)
  },

  /** A session store on LMDB under the task's state directory; the retention must cover gap + grace. */
  persistentSessionStore(name: string, retentionPeriodMs: number): SessionBytesStoreSupplier {
    return persistentSession(name, retentionPeriodMs)
  },

  inMemorySessionStore(name: string, retentionPeriodMs: number): SessionBytesStoreSupplier {
    return {
      name,
      metricsScope: 'in-memory-session',
      retentionPeriod: retentionPeriodMs,
      get: () => new InMemorySessionBytesStore(name, retentionPeriodMs)
    }
  },

  keyValueStoreBuilder<K, V>(
    supplier: KeyValueBytesStoreSupplier,
    keySerde: Serde<K>,
    valueSerde: Serde<V>
  ): StoreBuilder<KeyValueStore<K, V>> {
    return new StoreBuilderImpl<KeyValueStore<K, V>>(supplier.name, 'keyValue', (o) =>
      kvStack(supplier, keySerde, valueSerde, false, o.logging, o.caching)
    )
  },

  timestampedKeyValueStoreBuilder<K, V>(
    supplier: KeyValueBytesStoreSupplier,
    keySerde: Serde<K>,
    valueSerde: Serde<V>
  ): StoreBuilder<TimestampedKeyValueStore<K, V>> {
    const vts = new ValueAndTimestampSerde(valueSerde)
    return new StoreBuilderImpl<TimestampedKeyValueStore<K, V>>(supplier.name, 'timestampedKeyValue', (o) =>
      kvStack<K, ValueAndTimestamp<V>>(supplier, keySerde, vts, true, o.logging, o.caching)
    )
  },

  timestampedWindowStoreBuilder<K, V>(
    supplier: WindowBytesStoreSupplier,
    keySerde: Serde<K>,
    valueSerde: Serde<V>
  ): StoreBuilder<TimestampedWindowStore<K, V>> {
    const vts = new ValueAndTimestampSerde(valueSerde)
    return new StoreBuilderImpl<TimestampedWindowStore<K, V>>(
      supplier.name,
      'timestampedWindow',
      (o) =>
        new MeteredWindowStore(windowStack(supplier, true, o.logging, o.caching), keySerde, vts, supplier.windowSize),
      supplier.retentionPeriod
    )
  },

  sessionStoreBuilder<K, V>(
    supplier: SessionBytesStoreSupplier,
    keySerde: Serde<K>,
    valueSerde: Serde<V>
  ): StoreBuilder<SessionStore<K, V>> {
    return new StoreBuilderImpl<SessionStore<K, V>>(
      supplier.name,
      'session',
      (o) => new MeteredSessionStore(sessionStack(supplier, o.logging, o.caching), keySerde, valueSerde),
      supplier.retentionPeriod
    )
  }
}
