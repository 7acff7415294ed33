import type { Serde } from '../../serdes/serde.ts'
import { ValueAndTimestamp } from '../value-and-timestamp.ts'
import { readTimestamp, timestampedValue } from './wrapped-store.ts'

/** Serde of `ValueAndTimestamp<V>`: `[8-byte timestamp][inner value bytes]`, as Kafka Streams' timestamped stores. */
export class ValueAndTimestampSerde<V> implements Serde<ValueAndTimestamp<V>> {
  readonly inner: Serde<V>

  constructor(inner: Serde<V>) {
    this.inner = inner
  }

  serialize(topic: string, data: ValueAndTimestamp<V> | null): Buffer | null {
    if (data === null) return null
    const raw = this.inner.serialize(topic, data.value)
    if (raw === null) return null
    return timestampedValue(raw, data.timestamp)
  }

  deserialize(topic: string, data: Buffer | null): ValueAndTimestamp<V> | null {
    if (data === null) return null
    const value = this.inner.deserialize(topic, data.subarray(8))
    return value === null ? null : new ValueAndTimestamp(value, readTimestamp(data, 0))
  }
}
