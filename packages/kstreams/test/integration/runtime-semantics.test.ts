// KafkaStreams runtime semantics on the real broker, one test per behaviour: exactly-once abort-and-restore after a
// failed commit or send, at-least-once stopping on a failed send, poison records through the deserialization
// handler, close(timeout) leaving the group, consumer lag metrics, the state directory lock.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { KafkaStreams, Serdes, StreamsError } from '../../src/index.ts'
import { logAndContinueDeserialization, logAndContinueProcessing } from '../../src/processor/errors.ts'
import { KafkaClientError } from '../../src/internals/client/client-error.ts'
import { confluentClientProvider } from '../../src/internals/client/confluent-client.ts'
import type {
  ConsumedRecord,
  ConsumerClient,
  KafkaClientProvider,
  ProducerClient
} from '../../src/internals/client/kafka-client.ts'
import { AVERAGE_STORE, COUNT_SUM_STORE, expectedTotals, runningAverageTopology } from './fixtures/running-average.ts'
import type { CountAndSum, Rating } from './fixtures/running-average.ts'
import { admin, bootstrap, consumer, defer, memoryLogger, producer, uniqueName, waitFor } from './helpers.ts'

interface Setup {
  ratingsTopic: string
  averagesTopic: string
  appId: string
  stateDir: string
  ratings: Rating[]
}

async function setup(t: TestContext, count: number, poison: number[] = []): Promise<Setup> {
  const ratingsTopic = uniqueName('sem-ratings')
  const averagesTopic = uniqueName('sem-averages')
  const a = await admin(t)
  await a.createTopics([
    { topic: ratingsTopic, partitions: 3, replicationFactor: 1 },
    { topic: averagesTopic, partitions: 3, replicationFactor: 1 }
  ])
  defer(t, () => a.deleteTopics([ratingsTopic, averagesTopic]))
  const ratings: Rating[] = []
  for (let i = 0; i < count; i++) ratings.push({ movieId: 1 + ((i * 7) % 30), rating: 1 + ((i * 13) % 10) })
  const p = await producer(t)
  const json = Serdes.Json<Rating>()
  for (const [i, r] of ratings.entries()) {
    const key = Serdes.Long().serialize(ratingsTopic, BigInt(r.movieId))
    if (poison.includes(i)) {
      while (!p.produce({ topic: ratingsTopic, key, value: Buffer.from('{not json') })) await p.flush()
    }
    while (!p.produce({ topic: ratingsTopic, key, value: json.serialize(ratingsTopic, r) })) await p.flush()
  }
  await p.flush()
  const stateDir = mkdtempSync(join(tmpdir(), 'kstreams-sem-'))
  defer(t, () => rmSync(stateDir, { recursive: true, force: true }))
  return { ratingsTopic, averagesTopic, appId: uniqueName('sem-app'), stateDir, ratings }
}

function config(
  s: Setup,
  guarantee: 'at_least_once' | 'exactly_once_v2',
  extra: Record<string, unknown> = {}
): Record<string, unknown> {
  return {
    'application.id': s.appId,
    'bootstrap.servers': bootstrap(),
    'processing.guarantee': guarantee,
    'statestore.cache.max.bytes': 0,
    'commit.interval.ms': 100,
    'state.dir': s.stateDir,
    'replication.factor': 1,
    ...extra
  }
}

async function assertExactStore(streams: KafkaStreams, ratings: readonly Rating[]): Promise<void> {
  const expected = expectedTotals(ratings)
  await waitFor('RUNNING', () => streams.state === 'RUNNING' || streams.state === 'ERROR', 60_000)
  const sums = streams.store<bigint, CountAndSum>(COUNT_SUM_STORE)
  await waitFor(
    'exact totals in the store',
    () => {
      try {
        return streams.state === 'ERROR' || [...expected].every(([k, v]) => sums.get(BigInt(k))?.count === v.count)
      } catch (e) {
        // Restoring after an abort or a rebalance: asked again shortly.
        if ((e as StreamsError).code === 'ILLEGAL_STATE') return false
        throw e
      }
    },
    90_000
  )
  assert.equal(streams.state, 'RUNNING', `state (error: ${(streams.error as Error)?.message})`)
  for (const [movie, want] of expected) {
    assert.deepEqual(sums.get(BigInt(movie)), want, `count and sum of movie ${movie}`)
    assert.equal(streams.store<bigint, number>(AVERAGE_STORE).get(BigInt(movie)), want.sum / want.count)
  }
}

async function assertExactOutput(t: TestContext, s: Setup): Promise<void> {
  const expected = expectedTotals(s.ratings)
  const c = await consumer(t, { 'auto.offset.reset': 'earliest', 'isolation.level': 'read_committed' })
  c.subscribe([s.averagesTopic])
  const latest = new Map<number, number>()
  await waitFor(
    'exact averages in the output topic',
    async () => {
      for (const r of await c.consume(5000, 200)) {
        latest.set(
          Number(Serdes.Long().deserialize(s.averagesTopic, r.key)),
          Serdes.Double().deserialize(s.averagesTopic, r.value) as number
        )
      }
      return [...expected].every(([k, v]) => latest.get(k) === v.sum / v.count)
    },
    90_000
  )
}

/**
 * The real client, with the transactional producer's commits (counted among those that carry offsets) and sends
 * failing on chosen calls. A failed send dooms the transaction, as librdkafka's abortable error does: its commit fails.
 */
function faultyProvider(faults: {
  failCommits?: number[]
  failSends?: number[]
  sendTopic?: string
  /** Aborts to refuse, as librdkafka does once the producer was fenced or hit a fatal error. */
  failAborts?: number[]
  /** Sends to refuse synchronously, as librdkafka does once the transaction needs an epoch bump. */
  throwSends?: number[]
  /** beginTransaction calls to refuse. */
  failBegins?: number[]
  /** After each abort, refuse the next committed() of the main consumer (a coordinator that is rebalancing). */
  failCommittedAfterAbort?: boolean
  /** After the first abort, refuse every committed() of the main consumer (a coordinator that never answers it). */
  failAllCommittedAfterAbort?: boolean
  /** sendOffsetsToTransaction calls to fail as librdkafka's retriable errors do (coordinator not available). */
  retriableOffsets?: number[]
  /** commitTransaction calls to fail as a retriable timeout (the transaction stays open, the call may be resumed). */
  retriableCommits?: number[]
}): KafkaClientProvider {
  let offsetCalls = 0
  let commitCalls = 0
  let begins = 0
  let committedArmed = false
  let commits = 0
  let sends = 0
  let aborts = 0
  let withOffsets = false
  let doomed = false
  return {
    name: 'faulty',
    createAdmin: (o) => confluentClientProvider.createAdmin(o),
    async createConsumer(o) {
      const real = await confluentClientProvider.createConsumer(o)
      const failing = faults.failCommittedAfterAbort === true || faults.failAllCommittedAfterAbort === true
      if (!failing || String(o.properties?.['group.id']).includes('-restore-')) {
        return real
      }
      return new Proxy(real, {
        get(target, prop) {
          if (prop === 'committed' && committedArmed) {
            return async () => {
              committedArmed = faults.failAllCommittedAfterAbort === true
              throw new KafkaClientError('injected: fetching committed offsets: Local: Timed out', {
                code: -185,
                message: 'Local: Timed out'
              })
            }
          }
          const value = Reflect.get(target, prop, target) as unknown
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value
        }
      })
    },
    async createProducer(o) {
      const real = await confluentClientProvider.createProducer(o)
      const faulty: ProducerClient = {
        produce: (record, onDelivery) => {
          const n = record.topic === faults.sendTopic ? ++sends : -1
          if (faults.throwSends?.includes(n) === true) {
            throw new KafkaClientError('injected: producing: Local: Erroneous state', {
              code: -172,
              message: 'Local: Erroneous state'
            })
          }
          if (faults.failSends?.includes(n) === true) {
            doomed = true
            // As the client reports a record it gave up on: through the delivery callback, later.
            setImmediate(() => onDelivery?.(new Error('injected delivery failure'), null))
            return true
          }
          return real.produce(record, onDelivery)
        },
        flush: (ms) => real.flush(ms),
        initTransactions: (ms) => real.initTransactions(ms),
        beginTransaction: async () => {
          if (faults.failBegins?.includes(++begins)) {
            throw new KafkaClientError('injected: beginning a transaction: Local: Erroneous state', {
              code: -172,
              message: 'Local: Erroneous state'
            })
          }
          withOffsets = false
          doomed = false
          await real.beginTransaction()
        },
        sendOffsetsToTransaction: async (offsets, group, ms) => {
          if (faults.retriableOffsets?.includes(++offsetCalls)) {
            throw new KafkaClientError(
              'injected: Failed to add offsets to transaction: Broker: Coordinator not available',
              {
                code: 15,
                isRetriable: true
              }
            )
          }
          withOffsets = true
          await real.sendOffsetsToTransaction(offsets, group, ms)
        },
        commitTransaction: async (ms) => {
          if (faults.retriableCommits?.includes(++commitCalls)) {
            throw new KafkaClientError('injected: committing the transaction: Local: Timed out', {
              code: -185,
              isRetriable: true
            })
          }
          if (doomed) {
            // As librdkafka fails the commit of a transaction with an undelivered record: abortable.
            throw new KafkaClientError('injected: transaction has an undelivered record', {
              code: 48,
              isTxnRequiresAbort: true
            })
          }
          if (withOffsets && faults.failCommits?.includes(++commits)) {
            throw new StreamsError('KAFKA_CLIENT', 'injected commit failure')
          }
          await real.commitTransaction(ms)
        },
        abortTransaction: async (ms) => {
          committedArmed ||= faults.failCommittedAfterAbort === true || faults.failAllCommittedAfterAbort === true
          if (faults.failAborts?.includes(++aborts)) {
            throw new StreamsError(
              'KAFKA_CLIENT',
              'injected: Producer attempted a transactional operation in an invalid state'
            )
          }
          await real.abortTransaction(ms)
        },
        close: (ms) => real.close(ms)
      }
      return faulty
    }
  }
}

/**
 * The running average under exactly-once with injected client faults: once its store and output topic hold the exact
 * totals, returns the instance (still running) and its log lines for the test's own checks.
 */
async function exactDespiteFaults(
  t: TestContext,
  faults: Parameters<typeof faultyProvider>[0],
  extra: Record<string, unknown> = {}
): Promise<{ streams: KafkaStreams; lines: string[] }> {
  const s = await setup(t, 3000)
  const logger = memoryLogger()
  const streams = new KafkaStreams(
    runningAverageTopology(s.ratingsTopic, s.averagesTopic),
    config(s, 'exactly_once_v2', { 'max.poll.records': 200, ...extra }),
    { logger, clientProvider: faultyProvider({ sendTopic: s.averagesTopic, ...faults }) }
  )
  defer(t, () => streams.close())
  await streams.start()
  await assertExactStore(streams, s.ratings)
  await assertExactOutput(t, s)
  return { streams, lines: logger.lines }
}

const FAULT_TEST = { timeout: 180_000 }

test(
  'exactly-once: a failed transaction commit aborts, restores the stores and reprocesses (exact results)',
  FAULT_TEST,
  async (t) => {
    const { streams } = await exactDespiteFaults(t, { failCommits: [1, 2] }, { 'max.poll.records': 100 })
    // Exact totals after two aborts show the stores were rebuilt: kept in memory, the aborted work would count twice.
    assert.equal(streams.metrics().abortedTransactionsTotal, 2, 'two transactions were aborted')
    assert.equal(await streams.close(), true)
  }
)

test(
  'exactly-once: a record the producer could not deliver aborts the transaction and restores (exact results)',
  FAULT_TEST,
  async (t) => {
    const { streams } = await exactDespiteFaults(t, { failSends: [500] })
    // At least one: librdkafka may find a sequence gap after an abort that purged queued records ("requires epoch
    // bump") and fail the next transaction too, which is aborted and recovered from the same way.
    const aborted = streams.metrics().abortedTransactionsTotal
    assert.ok(aborted >= 1, `aborted ${aborted}`)
    assert.equal(await streams.close(), true)
  }
)

test(
  'exactly-once: retriable errors of the transactional calls retry the same call, no abort (exact results)',
  FAULT_TEST,
  async (t) => {
    const { streams, lines } = await exactDespiteFaults(t, { retriableOffsets: [2, 3], retriableCommits: [5] })
    const m = streams.metrics()
    assert.equal(m.transactionRetriesTotal, 3, 'each injected retriable error was retried once')
    assert.equal(m.abortedTransactionsTotal, 0, 'a retriable error does not abort the transaction')
    assert.ok(lines.some((l) => l.includes('sending offsets to the transaction failed with a retriable error')))
    assert.equal(await streams.close(), true)
  }
)

test(
  'exactly-once: a producer that cannot abort is replaced (same transactional.id) and the results are exact',
  FAULT_TEST,
  async (t) => {
    const { streams } = await exactDespiteFaults(t, { failSends: [500], failAborts: [1] })
    assert.equal(streams.metrics().producerReplacementsTotal, 1)
    assert.equal(await streams.close(), true)
  }
)

test(
  'exactly-once: a producer that refuses sends or a new transaction (epoch bump after a broker restart) recovers, exact results',
  FAULT_TEST,
  async (t) => {
    const { streams } = await exactDespiteFaults(
      t,
      { throwSends: [300, 301], failBegins: [4] },
      { 'processing.exception.handler': logAndContinueProcessing }
    )
    const m = streams.metrics()
    assert.ok(m.abortedTransactionsTotal >= 1, `aborted ${m.abortedTransactionsTotal}`)
    assert.equal(m.droppedRecordsTotal, 0, "a refused send is not the record's fault: nothing skipped")
    assert.equal(await streams.close(), true)
  }
)

test(
  'exactly-once: when the committed offsets cannot be read during a recovery, the partitions are rewound after the next poll',
  FAULT_TEST,
  async (t) => {
    const { streams, lines } = await exactDespiteFaults(
      t,
      { failCommits: [2], failCommittedAfterAbort: true },
      { 'max.poll.records': 100 }
    )
    assert.equal(streams.metrics().abortedTransactionsTotal, 1)
    assert.ok(
      lines.some((l) => l.includes('committed offsets not available yet, will retry after the next poll')),
      'the recovery gave way instead of retrying inside the batch'
    )
    assert.equal(await streams.close(), true)
  }
)

test(
  'exactly-once: a recovery does not need the broker for committed offsets it made itself (producer replaced, offsets never readable)',
  FAULT_TEST,
  async (t) => {
    // The sequence of a single-broker restart: a record times out, the abort is refused, the producer is replaced,
    // and the group coordinator does not answer offset fetches. The instance rewinds to the offsets of its own last
    // commit; waiting for the broker to state them instead stalled it for minutes.
    const { streams, lines } = await exactDespiteFaults(t, {
      failSends: [500],
      failAborts: [1],
      failAllCommittedAfterAbort: true
    })
    assert.equal(streams.metrics().producerReplacementsTotal, 1)
    assert.ok(!lines.some((l) => l.includes('committed offsets not available')), 'no wait for the broker')
    assert.equal(await streams.close(), true)
  }
)

test(
  'at-least-once: a record the producer could not deliver stops the instance (ERROR), offsets not committed past it',
  { timeout: 120_000 },
  async (t) => {
    const s = await setup(t, 3000)
    const streams = new KafkaStreams(
      runningAverageTopology(s.ratingsTopic, s.averagesTopic),
      config(s, 'at_least_once', { 'commit.interval.ms': 60_000 }),
      {
        logger: memoryLogger(),
        clientProvider: faultyProvider({ failSends: [10], sendTopic: s.averagesTopic })
      }
    )
    defer(t, () => streams.close())
    await streams.start()
    await waitFor('ERROR', () => streams.state === 'ERROR', 60_000)
    assert.equal((streams.error as StreamsError).code, 'KAFKA_CLIENT')
    assert.match((streams.error as Error).message, /injected delivery failure/)
    const c = await consumer(t, { 'group.id': s.appId })
    const committed = await c.committed([0, 1, 2].map((partition) => ({ topic: s.ratingsTopic, partition })))
    assert.ok(
      committed.every((o) => o.offset < 0),
      `nothing committed: ${JSON.stringify(committed)}`
    )
  }
)

test('poison record: logAndContinue skips it and counts it; the rest is exact', { timeout: 120_000 }, async (t) => {
  const s = await setup(t, 1500, [100, 900])
  const streams = new KafkaStreams(
    runningAverageTopology(s.ratingsTopic, s.averagesTopic),
    config(s, 'exactly_once_v2', { 'deserialization.exception.handler': logAndContinueDeserialization }),
    { logger: memoryLogger() }
  )
  defer(t, () => streams.close())
  await streams.start()
  await assertExactStore(streams, s.ratings)
  assert.equal(streams.metrics().droppedRecordsTotal, 2)
  assert.equal(await streams.close(), true)
})

test(
  'poison record: the default logAndFail stops the instance with DESERIALIZATION and does not commit past it',
  { timeout: 120_000 },
  async (t) => {
    const s = await setup(t, 600, [300])
    const streams = new KafkaStreams(
      runningAverageTopology(s.ratingsTopic, s.averagesTopic),
      config(s, 'exactly_once_v2'),
      { logger: memoryLogger() }
    )
    defer(t, () => streams.close())
    await streams.start()
    await waitFor('ERROR', () => streams.state === 'ERROR', 60_000)
    const error = streams.error as StreamsError
    assert.equal(error.code, 'DESERIALIZATION')
    const c = await consumer(t, { 'group.id': s.appId, 'isolation.level': 'read_committed' })
    const committed = await c.committed([{ topic: s.ratingsTopic, partition: error.partition! }])
    assert.ok(
      committed[0]!.offset <= Number(error.offset),
      `committed ${committed[0]!.offset} is not past the poison record at ${error.offset}`
    )
  }
)

test(
  'close(timeout) commits and leaves the group: a second instance takes all tasks without waiting for a session timeout',
  { timeout: 120_000 },
  async (t) => {
    const s = await setup(t, 600)
    const first = new KafkaStreams(
      runningAverageTopology(s.ratingsTopic, s.averagesTopic),
      config(s, 'at_least_once', { 'commit.interval.ms': 60_000 }),
      { logger: memoryLogger() }
    )
    defer(t, () => first.close())
    await first.start()
    await assertExactStore(first, s.ratings)
    const started = Date.now()
    assert.equal(await first.close(10_000), true)
    assert.ok(Date.now() - started < 10_000)
    assert.equal(first.state, 'NOT_RUNNING')
    // Committed on close although the commit interval (60 s) never elapsed: the next instance starts where it ended.
    const secondDir = mkdtempSync(join(tmpdir(), 'kstreams-sem-'))
    defer(t, () => rmSync(secondDir, { recursive: true, force: true }))
    const second = new KafkaStreams(
      runningAverageTopology(s.ratingsTopic, s.averagesTopic),
      { ...config(s, 'at_least_once'), 'state.dir': secondDir },
      { logger: memoryLogger() }
    )
    defer(t, () => second.close())
    const joined = Date.now()
    await second.start()
    // The default session timeout is 45 s: getting the tasks sooner shows the first instance left the group.
    await waitFor(
      'second instance running all 6 tasks',
      () => second.state === 'RUNNING' && second.metrics().tasks.length === 6,
      30_000
    )
    assert.ok(Date.now() - joined < 30_000)
    await assertExactStore(second, s.ratings)
    assert.equal(second.metrics().recordsProcessedTotal, 0, 'nothing reprocessed: offsets were committed on close')
    // close() during start-up (still REBALANCING or just RUNNING) also finishes.
    assert.equal(await second.close(10_000), true)
  }
)

test(
  'close(timeout) returns false when time is up and the shutdown goes on; close() during start() stops it',
  { timeout: 120_000 },
  async (t) => {
    const s = await setup(t, 300)
    const streams = new KafkaStreams(
      runningAverageTopology(s.ratingsTopic, s.averagesTopic),
      config(s, 'at_least_once'),
      {
        logger: memoryLogger()
      }
    )
    defer(t, () => streams.close())
    await streams.start()
    await assertExactStore(streams, s.ratings)
    assert.equal(await streams.close(1), false)
    assert.equal(streams.state, 'PENDING_SHUTDOWN')
    assert.equal(await streams.close(20_000), true, 'a second close() waits for the same shutdown')
    assert.equal(streams.state, 'NOT_RUNNING')

    const otherDir = mkdtempSync(join(tmpdir(), 'kstreams-sem-'))
    defer(t, () => rmSync(otherDir, { recursive: true, force: true }))
    const other = new KafkaStreams(
      runningAverageTopology(s.ratingsTopic, s.averagesTopic),
      { ...config(s, 'at_least_once'), 'state.dir': otherDir },
      { logger: memoryLogger() }
    )
    const states: string[] = []
    other.setStateListener((state) => states.push(state))
    const starting = other.start()
    assert.equal(await other.close(20_000), true)
    await starting
    assert.equal(other.state, 'NOT_RUNNING')
    assert.deepEqual(states, ['REBALANCING', 'PENDING_SHUTDOWN', 'NOT_RUNNING'])
    assert.equal(other.metrics().tasks.length, 0)
  }
)

test(
  'metrics: consumer lag per source partition, refreshed while processing, 0 when caught up',
  { timeout: 120_000 },
  async (t) => {
    const s = await setup(t, 20_000)
    const streams = new KafkaStreams(
      runningAverageTopology(s.ratingsTopic, s.averagesTopic),
      config(s, 'exactly_once_v2', { 'max.poll.records': 20 }),
      { logger: memoryLogger() }
    )
    defer(t, () => streams.close())
    await streams.start()
    let maxLag = 0
    let maxRate = 0
    await waitFor(
      'lag > 0 and a processing rate while the backlog is processed',
      () => {
        maxLag = Math.max(maxLag, streams.metrics().consumerLagTotal)
        maxRate = Math.max(maxRate, streams.metrics().recordsProcessedPerSecond)
        return maxLag > 0 && maxRate > 0
      },
      60_000
    )
    await waitFor(
      'lag 0 on all 6 partitions',
      () => streams.metrics().consumerLag.length === 6 && streams.metrics().consumerLagTotal === 0,
      90_000
    )
    const lag = streams.metrics().consumerLag
    assert.deepEqual(
      lag.map((l) => (l.topic.endsWith('-repartition') ? 'repartition' : l.topic)).sort(),
      [s.ratingsTopic, s.ratingsTopic, s.ratingsTopic, 'repartition', 'repartition', 'repartition'].sort()
    )
    for (const l of lag) assert.equal(l.position, l.endOffset)
    await waitFor('rate 0 when idle', () => streams.metrics().recordsProcessedPerSecond === 0, 10_000)
    assert.ok(maxLag > 0 && maxLag <= 40_000, `lag seen while processing: ${maxLag}`)
  }
)

test('interactive queries never see a store half restored', { timeout: 180_000 }, async (t) => {
  const s = await setup(t, 20_000)
  const cfg = config(s, 'at_least_once')
  const first = new KafkaStreams(runningAverageTopology(s.ratingsTopic, s.averagesTopic), cfg, {
    logger: memoryLogger()
  })
  defer(t, () => first.close())
  await first.start()
  await assertExactStore(first, s.ratings)
  assert.equal(await first.close(), true)
  rmSync(s.stateDir, { recursive: true, force: true })
  const expected = expectedTotals(s.ratings)
  const second = new KafkaStreams(runningAverageTopology(s.ratingsTopic, s.averagesTopic), cfg, {
    logger: memoryLogger()
  })
  defer(t, () => second.close())
  await second.start()
  let partial = 0
  let polls = 0
  let retry = 0
  while (second.state !== 'RUNNING') {
    if (second.state === 'ERROR') assert.fail(String(second.error))
    const store = second.store<bigint, CountAndSum>(COUNT_SUM_STORE)
    for (const [movie, want] of expected) {
      let got: CountAndSum | null
      try {
        got = store.get(BigInt(movie))
      } catch (e) {
        // "being restored, retry" is a right answer (null is too, before the partitions are assigned).
        assert.equal((e as StreamsError).code, 'ILLEGAL_STATE')
        retry++
        continue
      }
      if (got !== null && got.count !== want.count) partial++
    }
    polls++
    // Yields to the restore between polls (no delay).
    await new Promise((resolve) => setImmediate(resolve))
  }
  assert.equal(partial, 0, `${partial} answers from a half-restored store in ${polls} polls`)
  assert.ok(polls > 1 && retry > 0, `${polls} polls, ${retry} retry answers`)
  assert.ok(second.metrics().restoredRecordsTotal > 0)
  await assertExactStore(second, s.ratings)
})

test(
  'records fetched before an assignment are not processed; those after a gap are not skipped later',
  { timeout: 120_000 },
  async (t) => {
    // The client runs rebalance callbacks during consume(): a call under way when partitions are assigned can return
    // records fetched before (an earlier assignment, an earlier owner's position). Here such a call returns records
    // 500-999 of partition 0 while the group has nothing committed: taking them (they are past the committed offset)
    // and then skipping 0-499 when they arrive, as an offset filter would, loses 500 ratings.
    const s = await setup(t, 3000)
    const side = await consumer(t)
    const { high } = await side.watermarks({ topic: s.ratingsTopic, partition: 0 })
    const half = Math.floor(high / 2)
    await side.assign([{ topic: s.ratingsTopic, partition: 0, offset: half }])
    const stale: ConsumedRecord[] = []
    await waitFor('the second half of partition 0', async () => {
      stale.push(...(await side.consume(1000, 200)))
      return stale.length >= high - half
    })
    let injected = 0
    const provider: KafkaClientProvider = {
      name: 'stale-fetch',
      createAdmin: (o) => confluentClientProvider.createAdmin(o),
      createProducer: (o) => confluentClientProvider.createProducer(o),
      async createConsumer(o) {
        const real = await confluentClientProvider.createConsumer(o)
        if (o.properties['group.id'] !== s.appId) return real
        let assignments = 0
        const wrapped: ConsumerClient = {
          subscribe: (topics, listener) =>
            real.subscribe(topics, {
              onPartitionsAssigned: (p) => {
                assignments++
                return listener?.onPartitionsAssigned(p)
              },
              onPartitionsRevoked: (p) => listener?.onPartitionsRevoked(p),
              onPartitionsLost: (p) => listener?.onPartitionsLost?.(p)
            }),
          consume: async (max, ms) => {
            const before = assignments
            const records = await real.consume(max, ms)
            if (assignments === before || injected > 0) return records
            injected = stale.length
            return [...stale, ...records]
          },
          assign: (positions) => real.assign(positions),
          commit: (offsets) => real.commit(offsets),
          committed: (partitions, ms) => real.committed(partitions, ms),
          pause: (partitions) => real.pause(partitions),
          resume: (partitions) => real.resume(partitions),
          seek: (position, ms) => real.seek(position, ms),
          assignment: () => real.assignment(),
          watermarks: (partition, ms) => real.watermarks(partition, ms),
          positions: (partitions) => real.positions?.(partitions) ?? [],
          cachedHighWatermark: (partition) => real.cachedHighWatermark?.(partition),
          groupMetadata: () => real.groupMetadata(),
          close: () => real.close()
        }
        return wrapped
      }
    }
    const streams = new KafkaStreams(
      runningAverageTopology(s.ratingsTopic, s.averagesTopic),
      config(s, 'exactly_once_v2'),
      {
        logger: memoryLogger(),
        clientProvider: provider
      }
    )
    defer(t, () => streams.close())
    await streams.start()
    await assertExactStore(streams, s.ratings)
    assert.ok(
      half > 100 && injected === high - half,
      `the stale records (${injected}) were handed over during the assignment`
    )
    assert.ok(streams.metrics().staleRecordsSkippedTotal >= injected)
  }
)

/**
 * A running average with the record cache on an empty ratings topic, RUNNING: `send(rating)` writes a rating of
 * movie 7, `average()` reads the movie's average store (null while it cannot be queried). That store is downstream of
 * the cached count-and-sum, so it changes only when a commit flushes the cache.
 */
async function cachedAverage(
  t: TestContext,
  settings: Record<string, unknown>
): Promise<{ streams: KafkaStreams; send: (rating: number) => Promise<void>; average: () => number | null }> {
  const s = await setup(t, 0)
  const streams = new KafkaStreams(
    runningAverageTopology(s.ratingsTopic, s.averagesTopic),
    config(s, 'at_least_once', { 'statestore.cache.max.bytes': 1024 * 1024, ...settings }),
    { logger: memoryLogger() }
  )
  defer(t, () => streams.close())
  await streams.start()
  await waitFor('RUNNING', () => streams.state === 'RUNNING', 60_000)
  const p = await producer(t)
  const key = Serdes.Long().serialize(s.ratingsTopic, 7n)
  const json = Serdes.Json<Rating>()
  return {
    streams,
    send: async (rating) => {
      p.produce({ topic: s.ratingsTopic, key, value: json.serialize(s.ratingsTopic, { movieId: 7, rating }) })
      await p.flush()
    },
    average: () => {
      try {
        return streams.store<bigint, number>(AVERAGE_STORE).get(7n)
      } catch {
        return null
      }
    }
  }
}

test(
  'commit.interval.ms below poll.ms: a lone record reaches the downstream store at the commit interval, not after the poll',
  { timeout: 120_000 },
  async (t) => {
    // The second rating is processed within the commit interval of the commit that flushed the first, and nothing
    // comes after it: its commit must not wait for the 6 s poll to end.
    const { streams, send, average } = await cachedAverage(t, { 'commit.interval.ms': 1500, 'poll.ms': 6000 })
    await send(4)
    await waitFor('the first average', () => average() === 4, 30_000)
    const commits = streams.metrics().commitTotal
    await send(8)
    // An end-of-poll commit would come after this deadline (the consume() under way returns after 6 s).
    await waitFor('the second average, flushed by the next commit', () => average() === 6, 4000)
    // A commit flushes the cache first and counts itself once the broker confirmed it.
    await waitFor('that commit to complete', () => streams.metrics().commitTotal > commits, 10_000)
  }
)

test(
  'commit.idle.ms: a lone record is committed (and flushed downstream) once a poll comes back empty',
  { timeout: 120_000 },
  async (t) => {
    // A 60 s commit interval and a 6 s poll: only the idle commit can flush the cache within the deadline.
    const { streams, send, average } = await cachedAverage(t, {
      'commit.interval.ms': 60_000,
      'commit.idle.ms': 5,
      'poll.ms': 6000
    })
    for (const [rating, expected] of [
      [3, 3],
      [5, 4]
    ] as const) {
      const commits = streams.metrics().commitTotal
      await send(rating)
      await waitFor(`the average ${expected}`, () => average() === expected, 4000)
      // A commit flushes the cache first and counts itself once the broker confirmed it.
      await waitFor('that commit to complete', () => streams.metrics().commitTotal > commits, 10_000)
    }
  }
)

test('two instances cannot share a state directory', { timeout: 60_000 }, async (t) => {
  const s = await setup(t, 10)
  const first = new KafkaStreams(runningAverageTopology(s.ratingsTopic, s.averagesTopic), config(s, 'at_least_once'), {
    logger: memoryLogger()
  })
  defer(t, () => first.close())
  await first.start()
  const second = new KafkaStreams(runningAverageTopology(s.ratingsTopic, s.averagesTopic), config(s, 'at_least_once'), {
    logger: memoryLogger()
  })
  defer(t, () => second.close())
  await assert.rejects(second.start(), (e: StreamsError) => e.code === 'ILLEGAL_STATE' && e.setting === 'state.dir')
  assert.equal(await first.close(), true)
})
