import type { Serde } from '../serdes/serde.ts'
import type { StreamPartitioner } from '../processor/topology.ts'

/** How records are written to a topic: serdes, partitioner and sink name. */
export class Produced<K, V> {
  readonly keySerde: Serde<K> | undefined
  readonly valueSerde: Serde<V> | undefined
  readonly partitioner: StreamPartitioner<K, V> | undefined
  readonly name: string | undefined

  private constructor(
    keySerde?: Serde<K>,
    valueSerde?: Serde<V>,
    partitioner?: StreamPartitioner<K, V>,
    name?: string
  ) {
    this.keySerde = keySerde
    this.valueSerde = valueSerde
    this.partitioner = partitioner
    this.name = name
  }

  static with<K, V>(keySerde?: Serde<K>, valueSerde?: Serde<V>, partitioner?: StreamPartitioner<K, V>): Produced<K, V> {
    return new Produced(keySerde, valueSerde, partitioner)
  }

  static as<K, V>(name: string): Produced<K, V> {
    return new Produced<K, V>(undefined, undefined, undefined, name)
  }

  withName(name: string): Produced<K, V> {
    return new Produced(this.keySerde, this.valueSerde, this.partitioner, name)
  }
}
