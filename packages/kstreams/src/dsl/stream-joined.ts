import type { Serde } from '../serdes/serde.ts'
import type { WindowBytesStoreSupplier } from '../state/store-supplier.ts'

/**
 * Options of a stream-stream join, as Kafka Streams' `StreamJoined`: serdes, a name for the processors
 * (`<name>-this-join`, ...), a base name for the window stores (`<storeName>-this-join-store`, ...), store
 * suppliers (which must retain duplicates) and changelog settings.
 */
export class StreamJoined<K, V, VO> {
  readonly keySerde: Serde<K> | undefined
  readonly valueSerde: Serde<V> | undefined
  readonly otherValueSerde: Serde<VO> | undefined
  readonly name: string | undefined
  readonly storeName: string | undefined
  readonly thisStoreSupplier: WindowBytesStoreSupplier | undefined
  readonly otherStoreSupplier: WindowBytesStoreSupplier | undefined
  readonly loggingEnabled: boolean
  readonly topicConfig: Readonly<Record<string, string>>

  private constructor(init: Partial<StreamJoined<K, V, VO>>) {
    this.keySerde = init.keySerde
    this.valueSerde = init.valueSerde
    this.otherValueSerde = init.otherValueSerde
    this.name = init.name
    this.storeName = init.storeName
    this.thisStoreSupplier = init.thisStoreSupplier
    this.otherStoreSupplier = init.otherStoreSupplier
    this.loggingEnabled = init.loggingEnabled ?? true
    this.topicConfig = init.topicConfig ?? {}
  }

  static with<K, V, VO>(
    keySerde?: Serde<K>,
    valueSerde?: Serde<V>,
    otherValueSerde?: Serde<VO>
  ): StreamJoined<K, V, VO> {
    return new StreamJoined<K, V, VO>({ keySerde, valueSerde, otherValueSerde })
  }

  /** Store suppliers for both sides (retainDuplicates, retention = window size + grace, size = window size). */
  static withStoreSuppliers<K, V, VO>(
    thisStoreSupplier: WindowBytesStoreSupplier,
    otherStoreSupplier: WindowBytesStoreSupplier
  ): StreamJoined<K, V, VO> {
    return new StreamJoined<K, V, VO>({ thisStoreSupplier, otherStoreSupplier })
  }

  /** Base name of the join's stores. */
  static as<K, V, VO>(storeName: string): StreamJoined<K, V, VO> {
    return new StreamJoined<K, V, VO>({ storeName })
  }

  #copy(change: Partial<StreamJoined<K, V, VO>>): StreamJoined<K, V, VO> {
    return new StreamJoined<K, V, VO>({
      keySerde: this.keySerde,
      valueSerde: this.valueSerde,
      otherValueSerde: this.otherValueSerde,
      name: this.name,
      storeName: this.storeName,
      thisStoreSupplier: this.thisStoreSupplier,
      otherStoreSupplier: this.otherStoreSupplier,
      loggingEnabled: this.loggingEnabled,
      topicConfig: this.topicConfig,
      ...change
    })
  }

  withName(name: string): StreamJoined<K, V, VO> {
    return this.#copy({ name })
  }

  withStoreName(storeName: string): StreamJoined<K, V, VO> {
    return this.#copy({ storeName })
  }

  withKeySerde(keySerde: Serde<K>): StreamJoined<K, V, VO> {
    return this.#copy({ keySerde })
  }

  withValueSerde(valueSerde: Serde<V>): StreamJoined<K, V, VO> {
    return this.#copy({ valueSerde })
  }

  withOtherValueSerde(otherValueSerde: Serde<VO>): StreamJoined<K, V, VO> {
    return this.#copy({ otherValueSerde })
  }

  withThisStoreSupplier(thisStoreSupplier: WindowBytesStoreSupplier): StreamJoined<K, V, VO> {
    return this.#copy({ thisStoreSupplier })
  }

  withOtherStoreSupplier(otherStoreSupplier: WindowBytesStoreSupplier): StreamJoined<K, V, VO> {
    return this.#copy({ otherStoreSupplier })
  }

  withLoggingEnabled(config: Readonly<Record<string, string>> = {}): StreamJoined<K, V, VO> {
    return this.#copy({ loggingEnabled: true, topicConfig: config })
  }

  withLoggingDisabled(): StreamJoined<K, V, VO> {
    return this.#copy({ loggingEnabled: false, topicConfig: {} })
  }
}
