// The stream-processing side of the service: KafkaStreams running the running-average topology, seen by the routes
// through a narrow interface (state, metrics, interactive queries) so they can be tested without a broker. By default
// it runs in a child process of its own (engine-process.ts, reached through ChildProcessEngine), so processing never
// shares the event loop that answers POST /rating; `ENGINE_MODE=inline` keeps it in the server's process.
import { KafkaStreams, Serdes } from 'kstreams-ts'
import type { KafkaStreamsState, ReadOnlyKeyValueStore, StreamsLogger, StreamsMetrics } from 'kstreams-ts'
import type { ServiceConfig } from './config.ts'
import { poisonRecordSettings } from './poison-policy.ts'
import { movieAverage } from './kafka.ts'
import type { MovieAverage } from './kafka.ts'
import { AVERAGE_RATINGS_STORE, COUNT_AND_SUM_STORE, buildTopology } from './topology.ts'
import type { CountAndSum, TopologySerdes } from './topology.ts'

/** Where a movie's average lives: here (with its value, null when it has no ratings yet) or on another instance. */
export type AverageLookup =
  | { readonly local: true; readonly value: MovieAverage | null }
  | { readonly local: false; readonly activeHost: string | undefined }

/**
 * What the routes need from the engine. `state` and `metrics()` answer at once (an engine in another process
 * reports them as they change, metrics about once a second); the queries may be asynchronous.
 */
export interface RatingsEngine {
  readonly state: KafkaStreamsState
  metrics(): StreamsMetrics
  /**
   * Interactive query for one movie; fails with an error whose `code` is ILLEGAL_STATE or STORE_CLOSED when the
   * stores cannot be queried now (restoring, rebalancing, engine not running).
   */
  lookup(movieId: number): AverageLookup | Promise<AverageLookup>
  /** Every average held by this instance's tasks. */
  localAverages(): MovieAverage[] | Promise<MovieAverage[]>
  /** `application.server` of the other instances that hold part of the averages store. */
  otherHosts(): string[] | Promise<string[]>
  /** True when the state allows interactive queries. */
  readonly queryable: boolean
  close(timeoutMs: number): Promise<void>
}

/**
 * Record cache and commit interval (COMMIT_INTERVAL_MS overrides the interval). At-least-once (the default): the
 * record cache coalesces the updates of a movie between two commits, and a commit follows every poll, so under load
 * there is one changelog and one output record per movie and store per poll instead of one per rating (a large part
 * of the engine's and the broker's work per rating), while a single rating still reaches the averages within the
 * same poll (a few ms more POST-to-WebSocket latency than without the cache). Longer intervals saved 2–9 µs of broker
 * CPU per rating under POST load, within the noise in throughput, and added 3–9 ms to the POST-to-WebSocket p50
 * (docs/benchmarks.md, 2026-11-28), so the default stays at a commit per poll. Exactly-once keeps what it had: no
 * cache and a transaction a second.
 */
export function engineCommitSettings(
  guarantee: ServiceConfig['processingGuarantee'],
  commitIntervalMs?: number
): {
  'statestore.cache.max.bytes': number
  'commit.interval.ms': number
} {
  return guarantee === 'at_least_once'
    ? { 'statestore.cache.max.bytes': 10 * 1024 * 1024, 'commit.interval.ms': commitIntervalMs ?? 0 }
    : { 'statestore.cache.max.bytes': 0, 'commit.interval.ms': commitIntervalMs ?? 1000 }
}

/** KafkaStreams behind {@link RatingsEngine}. */
export class StreamsEngine implements RatingsEngine {
  readonly #streams: KafkaStreams
  readonly #longSerde = Serdes.Long()
  readonly #applicationServer: string

  constructor(
    config: ServiceConfig,
    serdes: TopologySerdes,
    logger: StreamsLogger,
    onState?: (state: KafkaStreamsState) => void
  ) {
    this.#applicationServer = config.applicationServer
    const topology = buildTopology(serdes, config.topics)
    this.#streams = new KafkaStreams(
      topology,
      {
        ...config.kafka,
        'application.id': config.applicationId,
        'application.server': config.applicationServer,
        'processing.guarantee': config.processingGuarantee,
        'replication.factor': config.topics.replicationFactor,
        ...engineCommitSettings(config.processingGuarantee, config.commitIntervalMs),
        // POISON_RECORD_POLICY: by default a record the engine cannot read or process goes to the dead-letter topic.
        ...poisonRecordSettings(config, logger),
        // The averages reach the feed through the engine's producer: librdkafka's 5 ms default linger would be a third
        // of the POST-to-WebSocket latency.
        'producer.linger.ms': config.kafka['linger.ms'] ?? 1,
        // Under load, librdkafka's defaults (answer a fetch as soon as 1 byte is there) make the engine's consumer fetch
        // after every batch of the rating producer, about 2000 fetches a second, which cost the broker more CPU than
        // the ratings themselves; 64 kB or 2 ms cut that to a few hundred, and add at most 2 ms to a lone rating.
        'consumer.fetch.min.bytes': config.kafka['fetch.min.bytes'] ?? 65_536,
        'consumer.fetch.wait.max.ms': config.kafka['fetch.wait.max.ms'] ?? 2,
        ...(config.stateDir === undefined ? {} : { 'state.dir': config.stateDir })
      },
      { logger }
    )
    if (onState !== undefined) this.#streams.setStateListener((state) => onState(state))
  }

  /** Starts the engine; resolves once it joined the group (state REBALANCING), rejects on a bad setup. */
  async start(): Promise<void> {
    await this.#streams.start()
  }

  get state(): KafkaStreamsState {
    return this.#streams.state
  }

  get queryable(): boolean {
    return this.state === 'RUNNING' || this.state === 'REBALANCING'
  }

  metrics(): StreamsMetrics {
    return this.#streams.metrics()
  }

  /**
   * The count-and-sum store answers both numbers of a query. Reading the average from `average-ratings` and the count
   * from here could pair values of different moments: with the record cache, IQ sees count-and-sum's newest value at
   * once, while `average-ratings` only changes when that cache is flushed downstream at the next commit (as in Kafka
   * Streams). `average-ratings` holds the same average, `averageOf` of the same value, for clients that query it.
   */
  #counts(): ReadOnlyKeyValueStore<bigint, CountAndSum> {
    return this.#streams.store<bigint, CountAndSum>(COUNT_AND_SUM_STORE)
  }

  lookup(movieId: number): AverageLookup {
    const key = BigInt(movieId)
    const meta = this.#streams.queryMetadataForKey(AVERAGE_RATINGS_STORE, key, this.#longSerde)
    if (!meta.local) return { local: false, activeHost: meta.activeHost }
    const cs = this.#counts().get(key)
    return { local: true, value: cs === null ? null : movieAverage(movieId, cs) }
  }

  otherHosts(): string[] {
    const own = this.#applicationServer
    const hosts = this.#streams.allMetadataForStore(AVERAGE_RATINGS_STORE).map((m) => m.host)
    return [...new Set(hosts)].filter((h): h is string => h !== undefined && h !== own)
  }

  localAverages(): MovieAverage[] {
    const out: MovieAverage[] = []
    for (const kv of this.#counts().all()) out.push(movieAverage(Number(kv.key), kv.value))
    return out.sort((a, b) => a.movieId - b.movieId)
  }

  async close(timeoutMs: number): Promise<void> {
    await this.#streams.close(timeoutMs)
  }
}
