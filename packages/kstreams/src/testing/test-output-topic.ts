import { StreamsError } from '../errors.ts'
import { KeyValue } from '../key-value.ts'
import type { Headers } from '../processor/record.ts'
import type { Deserializer } from '../serdes/serde.ts'
import type { TestRecord } from './test-record.ts'

export interface CapturedRecord {
  readonly key: Buffer | null
  readonly value: Buffer | null
  readonly timestamp: number
  readonly headers: Headers
}

export interface OutputSource {
  readOutput(topic: string): CapturedRecord | undefined
  queueSize(topic: string): number
}

/** Reads, in order, what the topology wrote to one topic. Reading consumes the records. */
export class TestOutputTopic<K, V> {
  readonly #driver: OutputSource
  readonly #topic: string
  readonly #keyDeserializer: Deserializer<K>
  readonly #valueDeserializer: Deserializer<V>

  constructor(
    driver: OutputSource,
    topic: string,
    keyDeserializer: Deserializer<K>,
    valueDeserializer: Deserializer<V>
  ) {
    this.#driver = driver
    this.#topic = topic
    this.#keyDeserializer = keyDeserializer
    this.#valueDeserializer = valueDeserializer
  }

  readRecord(): TestRecord<K, V> {
    const raw = this.#driver.readOutput(this.#topic)
    if (raw === undefined) {
      throw new StreamsError('ILLEGAL_STATE', `Empty topic: ${this.#topic}`, { topic: this.#topic })
    }
    return {
      key: this.#keyDeserializer.deserialize(this.#topic, raw.key, raw.headers),
      value: this.#valueDeserializer.deserialize(this.#topic, raw.value, raw.headers),
      timestamp: raw.timestamp,
      headers: raw.headers
    }
  }

  readValue(): V | null {
    return this.readRecord().value
  }

  readKeyValue(): KeyValue<K | null, V | null> {
    const r = this.readRecord()
    return new KeyValue(r.key, r.value)
  }

  readRecordsToList(): Array<TestRecord<K, V>> {
    const out: Array<TestRecord<K, V>> = []
    while (!this.isEmpty()) out.push(this.readRecord())
    return out
  }

  readValuesToList(): Array<V | null> {
    return this.readRecordsToList().map((r) => r.value)
  }

  readKeyValuesToList(): Array<KeyValue<K | null, V | null>> {
    return this.readRecordsToList().map((r) => new KeyValue(r.key, r.value))
  }

  /** Latest value per key; a null value removes the key, as Kafka Streams' `readKeyValuesToMap`. */
  readKeyValuesToMap(): Map<K | null, V> {
    const out = new Map<K | null, V>()
    for (const r of this.readRecordsToList()) {
      if (r.value === null) out.delete(r.key)
      else out.set(r.key, r.value)
    }
    return out
  }

  getQueueSize(): number {
    return this.#driver.queueSize(this.#topic)
  }

  isEmpty(): boolean {
    return this.getQueueSize() === 0
  }
}
