// Sends the tasks' output through the StreamsProducer and remembers the first failure (Kafka Streams'
// RecordCollectorImpl). A record the client's queue refuses waits in order behind the others until drain(); a failed
// delivery is reported by checkError() after the batch, never thrown into the processor that wrote the record.
import { StreamsError } from '../../errors.ts'
import type { DeliveryCallback } from '../../internals/client/kafka-client.ts'
import type { RecordCollector } from '../../processor/internals/record-collector.ts'
import type { Headers } from '../../processor/record.ts'
import { producerStateError } from './streams-producer.ts'
import type { StreamsProducer } from './streams-producer.ts'

interface PendingSend {
  readonly topic: string
  readonly partition: number | undefined
  readonly key: Buffer | null
  readonly value: Buffer | null
  readonly headers: Headers
  readonly timestamp: number
}

const DRAIN_FLUSH_MS = 30_000

export class RecordCollectorImpl implements RecordCollector {
  readonly #producer: StreamsProducer
  #overflow: PendingSend[] = []
  #sendError: Error | null = null
  // Delivery reports of records sent before an abort belong to an earlier epoch and are ignored.
  #epoch = 0
  #onDelivery: DeliveryCallback

  constructor(producer: StreamsProducer) {
    this.#producer = producer
    this.#onDelivery = this.#deliveryCallback()
  }

  #deliveryCallback(): DeliveryCallback {
    const epoch = this.#epoch
    return (error) => {
      if (epoch !== this.#epoch) return
      if (error !== null) this.#sendError ??= error
    }
  }

  send(
    topic: string,
    key: Buffer | null,
    value: Buffer | null,
    headers: Headers,
    timestamp: number,
    partition: number | undefined
  ): void {
    let accepted: boolean
    try {
      accepted =
        this.#overflow.length === 0 &&
        this.#producer.produce({ topic, partition, key, value, headers, timestamp }, this.#onDelivery)
    } catch (error) {
      if (!producerStateError(error)) throw error
      // The producer refuses every send until its transaction is aborted (or it is replaced): a failed write like
      // any other, found after the batch, which aborts and restores (exactly-once) or stops (at-least-once). Thrown
      // into the processor it would look like a bug in the user's code and go to the processing handler.
      this.#sendError ??= error as Error
      return
    }
    // The client's queue is full: keep order by queueing everything behind the first refused record.
    if (!accepted) this.#overflow.push({ topic, partition, key, value, headers, timestamp })
  }

  /** True while records refused by a full client queue wait to be sent. */
  get hasOverflow(): boolean {
    return this.#overflow.length > 0
  }

  /** Hands every waiting record to the client, flushing while its queue is full. */
  async drain(): Promise<void> {
    while (this.#overflow.length > 0) {
      const r = this.#overflow[0] as PendingSend
      const record = {
        topic: r.topic,
        partition: r.partition,
        key: r.key,
        value: r.value,
        headers: r.headers,
        timestamp: r.timestamp
      }
      if (this.#producer.produce(record, this.#onDelivery)) this.#overflow.shift()
      else await this.#producer.flush(DRAIN_FLUSH_MS)
    }
  }

  /** Throws a StreamsError for the first record that could not be written since the last clear(). */
  checkError(): void {
    if (this.#sendError === null) return
    const error = this.#sendError
    throw new StreamsError('KAFKA_CLIENT', `a record could not be written: ${error.message}`, { cause: error })
  }

  /**
   * After an abort: records still waiting are dropped, and the failure reports of records the abort purged belong
   * to the old epoch and are ignored.
   */
  clear(): void {
    this.#overflow = []
    this.#epoch++
    this.#onDelivery = this.#deliveryCallback()
    this.#sendError = null
  }
}
