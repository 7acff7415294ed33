import type { Serde } from '../serdes/serde.ts'
import type {
  KeyValueBytesStoreSupplier,
  SessionBytesStoreSupplier,
  WindowBytesStoreSupplier
} from '../state/store-supplier.ts'

export type StoreSupplier = KeyValueBytesStoreSupplier | WindowBytesStoreSupplier | SessionBytesStoreSupplier

/**
 * How a table or aggregation is stored: the store name (which makes it queryable), serdes, a store supplier,
 * logging and caching. As Kafka Streams' `Materialized`.
 */
export class Materialized<K, V> {
  readonly storeName: string | undefined
  readonly storeSupplier: StoreSupplier | undefined
  readonly keySerde: Serde<K> | undefined
  readonly valueSerde: Serde<V> | undefined
  readonly loggingEnabled: boolean
  readonly cachingEnabled: boolean
  readonly topicConfig: Readonly<Record<string, string>>
  readonly retentionMs: number | undefined

  private constructor(init: Partial<Materialized<K, V>>) {
    this.storeName = init.storeName
    this.storeSupplier = init.storeSupplier
    this.keySerde = init.keySerde
    this.valueSerde = init.valueSerde
    this.loggingEnabled = init.loggingEnabled ?? true
    this.cachingEnabled = init.cachingEnabled ?? true
    this.topicConfig = init.topicConfig ?? {}
    this.retentionMs = init.retentionMs
  }

  /** A store named `storeName` (queryable), or one built by `supplier`. */
  static as<K, V>(storeNameOrSupplier: string | StoreSupplier): Materialized<K, V> {
    if (typeof storeNameOrSupplier === 'string') return new Materialized<K, V>({ storeName: storeNameOrSupplier })
    return new Materialized<K, V>({ storeName: storeNameOrSupplier.name, storeSupplier: storeNameOrSupplier })
  }

  static with<K, V>(keySerde?: Serde<K>, valueSerde?: Serde<V>): Materialized<K, V> {
    return new Materialized<K, V>({ keySerde, valueSerde })
  }

  #copy(change: Partial<Materialized<K, V>>): Materialized<K, V> {
    return new Materialized<K, V>({ ...this.#fields(), ...change })
  }

  #fields(): Partial<Materialized<K, V>> {
    return {
      storeName: this.storeName,
      storeSupplier: this.storeSupplier,
      keySerde: this.keySerde,
      valueSerde: this.valueSerde,
      loggingEnabled: this.loggingEnabled,
      cachingEnabled: this.cachingEnabled,
      topicConfig: this.topicConfig,
      retentionMs: this.retentionMs
    }
  }

  withKeySerde(keySerde: Serde<K>): Materialized<K, V> {
    return this.#copy({ keySerde })
  }

  withValueSerde(valueSerde: Serde<V>): Materialized<K, V> {
    return this.#copy({ valueSerde })
  }

  withLoggingEnabled(config: Readonly<Record<string, string>> = {}): Materialized<K, V> {
    return this.#copy({ loggingEnabled: true, topicConfig: config })
  }

  withLoggingDisabled(): Materialized<K, V> {
    return this.#copy({ loggingEnabled: false, topicConfig: {} })
  }

  withCachingEnabled(): Materialized<K, V> {
    return this.#copy({ cachingEnabled: true })
  }

  withCachingDisabled(): Materialized<K, V> {
    return this.#copy({ cachingEnabled: false })
  }

  /** Retention of a window or session store (at least window size + grace). */
  withRetention(retentionMs: number): Materialized<K, V> {
    return this.#copy({ retentionMs })
  }
}
