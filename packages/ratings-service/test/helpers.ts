// Shared by the service tests: configuration for a test, test doubles of the services, the real broker's address.
import { randomUUID } from 'node:crypto'
import type { StreamsMetrics } from 'kstreams-ts'
import { loadConfig } from '../src/config.ts'
import type { ServiceConfig } from '../src/config.ts'
import type { AverageLookup, RatingsEngine } from '../src/engine.ts'
import { KafkaUnavailableError } from '../src/kafka.ts'
import type { AverageListener, AveragesFeed, MovieAverage, RatingSink } from '../src/kafka.ts'
import type { Services } from '../src/plugins/services.ts'
import type { Rating } from '../src/topology.ts'

/** A configuration from `env` with unique topic names and application id, so runs never share state. */
export function testConfig(env: Record<string, string> = {}): ServiceConfig {
  const id = randomUUID().slice(0, 8)
  return loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    APPLICATION_ID: `ratings-test-${id}`,
    APPLICATION_SERVER: '127.0.0.1:1',
    RATINGS_TOPIC: `ratings-${id}`,
    RATING_AVERAGES_TOPIC: `rating-averages-${id}`,
    RATING_STATS_TOPIC: `rating-stats-${id}`,
    STATE_DIR: `/tmp/ratings-test-state-${id}`,
    TOPIC_REPLICATION_FACTOR: '1',
    ...env
  })
}

function required(name: string, hint: string): string {
  const value = process.env[name]
  // Broker tests fail rather than skip when the infrastructure is missing.
  if (value === undefined || value === '') {
    throw new Error(`${name} is not set: run with npm test (scripts/test.sh) or ${hint}`)
  }
  return value
}

/** Env for a configuration against the real broker and registry exported by scripts/test.sh. */
export function brokerEnv(): Record<string, string> {
  return {
    KAFKA_BOOTSTRAP: required('KAFKA_BOOTSTRAP', 'export KAFKA_BOOTSTRAP=127.0.0.1:9092'),
    SCHEMA_REGISTRY_URL: required(
      'SCHEMA_REGISTRY_URL',
      'export SCHEMA_REGISTRY_URL=http://127.0.0.1:8081/apis/ccompat/v7'
    )
  }
}

export class FakeSink implements RatingSink {
  readonly sent: Rating[] = []
  fail = false
  /** Writes wait for release() instead of being acknowledged at once (a broker that does not answer). */
  hang = false
  connected = true
  readonly #held: Array<() => void> = []
  async send(rating: Rating): Promise<void> {
    if (this.fail) throw new KafkaUnavailableError('broker down (test)')
    if (this.hang) await new Promise<void>((resolve) => this.#held.push(resolve))
    this.sent.push(rating)
  }

  /** Acknowledges the writes held while `hang` was set. */
  release(): void {
    for (const resolve of this.#held.splice(0)) resolve()
  }

  async close(): Promise<void> {
    this.connected = false
  }
}

export class FakeFeed implements AveragesFeed {
  readonly #table = new Map<number, MovieAverage>()
  readonly #listeners = new Set<AverageListener>()
  caughtUp = true
  connected = true
  snapshot(): MovieAverage[] {
    return [...this.#table.values()]
  }

  get(movieId: number): MovieAverage | undefined {
    return this.#table.get(movieId)
  }

  subscribe(listener: AverageListener): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** What the real feed does on a record of the stats topic. */
  push(average: MovieAverage): void {
    this.#table.set(average.movieId, average)
    for (const l of this.#listeners) l(average)
  }

  get listeners(): number {
    return this.#listeners.size
  }

  async close(): Promise<void> {}
}

export class FakeEngine implements RatingsEngine {
  state: RatingsEngine['state'] = 'RUNNING'
  readonly local = new Map<number, MovieAverage>()
  /** Movies owned elsewhere, and by whom. */
  readonly remote = new Map<number, string | undefined>()
  closed = false
  get queryable(): boolean {
    return this.state === 'RUNNING' || this.state === 'REBALANCING'
  }

  // Partial: the engine's metrics grow while the runtime is hardened; the routes read only these.
  metrics(): StreamsMetrics {
    const m: Partial<StreamsMetrics> = {
      state: this.state,
      recordsProcessedTotal: 42,
      recordsProcessedPerSecond: 1.5,
      commitTotal: 3,
      commitLatencyAvgMs: 2,
      commitLatencyMaxMs: 5,
      restoredRecordsTotal: 0,
      restoringStores: 0,
      droppedRecordsTotal: 0,
      staleRecordsSkippedTotal: 0,
      abortedTransactionsTotal: 0,
      producerReplacementsTotal: 1,
      transactionRetriesTotal: 4,
      consumerLag: [],
      consumerLagTotal: 7,
      tasks: ['0_0', '1_0']
    }
    return m as StreamsMetrics
  }

  lookup(movieId: number): AverageLookup {
    if (this.remote.has(movieId)) return { local: false, activeHost: this.remote.get(movieId) }
    return { local: true, value: this.local.get(movieId) ?? null }
  }

  readonly others: string[] = []
  otherHosts(): string[] {
    return this.others
  }

  localAverages(): MovieAverage[] {
    return [...this.local.values()]
  }

  async close(): Promise<void> {
    this.closed = true
  }
}

export function fakeServices(): Services & { sink: FakeSink; feed: FakeFeed; engine: FakeEngine } {
  return { sink: new FakeSink(), feed: new FakeFeed(), engine: new FakeEngine() }
}

/** Resolves with the first value `probe` returns that is not undefined, polling until `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 10_000
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await probe()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}
