// Materialized → store builder, with Kafka Streams' naming: a store name is allocated even when the table will
// not be queryable, because the name counter is part of the topology's identity.
import type { Serde } from '../../serdes/serde.ts'
import { Stores } from '../../state/stores.ts'
import type { StoreBuilder } from '../../state/store-builder.ts'
import type { StateStore } from '../../state/state-store.ts'
import type {
  KeyValueBytesStoreSupplier,
  SessionBytesStoreSupplier,
  WindowBytesStoreSupplier
} from '../../state/store-supplier.ts'
import type { Materialized } from '../materialized.ts'
import type { InternalStreamsBuilder } from './graph.ts'

export interface MaterializedInternal<K, V> {
  readonly storeName: string
  readonly queryable: boolean
  keySerde: Serde<K> | undefined
  valueSerde: Serde<V> | undefined
  readonly materialized: Materialized<K, V> | undefined
}

export function materializedInternal<K, V>(
  materialized: Materialized<K, V> | undefined,
  builder: InternalStreamsBuilder | null,
  prefix: string
): MaterializedInternal<K, V> {
  const queryable = materialized?.storeName !== undefined
  const storeName = queryable
    ? (materialized?.storeName as string)
    : builder !== null
      ? builder.newStoreName(prefix)
      : ''
  return { storeName, queryable, keySerde: materialized?.keySerde, valueSerde: materialized?.valueSerde, materialized }
}

function applyFlags<S extends StateStore>(
  builder: StoreBuilder<S>,
  m: Materialized<unknown, unknown> | undefined
): StoreBuilder<S> {
  if (m === undefined || m.loggingEnabled) builder.withLoggingEnabled(m?.topicConfig ?? {})
  else builder.withLoggingDisabled()
  if (m === undefined || m.cachingEnabled) builder.withCachingEnabled()
  else builder.withCachingDisabled()
  return builder
}

export function keyValueStoreBuilder<K, V>(
  mi: MaterializedInternal<K, V>,
  defaultKeySerde: Serde<K> | undefined,
  defaultValueSerde: Serde<V> | undefined
): StoreBuilder<StateStore> {
  const supplier =
    (mi.materialized?.storeSupplier as KeyValueBytesStoreSupplier | undefined) ??
    Stores.inMemoryKeyValueStore(mi.storeName)
  const b = Stores.timestampedKeyValueStoreBuilder(
    supplier,
    (mi.keySerde ?? defaultKeySerde) as Serde<K>,
    (mi.valueSerde ?? defaultValueSerde) as Serde<V>
  )
  return applyFlags(
    b as unknown as StoreBuilder<StateStore>,
    mi.materialized as Materialized<unknown, unknown> | undefined
  )
}

export function windowStoreBuilder<K, V>(
  mi: MaterializedInternal<K, V>,
  keySerde: Serde<K>,
  valueSerde: Serde<V>,
  retentionMs: number,
  windowSizeMs: number
): StoreBuilder<StateStore> {
  const supplier =
    (mi.materialized?.storeSupplier as WindowBytesStoreSupplier | undefined) ??
    Stores.inMemoryWindowStore(mi.storeName, retentionMs, windowSizeMs, false)
  const b = Stores.timestampedWindowStoreBuilder(supplier, keySerde, valueSerde)
  return applyFlags(
    b as unknown as StoreBuilder<StateStore>,
    mi.materialized as Materialized<unknown, unknown> | undefined
  )
}

export function sessionStoreBuilder<K, V>(
  mi: MaterializedInternal<K, V>,
  keySerde: Serde<K>,
  valueSerde: Serde<V>,
  retentionMs: number
): StoreBuilder<StateStore> {
  const supplier =
    (mi.materialized?.storeSupplier as SessionBytesStoreSupplier | undefined) ??
    Stores.inMemorySessionStore(mi.storeName, retentionMs)
  const b = Stores.sessionStoreBuilder(supplier, keySerde, valueSerde)
  return applyFlags(
    b as unknown as StoreBuilder<StateStore>,
    mi.materialized as Materialized<unknown, unknown> | undefined
  )
}
