/** A key and a value, as Kafka Streams' `KeyValue`. Immutable. */
export class KeyValue<K, V> {
  readonly key: K
  readonly value: V

  constructor(key: K, value: V) {
    this.key = key
    this.value = value
  }

  static pair<K, V>(key: K, value: V): KeyValue<K, V> {
    return new KeyValue(key, value)
  }

  toString(): string {
    return `KeyValue(${String(this.key)}, ${String(this.value)})`
  }
}
