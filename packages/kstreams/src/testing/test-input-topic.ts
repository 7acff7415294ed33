import { StreamsError } from '../errors.ts'
import type { KeyValue } from '../key-value.ts'
import type { Headers } from '../processor/record.ts'
import type { Serializer } from '../serdes/serde.ts'
import type { TestRecord } from './test-record.ts'

export interface InputPipe {
  pipeRaw(topic: string, key: Buffer | null, value: Buffer | null, timestamp: number, headers: Headers): void
}

/**
 * Pipes records into one source topic of a {@link TopologyTestDriver}. Records without an explicit timestamp get
 * the topic's current time, which then advances by `autoAdvanceMs`.
 */
export class TestInputTopic<K, V> {
  readonly #driver: InputPipe
  readonly #topic: string
  readonly #keySerializer: Serializer<K>
  readonly #valueSerializer: Serializer<V>
  #currentTime: number
  readonly #autoAdvanceMs: number

  constructor(
    driver: InputPipe,
    topic: string,
    keySerializer: Serializer<K>,
    valueSerializer: Serializer<V>,
    startTimestamp: number,
    autoAdvanceMs: number
  ) {
    if (autoAdvanceMs < 0) throw new StreamsError('CONFIG_INVALID', 'autoAdvance must be non-negative')
    this.#driver = driver
    this.#topic = topic
    this.#keySerializer = keySerializer
    this.#valueSerializer = valueSerializer
    this.#currentTime = startTimestamp
    this.#autoAdvanceMs = autoAdvanceMs
  }

  advanceTime(ms: number): void {
    if (ms < 0) throw new StreamsError('ILLEGAL_STATE', 'advance must be non-negative')
    this.#currentTime += ms
  }

  #nextTime(): number {
    const t = this.#currentTime
    this.#currentTime += this.#autoAdvanceMs
    return t
  }

  pipeRecord(record: TestRecord<K, V>): void {
    const key = this.#keySerializer.serialize(this.#topic, record.key, record.headers)
    const value = this.#valueSerializer.serialize(this.#topic, record.value, record.headers)
    this.#driver.pipeRaw(this.#topic, key, value, record.timestamp, record.headers)
  }

  /** `pipeInput(value)`, `pipeInput(key, value)` or `pipeInput(key, value, timestamp, headers?)`. */
  pipeInput(
    ...args: [V | null] | [K | null, V | null] | [K | null, V | null, number] | [K | null, V | null, number, Headers]
  ): void {
    if (args.length === 1) {
      this.pipeRecord({ key: null, value: args[0], timestamp: this.#nextTime(), headers: [] })
    } else if (args.length === 2) {
      this.pipeRecord({ key: args[0], value: args[1], timestamp: this.#nextTime(), headers: [] })
    } else {
      this.pipeRecord({ key: args[0], value: args[1], timestamp: args[2], headers: args[3] ?? [] })
    }
  }

  pipeValueList(values: ReadonlyArray<V | null>): void {
    for (const v of values) this.pipeInput(v)
  }

  pipeKeyValueList(pairs: ReadonlyArray<KeyValue<K | null, V | null>>, startTimestamp?: number, advanceMs = 0): void {
    let t = startTimestamp
    for (const kv of pairs) {
      if (t === undefined) {
        this.pipeInput(kv.key, kv.value)
      } else {
        this.pipeInput(kv.key, kv.value, t)
        t += advanceMs
      }
    }
  }

  pipeRecordList(records: ReadonlyArray<TestRecord<K, V>>): void {
    for (const r of records) this.pipeRecord(r)
  }
}
