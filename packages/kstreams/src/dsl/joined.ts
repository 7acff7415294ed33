import type { Serde } from '../serdes/serde.ts'

/**
 * Options of a stream-table join, as Kafka Streams' `Joined`: serdes of the key, the stream's value and the
 * table's value, and a name. The name names the join processor and, when the stream must be repartitioned
 * first (after a key change), the repartition topic `<name>-repartition`.
 */
export class Joined<K, V, VO> {
  readonly keySerde: Serde<K> | undefined
  readonly valueSerde: Serde<V> | undefined
  readonly otherValueSerde: Serde<VO> | undefined
  readonly name: string | undefined

  private constructor(keySerde?: Serde<K>, valueSerde?: Serde<V>, otherValueSerde?: Serde<VO>, name?: string) {
    this.keySerde = keySerde
    this.valueSerde = valueSerde
    this.otherValueSerde = otherValueSerde
    this.name = name
  }

  static with<K, V, VO>(
    keySerde?: Serde<K>,
    valueSerde?: Serde<V>,
    otherValueSerde?: Serde<VO>,
    name?: string
  ): Joined<K, V, VO> {
    return new Joined(keySerde, valueSerde, otherValueSerde, name)
  }

  static as<K, V, VO>(name: string): Joined<K, V, VO> {
    return new Joined<K, V, VO>(undefined, undefined, undefined, name)
  }

  withKeySerde(keySerde: Serde<K>): Joined<K, V, VO> {
    return new Joined(keySerde, this.valueSerde, this.otherValueSerde, this.name)
  }

  withValueSerde(valueSerde: Serde<V>): Joined<K, V, VO> {
    return new Joined(this.keySerde, valueSerde, this.otherValueSerde, this.name)
  }

  withOtherValueSerde(otherValueSerde: Serde<VO>): Joined<K, V, VO> {
    return new Joined(this.keySerde, this.valueSerde, otherValueSerde, this.name)
  }

  withName(name: string): Joined<K, V, VO> {
    return new Joined(this.keySerde, this.valueSerde, this.otherValueSerde, name)
  }
}
