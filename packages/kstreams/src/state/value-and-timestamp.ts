/** A value with the timestamp of the record that last updated it, as stored by DSL tables. */
export class ValueAndTimestamp<V> {
  readonly value: V
  readonly timestamp: number

  constructor(value: V, timestamp: number) {
    this.value = value
    this.timestamp = timestamp
  }

  /** `null` in gives `null` out, as Kafka Streams' `ValueAndTimestamp.make`. */
  static make<V>(value: V | null, timestamp: number): ValueAndTimestamp<V> | null {
    return value === null ? null : new ValueAndTimestamp(value, timestamp)
  }

  static getValueOrNull<V>(vt: ValueAndTimestamp<V> | null | undefined): V | null {
    return vt == null ? null : vt.value
  }
}
