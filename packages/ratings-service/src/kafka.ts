// The service's own Kafka clients, on @confluentinc/kafka-javascript's callback API: the admin client that creates
// the topics, the producer behind POST /rating, and the feed that reads the stats topic for the live table. The
// streams engine (kstreams-ts) has its own clients; these are the parts of the tutorial that are not stream
// processing (its KafkaProducer and its per-socket consumer).
import { createRequire } from 'node:module'
import { randomUUID } from 'node:crypto'
import type * as Rdkafka from '@confluentinc/kafka-javascript'
import { SchemaNotCachedError, Serdes } from 'kstreams-ts'
import type { Serde } from 'kstreams-ts'
import { averageOf } from './topology.ts'
import type { CountAndSum, Rating } from './topology.ts'

type Native = typeof Rdkafka
type Props = Readonly<Record<string, string | number | boolean>>

const native = createRequire(import.meta.url)('@confluentinc/kafka-javascript') as Native

const OFFSET_BEGINNING = -2
const TOPIC_ALREADY_EXISTS = 36

/** Minimal structured logger (pino's shape), so these clients log through Fastify's logger. */
export interface Log {
  info(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
  error(obj: object, msg?: string): void
}

/** Kafka could not take a write (broker unreachable, delivery timed out, queue full): POST /rating answers 503. */
export class KafkaUnavailableError extends Error {
  readonly statusCode = 503
  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'KafkaUnavailableError'
  }
}

function clientLogs(client: Rdkafka.Producer | Rdkafka.KafkaConsumer, log: Log, role: string): void {
  // librdkafka reports transient broker trouble as 'event.error'; without a listener Node would throw on it.
  const onError = (err: Rdkafka.LibrdKafkaError): void => log.warn({ role, code: err.code }, err.message)
  ;(client as Rdkafka.Producer).on('event.error', onError)
}

function connect(client: Rdkafka.Producer | Rdkafka.KafkaConsumer, timeoutMs: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    client.connect({ timeout: timeoutMs }, (err) => {
      if (err) reject(new KafkaUnavailableError(`${what}: cannot connect to Kafka: ${err.message}`, { cause: err }))
      else resolve()
    })
  })
}

export interface TopicSpec {
  readonly name: string
  readonly partitions: number
  readonly replicationFactor: number
  readonly config?: Readonly<Record<string, string>>
}

/** Creates the topics that do not exist yet (existing ones are left as they are). */
export async function ensureTopics(
  props: Props,
  topics: readonly TopicSpec[],
  log: Log,
  timeoutMs = 15_000
): Promise<void> {
  const admin = native.AdminClient.create({ ...props } as Rdkafka.GlobalConfig)
  try {
    for (const t of topics) {
      await new Promise<void>((resolve, reject) => {
        admin.createTopic(
          {
            topic: t.name,
            num_partitions: t.partitions,
            replication_factor: t.replicationFactor,
            config: { ...t.config }
          },
          timeoutMs,
          (err) => {
            if (!err) {
              log.info(
                { topic: t.name, partitions: t.partitions, replicationFactor: t.replicationFactor },
                'created topic'
              )
              resolve()
            } else if (err.code === TOPIC_ALREADY_EXISTS) resolve()
            else {
              const where = String(props['bootstrap.servers'])
              reject(
                new KafkaUnavailableError(`creating topic ${t.name} on ${where} (bootstrap.servers): ${err.message}`, {
                  cause: err
                })
              )
            }
          }
        )
      })
    }
  } finally {
    admin.disconnect()
  }
}

const HEADER_SIZE = 5
const MAX_CACHED_KEYS = 10_000

/**
 * The Confluent wire-format header (byte 0, then the schema id) that `serde` puts before a rating's JSON, or
 * undefined when its output is not exactly that header followed by `JSON.stringify` of the rating (then every value
 * goes through the serde).
 */
function wireHeader(serde: Serde<Rating>, topic: string): Buffer | undefined {
  const sample: Rating = { movieId: 1, rating: 1 }
  let bytes: Buffer | null
  try {
    bytes = serde.serialize(topic, sample)
  } catch {
    return undefined
  }
  if (bytes === null || bytes.length <= HEADER_SIZE || bytes[0] !== 0) return undefined
  if (bytes.toString('utf8', HEADER_SIZE) !== JSON.stringify(sample)) return undefined
  return Buffer.from(bytes.subarray(0, HEADER_SIZE))
}

/** Where POST /rating writes. `send` resolves once the broker acknowledged the record (acks=all). */
export interface RatingSink {
  send(rating: Rating): Promise<void>
  /** True while the producer is connected. */
  readonly connected: boolean
  /** Flushes what is in flight, then disconnects. */
  close(timeoutMs: number): Promise<void>
}

/**
 * How long librdkafka keeps trying to deliver a rating (`message.timeout.ms`): Kafka's default `delivery.timeout.ms`,
 * far above a broker failover. An idempotent producer whose messages time out must bump its epoch, and a batch still
 * in flight then can be written twice (librdkafka issue 4953); POST /rating's own timer answers 503 long before this.
 */
export const RATING_DELIVERY_TIMEOUT_MS = 120_000

/**
 * The idempotent producer (acks=all) for ratings, keyed by movie id as Java Longs, values in the Confluent JSON
 * Schema wire format. Each `send` settles on its own delivery report, within RATING_DELIVERY_TIMEOUT_MS.
 */
export class RatingProducer implements RatingSink {
  readonly #producer: Rdkafka.Producer
  readonly #topic: string
  readonly #valueSerde: Serde<Rating>
  readonly #keySerde = Serdes.Long()
  readonly #pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>()
  // Keys are the movie ids as Java Longs: a handful of distinct values, encoded once (librdkafka copies them).
  readonly #keys = new Map<number, Buffer>()
  // The 5-byte wire-format header (magic byte, schema id) of the registered schema, once checked against the serde.
  #header: Buffer | undefined
  #next = 0
  #connected = false

  private constructor(producer: Rdkafka.Producer, topic: string, valueSerde: Serde<Rating>) {
    this.#producer = producer
    this.#topic = topic
    this.#valueSerde = valueSerde
    producer.on('delivery-report', (err, report) => {
      const id = report.opaque as number
      const p = this.#pending.get(id)
      if (p === undefined) return
      this.#pending.delete(id)
      if (err) p.reject(new KafkaUnavailableError(`rating not acknowledged: ${err.message}`, { cause: err }))
      else p.resolve()
    })
    producer.on('disconnected', () => {
      this.#connected = false
    })
  }

  static async create(
    props: Props,
    topic: string,
    valueSerde: Serde<Rating>,
    connectTimeoutMs: number,
    log: Log
  ): Promise<RatingProducer> {
    const raw = new native.Producer({
      ...props,
      // Not overridable: 202 promises the rating is durably written exactly once.
      'enable.idempotence': true,
      acks: 'all',
      dr_cb: true,
      // Java's partitioner, so a movie's ratings land where a Java producer would put them.
      partitioner: 'murmur2_random',
      // A POST waits for its batch: 0.5 ms lets the requests of that half millisecond share one produce request (far
      // less CPU per rating than 0) without the 1 ms+ wait that made the route latency-bound at 50 connections.
      'linger.ms': props['linger.ms'] ?? 0.5,
      'message.timeout.ms': RATING_DELIVERY_TIMEOUT_MS
    } as Rdkafka.ProducerGlobalConfig)
    clientLogs(raw, log, 'producer')
    const producer = new RatingProducer(raw, topic, valueSerde)
    await connect(raw, Math.min(connectTimeoutMs, 30_000), 'rating producer')
    producer.#connected = true
    raw.setPollInBackground(true)
    // Registers the value schema before the first request rather than on it.
    await valueSerde.prepare?.(topic, false, 'write')
    producer.#header = wireHeader(valueSerde, topic)
    return producer
  }

  get connected(): boolean {
    return this.#connected
  }

  send(rating: Rating): Promise<void> {
    if (!this.#connected) return Promise.reject(new KafkaUnavailableError('the producer is not connected'))
    let key = this.#keys.get(rating.movieId)
    if (key === undefined) {
      key = this.#keySerde.serialize(this.#topic, BigInt(rating.movieId))!
      if (this.#keys.size < MAX_CACHED_KEYS) this.#keys.set(rating.movieId, key)
    }
    const value = this.#encode(rating)
    const id = this.#next++
    return new Promise<void>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject })
      try {
        this.#producer.produce(this.#topic, null, value, key, Date.now(), id)
      } catch (err) {
        // Queue full or producer fenced: Kafka cannot take the write now.
        this.#pending.delete(id)
        reject(new KafkaUnavailableError(`rating not queued: ${(err as Error).message}`, { cause: err }))
      }
    })
  }

  // What the serde writes for a rating the route has already validated (whole movie id and rating in range), without
  // validating it again; anything else goes through the serde, which validates.
  #encode(rating: Rating): Buffer {
    const { movieId, rating: value } = rating
    const header = this.#header
    if (
      header === undefined ||
      !Number.isSafeInteger(movieId) ||
      movieId < 1 ||
      !Number.isInteger(value) ||
      value < 1 ||
      value > 10
    ) {
      return this.#valueSerde.serialize(this.#topic, rating)!
    }
    const json = `{"movieId":${movieId},"rating":${value}}`
    const out = Buffer.allocUnsafe(HEADER_SIZE + json.length)
    header.copy(out, 0)
    out.write(json, HEADER_SIZE, 'latin1')
    return out
  }

  async close(timeoutMs: number): Promise<void> {
    if (!this.#connected) return
    await new Promise<void>((resolve) => this.#producer.flush(timeoutMs, () => resolve()))
    await new Promise<void>((resolve) => this.#producer.disconnect(timeoutMs, () => resolve()))
    this.#connected = false
    for (const p of this.#pending.values()) {
      p.reject(new KafkaUnavailableError('the producer closed before the broker acknowledged'))
    }
    this.#pending.clear()
  }
}

function keyText(key: Buffer | string): string {
  return typeof key === 'string' ? key : key.toString('latin1')
}

/** One movie's current average as the live table shows it. */
export interface MovieAverage {
  readonly movieId: number
  /** The average rating (the tutorial's field name). */
  readonly rating: number
  readonly count: number
}

/** A movie's average and count from its count-and-sum value (the feed and the interactive queries). */
export function movieAverage(movieId: number, value: CountAndSum): MovieAverage {
  return { movieId, rating: averageOf(value), count: value.count }
}

export type AverageListener = (average: MovieAverage) => void

/** Every movie's current average on this instance, and a stream of changes. */
export interface AveragesFeed {
  snapshot(): MovieAverage[]
  get(movieId: number): MovieAverage | undefined
  subscribe(listener: AverageListener): () => void
  /** True once the feed has read up to the end offsets it saw at start. */
  readonly caughtUp: boolean
  readonly connected: boolean
  close(): Promise<void>
}

/**
 * The single subscription of a service instance: a consumer assigned to every partition of the stats topic (no
 * consumer group, so instances and browser tabs never split partitions), read from the beginning into a map that
 * serves snapshots; each change is handed to the listeners (the WebSocket broadcaster).
 */
export class StatsFeed implements AveragesFeed {
  readonly #consumer: Rdkafka.KafkaConsumer
  readonly #topic: string
  readonly #serde: Serde<CountAndSum>
  readonly #keySerde = Serdes.LongNumber()
  readonly #log: Log
  readonly #table = new Map<number, MovieAverage>()
  readonly #listeners = new Set<AverageListener>()
  readonly #endOffsets = new Map<number, number>()
  #running = false
  #loop: Promise<void> = Promise.resolve()
  #caughtUp = false
  #connected = false

  private constructor(consumer: Rdkafka.KafkaConsumer, topic: string, serde: Serde<CountAndSum>, log: Log) {
    this.#consumer = consumer
    this.#topic = topic
    this.#serde = serde
    this.#log = log
  }

  static async create(
    props: Props,
    topic: string,
    serde: Serde<CountAndSum>,
    log: Log,
    timeoutMs = 15_000
  ): Promise<StatsFeed> {
    const raw = new native.KafkaConsumer(
      {
        ...props,
        // Never joins: assign() below takes every partition. librdkafka still wants a group id.
        'group.id': `ratings-feed-${randomUUID()}`,
        'enable.auto.commit': false,
        'enable.auto.offset.store': false
      } as Rdkafka.ConsumerGlobalConfig,
      {}
    )
    clientLogs(raw, log, 'feed')
    const feed = new StatsFeed(raw, topic, serde, log)
    await connect(raw, timeoutMs, 'averages feed')
    feed.#connected = true
    // consume(n) returns once the first message is in plus whatever else is ready, not after the full timeout.
    ;(
      raw as Rdkafka.KafkaConsumer & { setDefaultIsTimeoutOnlyForFirstMessage(v: boolean): void }
    ).setDefaultIsTimeoutOnlyForFirstMessage(true)
    raw.setDefaultConsumeTimeout(200)
    const partitions = await feed.#partitions(timeoutMs)
    for (const p of partitions) feed.#endOffsets.set(p, await feed.#highWatermark(p, timeoutMs))
    feed.#caughtUp = [...feed.#endOffsets.values()].every((o) => o === 0)
    raw.assign(partitions.map((partition) => ({ topic, partition, offset: OFFSET_BEGINNING })))
    feed.#running = true
    feed.#loop = feed.#run()
    return feed
  }

  async #partitions(timeoutMs: number): Promise<number[]> {
    // A topic created a moment ago may not be in the metadata yet (or have no leaders): ask again until the deadline.
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const remaining = Math.max(100, deadline - Date.now())
      const result = await new Promise<number[] | Error>((resolve) => {
        this.#consumer.getMetadata({ topic: this.#topic, timeout: remaining }, (err, md) => {
          const t = md?.topics.find((x) => x.name === this.#topic)
          if (err || t === undefined || t.partitions.length === 0) resolve(new Error(err?.message ?? 'not found'))
          else resolve(t.partitions.map((p) => p.id).sort((a, b) => a - b))
        })
      })
      if (Array.isArray(result)) return result
      if (Date.now() >= deadline) {
        throw new KafkaUnavailableError(`no metadata for topic ${this.#topic}: ${result.message}`, { cause: result })
      }
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  }

  async #highWatermark(partition: number, timeoutMs: number): Promise<number> {
    // Right after the topic was created its partitions may have no leader yet ("Not leader for partition", "Leader
    // not available"): ask again until the deadline, as for the metadata above.
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const remaining = Math.max(100, deadline - Date.now())
      const result = await new Promise<number | Error>((resolve) => {
        this.#consumer.queryWatermarkOffsets(this.#topic, partition, remaining, (err, offsets) => {
          resolve(err ? new Error(err.message) : offsets.highOffset)
        })
      })
      if (typeof result === 'number') return result
      if (Date.now() >= deadline) {
        throw new KafkaUnavailableError(`watermarks of ${this.#topic}-${partition}: ${result.message}`, {
          cause: result
        })
      }
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
  }

  async #run(): Promise<void> {
    while (this.#running) {
      let messages: Rdkafka.Message[]
      try {
        messages = await new Promise((resolve, reject) =>
          this.#consumer.consume(500, (err, m) => (err ? reject(err) : resolve(m)))
        )
      } catch (err) {
        if (!this.#running) return
        this.#log.warn({ err }, 'averages feed: consume failed; retrying')
        await new Promise((resolve) => setTimeout(resolve, 500))
        continue
      }
      // The stats topic is a table: of several records of one movie in a batch only the last one counts, so only that
      // one is decoded and broadcast (under load this is most of the batch; one at a time, nothing changes).
      const latest = new Map<string, Rdkafka.Message>()
      for (const m of messages) {
        this.#positions.set(m.partition, m.offset + 1)
        latest.set(
          m.key === null || m.key === undefined ? `${m.partition}@${m.offset}` : `${m.partition}:${keyText(m.key)}`,
          m
        )
      }
      for (const m of latest.values()) await this.#apply(m)
      if (!this.#caughtUp && messages.length > 0) {
        this.#caughtUp = [...this.#endOffsets].every(([p, end]) => end === 0 || this.#position(p) >= end)
      }
    }
  }

  readonly #positions = new Map<number, number>()
  #position(partition: number): number {
    return this.#positions.get(partition) ?? 0
  }

  async #apply(m: Rdkafka.Message): Promise<void> {
    let value: CountAndSum | null
    let movieId: number | null
    try {
      movieId = this.#keySerde.deserialize(this.#topic, m.key as Buffer)
      try {
        value = this.#serde.deserialize(this.#topic, m.value)
      } catch (e) {
        if (!(e instanceof SchemaNotCachedError)) throw e
        // A schema id first seen: fetch it once, then read the record again.
        await e.fetch()
        value = this.#serde.deserialize(this.#topic, m.value)
      }
    } catch (err) {
      this.#log.warn({ err, partition: m.partition, offset: m.offset }, 'averages feed: skipping an unreadable record')
      return
    }
    if (movieId === null) return
    if (value === null || value.count === 0) {
      this.#table.delete(movieId)
      return
    }
    const average = movieAverage(movieId, value)
    this.#table.set(movieId, average)
    for (const l of this.#listeners) {
      try {
        l(average)
      } catch (err) {
        this.#log.error({ err }, 'averages feed listener threw')
      }
    }
  }

  snapshot(): MovieAverage[] {
    return [...this.#table.values()].sort((a, b) => a.movieId - b.movieId)
  }

  get(movieId: number): MovieAverage | undefined {
    return this.#table.get(movieId)
  }

  subscribe(listener: AverageListener): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  get caughtUp(): boolean {
    return this.#caughtUp
  }

  get connected(): boolean {
    return this.#connected
  }

  async close(): Promise<void> {
    if (!this.#running) return
    this.#running = false
    await this.#loop
    await new Promise<void>((resolve) => this.#consumer.disconnect(() => resolve()))
    this.#connected = false
    this.#listeners.clear()
  }
}
