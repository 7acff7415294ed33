import type { Serde } from '../serdes/serde.ts'
import type { StreamPartitioner } from '../processor/topology.ts'

/** Options of an explicit `KStream.repartition()`. */
export class Repartitioned<K, V> {
  readonly name: string | undefined
  readonly keySerde: Serde<K> | undefined
  readonly valueSerde: Serde<V> | undefined
  readonly numberOfPartitions: number | undefined
  readonly partitioner: StreamPartitioner<K, V> | undefined

  private constructor(
    name?: string,
    keySerde?: Serde<K>,
    valueSerde?: Serde<V>,
    numberOfPartitions?: number,
    partitioner?: StreamPartitioner<K, V>
  ) {
    this.name = name
    this.keySerde = keySerde
    this.valueSerde = valueSerde
    this.numberOfPartitions = numberOfPartitions
    this.partitioner = partitioner
  }

  static as<K, V>(name: string): Repartitioned<K, V> {
    return new Repartitioned<K, V>(name)
  }

  static with<K, V>(keySerde?: Serde<K>, valueSerde?: Serde<V>): Repartitioned<K, V> {
    return new Repartitioned<K, V>(undefined, keySerde, valueSerde)
  }

  static numberOfPartitions<K, V>(n: number): Repartitioned<K, V> {
    return new Repartitioned<K, V>(undefined, undefined, undefined, n)
  }

  withName(name: string): Repartitioned<K, V> {
    return new Repartitioned(name, this.keySerde, this.valueSerde, this.numberOfPartitions, this.partitioner)
  }

  withKeySerde(keySerde: Serde<K>): Repartitioned<K, V> {
    return new Repartitioned(this.name, keySerde, this.valueSerde, this.numberOfPartitions, this.partitioner)
  }

  withValueSerde(valueSerde: Serde<V>): Repartitioned<K, V> {
    return new Repartitioned(this.name, this.keySerde, valueSerde, this.numberOfPartitions, this.partitioner)
  }

  withNumberOfPartitions(n: number): Repartitioned<K, V> {
    return new Repartitioned(this.name, this.keySerde, this.valueSerde, n, this.partitioner)
  }

  withStreamPartitioner(partitioner: StreamPartitioner<K, V>): Repartitioned<K, V> {
    return new Repartitioned(this.name, this.keySerde, this.valueSerde, this.numberOfPartitions, partitioner)
  }
}
