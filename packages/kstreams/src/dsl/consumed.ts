import type { Serde } from '../serdes/serde.ts'
import type { TimestampExtractor } from '../processor/topology.ts'

/** How a source topic is read: serdes, timestamp extractor and processor name. */
export class Consumed<K, V> {
  readonly keySerde: Serde<K> | undefined
  readonly valueSerde: Serde<V> | undefined
  readonly timestampExtractor: TimestampExtractor | undefined
  readonly name: string | undefined

  private constructor(
    keySerde?: Serde<K>,
    valueSerde?: Serde<V>,
    timestampExtractor?: TimestampExtractor,
    name?: string
  ) {
    this.keySerde = keySerde
    this.valueSerde = valueSerde
    this.timestampExtractor = timestampExtractor
    this.name = name
  }

  static with<K, V>(keySerde?: Serde<K>, valueSerde?: Serde<V>): Consumed<K, V> {
    return new Consumed(keySerde, valueSerde)
  }

  static as<K, V>(name: string): Consumed<K, V> {
    return new Consumed<K, V>(undefined, undefined, undefined, name)
  }

  withName(name: string): Consumed<K, V> {
    return new Consumed(this.keySerde, this.valueSerde, this.timestampExtractor, name)
  }

  withTimestampExtractor(extractor: TimestampExtractor): Consumed<K, V> {
    return new Consumed(this.keySerde, this.valueSerde, extractor, this.name)
  }
}
