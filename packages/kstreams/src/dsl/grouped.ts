import type { Serde } from '../serdes/serde.ts'

/** Serdes (and the repartition topic's name) for a grouping, as Kafka Streams' `Grouped`. */
export class Grouped<K, V> {
  readonly keySerde: Serde<K> | undefined
  readonly valueSerde: Serde<V> | undefined
  readonly name: string | undefined

  private constructor(name?: string, keySerde?: Serde<K>, valueSerde?: Serde<V>) {
    this.name = name
    this.keySerde = keySerde
    this.valueSerde = valueSerde
  }

  static with<K, V>(keySerde?: Serde<K>, valueSerde?: Serde<V>): Grouped<K, V>
  static with<K, V>(name: string, keySerde?: Serde<K>, valueSerde?: Serde<V>): Grouped<K, V>
  static with<K, V>(a?: string | Serde<K>, b?: Serde<K> | Serde<V>, c?: Serde<V>): Grouped<K, V> {
    if (typeof a === 'string') return new Grouped(a, b as Serde<K>, c)
    return new Grouped<K, V>(undefined, a, b as Serde<V>)
  }

  static as<K, V>(name: string): Grouped<K, V> {
    return new Grouped<K, V>(name)
  }

  withKeySerde(keySerde: Serde<K>): Grouped<K, V> {
    return new Grouped(this.name, keySerde, this.valueSerde)
  }

  withValueSerde(valueSerde: Serde<V>): Grouped<K, V> {
    return new Grouped(this.name, this.keySerde, valueSerde)
  }
}
