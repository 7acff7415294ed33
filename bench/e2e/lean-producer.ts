// Bench-only experiment (E2E_LEAN_PRODUCER=1, at-least-once only): a KafkaClientProvider whose producer asks
// librdkafka for delivery reports on failures only and passes no per-message opaque, to measure what the
// adapter's per-record delivery callbacks cost the runtime. Admin and consumer clients are the adapter's own.
// Not a production design: the runtime gets no successful reports (so no changelog offsets for checkpoints,
// harmless for in-memory stores, which restore from the start), and transactions are not supported.
import { createRequire } from 'node:module'
import type * as Rdkafka from '@confluentinc/kafka-javascript'
import { confluentClientProvider } from '../../packages/kstreams/src/internals/client/index.ts'
import { toLibrdkafkaProperties } from '../../packages/kstreams/src/internals/client/client-config.ts'
import type {
  ClientOptions,
  DeliveryCallback,
  KafkaClientProvider,
  ProducerClient,
  ProducerRecord
} from '../../packages/kstreams/src/internals/client/index.ts'

const native = createRequire(import.meta.url)('@confluentinc/kafka-javascript') as typeof Rdkafka
const QUEUE_FULL = -184

class LeanProducer implements ProducerClient {
  readonly #producer: Rdkafka.Producer
  #onError: DeliveryCallback | undefined

  constructor(producer: Rdkafka.Producer) {
    this.#producer = producer
    producer.on('delivery-report', (err, report) => {
      if (err) this.#onError?.(new Error(`delivering to ${report.topic}: ${err.message}`), null)
    })
  }

  produce(record: ProducerRecord, onDelivery?: DeliveryCallback): boolean {
    // The runtime passes the same callback for every record; only failures will ever reach it.
    this.#onError = onDelivery
    try {
      this.#producer.produce(
        record.topic,
        record.partition ?? null,
        record.value,
        record.key,
        record.timestamp ?? null,
        undefined,
        record.headers === undefined || record.headers.length === 0
          ? undefined
          : record.headers.map((h) => ({ [h.key]: h.value ?? Buffer.alloc(0) }))
      )
      return true
    } catch (err) {
      if ((err as { code?: number }).code === QUEUE_FULL) return false
      throw err
    }
  }

  async flush(timeoutMs = 60_000): Promise<void> {
    await new Promise<void>((resolve, reject) =>
      this.#producer.flush(timeoutMs, (err) => (err ? reject(err) : resolve()))
    )
    // Error reports queued by the background poller are delivered on the event loop: let them run first.
    await new Promise((resolve) => setImmediate(resolve))
  }

  async initTransactions(): Promise<void> {
    throw new Error('the lean bench producer does not do transactions')
  }

  async beginTransaction(): Promise<void> {
    throw new Error('the lean bench producer does not do transactions')
  }

  async sendOffsetsToTransaction(): Promise<void> {
    throw new Error('the lean bench producer does not do transactions')
  }

  async commitTransaction(): Promise<void> {
    throw new Error('the lean bench producer does not do transactions')
  }

  async abortTransaction(): Promise<void> {
    throw new Error('the lean bench producer does not do transactions')
  }

  async close(timeoutMs = 10_000): Promise<void> {
    await this.flush(timeoutMs)
    await new Promise<void>((resolve) => this.#producer.disconnect(timeoutMs, () => resolve()))
  }
}

export const leanProducerProvider: KafkaClientProvider = {
  name: 'lean-producer (bench experiment)',
  createAdmin: (options) => confluentClientProvider.createAdmin(options),
  createConsumer: (options) => confluentClientProvider.createConsumer(options),
  async createProducer(options: ClientOptions): Promise<ProducerClient> {
    const conf = {
      'client.id': 'kstreams-ts-bench',
      'enable.idempotence': true,
      acks: 'all',
      partitioner: 'murmur2_random',
      ...toLibrdkafkaProperties(options.properties),
      dr_cb: true,
      'delivery.report.only.error': true
    }
    const producer = new native.Producer(conf as Rdkafka.ProducerGlobalConfig)
    await new Promise<void>((resolve, reject) =>
      producer.connect({ timeout: 10_000 }, (err) => (err ? reject(err) : resolve()))
    )
    producer.setPollInBackground(true)
    return new LeanProducer(producer)
  }
}
