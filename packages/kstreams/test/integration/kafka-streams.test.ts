// The tutorial's running average on a real broker under KafkaStreams: exact averages in rating-averages and in the
// average-ratings store, under at-least-once and exactly-once; state restored from the changelog after the local
// state directory is deleted.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { Consumed, Grouped, KeyValue, Materialized, Produced, Serdes, Stores, StreamsBuilder } from '../../src/index.ts'
import type { Topology } from '../../src/index.ts'
import { KafkaStreams } from '../../src/runtime/kafka-streams.ts'
import type { ProcessingGuarantee } from '../../src/runtime/internals/runtime-config.ts'
import { admin, bootstrap, consumer, memoryLogger, producer, uniqueName, waitFor } from './helpers.ts'

// This file's waits allow up to a minute (a broker under load can be slow to rebalance).
const WAIT_MS = 60_000

interface Rating {
  movieId: number
  rating: number
}
interface CountAndSum {
  count: number
  sum: number
}

/** The running average; `persistent` puts both tables in LMDB stores instead of the in-memory default. */
function topology(ratings: string, averages: string, persistent = false): Topology {
  const builder = new StreamsBuilder()
  builder
    .stream(ratings, Consumed.with(Serdes.Long(), Serdes.Json<Rating>()))
    .map((_k, r) => KeyValue.pair(BigInt(r.movieId), r.rating))
    .groupByKey(Grouped.with(Serdes.Long(), Serdes.Double()))
    .aggregate<CountAndSum>(
      () => ({ count: 0, sum: 0 }),
      (_k, v, a) => ({ count: a.count + 1, sum: a.sum + v }),
      (persistent
        ? Materialized.as<bigint, CountAndSum>(Stores.persistentKeyValueStore('count-and-sum'))
        : Materialized.with<bigint, CountAndSum>(Serdes.Long(), Serdes.Json<CountAndSum>())
      )
        .withKeySerde(Serdes.Long())
        .withValueSerde(Serdes.Json<CountAndSum>())
    )
    .mapValues(
      (a) => a.sum / a.count,
      (persistent
        ? Materialized.as<bigint, number>(Stores.persistentKeyValueStore('average-ratings'))
        : Materialized.as<bigint, number>('average-ratings')
      )
        .withKeySerde(Serdes.Long())
        .withValueSerde(Serdes.Double())
    )
    .toStream()
    .to(averages, Produced.with(Serdes.Long(), Serdes.Double()))
  return builder.build()
}

async function produceRatings(t: TestContext, topic: string, ratings: Rating[]): Promise<void> {
  const p = await producer(t)
  const json = Serdes.Json<Rating>()
  for (const r of ratings) {
    while (
      !p.produce({ topic, key: Serdes.Long().serialize(topic, BigInt(r.movieId)), value: json.serialize(topic, r) })
    ) {
      await p.flush()
    }
  }
  await p.flush()
}

function expectedAverages(ratings: Rating[]): Map<number, number> {
  const sums = new Map<number, { count: number; sum: number }>()
  for (const r of ratings) {
    const s = sums.get(r.movieId) ?? { count: 0, sum: 0 }
    sums.set(r.movieId, { count: s.count + 1, sum: s.sum + r.rating })
  }
  return new Map([...sums].map(([k, s]) => [k, s.sum / s.count]))
}

async function readAverages(
  t: TestContext,
  topic: string,
  expected: Map<number, number>,
  guarantee: ProcessingGuarantee
): Promise<Map<number, number>> {
  const c = await consumer(t, {
    'auto.offset.reset': 'earliest',
    'isolation.level': guarantee === 'exactly_once_v2' ? 'read_committed' : 'read_uncommitted'
  })
  c.subscribe([topic])
  const latest = new Map<number, number>()
  await waitFor(
    'final averages in the output topic',
    async () => {
      for (const r of await c.consume(1000, 200)) {
        latest.set(
          Number(Serdes.Long().deserialize(topic, r.key)),
          Serdes.Double().deserialize(topic, r.value) as number
        )
      }
      return [...expected].every(([k, v]) => latest.get(k) === v)
    },
    WAIT_MS
  )
  return latest
}

for (const guarantee of ['at_least_once', 'exactly_once_v2'] as const) {
  test(`running average end to end on a 3-partition topic (${guarantee})`, { timeout: 180_000 }, async (t) => {
    const ratingsTopic = uniqueName('ratings')
    const averagesTopic = uniqueName('rating-averages')
    const appId = uniqueName('running-average')
    const a = await admin(t)
    await a.createTopics([
      { topic: ratingsTopic, partitions: 3, replicationFactor: 1 },
      { topic: averagesTopic, partitions: 3, replicationFactor: 1 }
    ])
    const ratings: Rating[] = []
    for (let i = 0; i < 3000; i++) ratings.push({ movieId: 1 + (i % 37), rating: 1 + ((i * 7) % 10) })
    await produceRatings(t, ratingsTopic, ratings)
    const expected = expectedAverages(ratings)

    const stateDir = mkdtempSync(join(tmpdir(), 'kstreams-it-'))
    const config = {
      'application.id': appId,
      'bootstrap.servers': bootstrap(),
      'processing.guarantee': guarantee,
      'statestore.cache.max.bytes': 0,
      'commit.interval.ms': 200,
      'state.dir': stateDir,
      'replication.factor': 1
    }
    const logger = memoryLogger()
    const streams = new KafkaStreams(topology(ratingsTopic, averagesTopic), config, { logger })
    const states: string[] = []
    streams.setStateListener((s) => states.push(s))
    t.after(() => streams.close())
    await streams.start()
    const latest = await readAverages(t, averagesTopic, expected, guarantee)
    for (const [movie, avg] of expected) assert.equal(latest.get(movie), avg, `average of movie ${movie}`)
    await waitFor('RUNNING', () => streams.state === 'RUNNING', WAIT_MS)
    const store = streams.store<bigint, number>('average-ratings')
    for (const [movie, avg] of expected) assert.equal(store.get(BigInt(movie)), avg, `store average of movie ${movie}`)
    assert.ok(
      streams.metrics().recordsProcessedTotal >= ratings.length * 2,
      'each rating is processed twice (source and repartition)'
    )
    assert.equal(await streams.close(), true)
    assert.deepEqual(states.slice(-2), ['PENDING_SHUTDOWN', 'NOT_RUNNING'])

    // Restore: a new instance with an empty state directory rebuilds the store from the changelog.
    rmSync(stateDir, { recursive: true, force: true })
    const again = new KafkaStreams(topology(ratingsTopic, averagesTopic), config, { logger })
    t.after(() => again.close())
    await again.start()
    await waitFor('RUNNING after restore', () => again.state === 'RUNNING', WAIT_MS)
    const restored = again.store<bigint, number>('average-ratings')
    await waitFor('restored store', () => [...expected].every(([k, v]) => restored.get(BigInt(k)) === v), WAIT_MS)
    assert.ok(again.metrics().restoredRecordsTotal > 0, 'records were restored from the changelog')
    assert.equal(await again.close(), true)
    rmSync(stateDir, { recursive: true, force: true })
  })
}

test('start() names a missing source topic', { timeout: 60_000 }, async (t) => {
  const missing = uniqueName('no-such-topic')
  const streams = new KafkaStreams(
    topology(missing, uniqueName('out')),
    { 'application.id': uniqueName('app'), 'bootstrap.servers': bootstrap() },
    { logger: memoryLogger() }
  )
  t.after(() => streams.close())
  await assert.rejects(
    streams.start(),
    (e: Error & { code?: string }) => e.code === 'SOURCE_TOPIC_MISSING' && e.message.includes(missing)
  )
  assert.equal(streams.state, 'ERROR')
})

test('invalid settings are rejected with the setting named', () => {
  const t = topology('a', 'b')
  assert.throws(() => new KafkaStreams(t, { 'bootstrap.servers': 'x:1' }), {
    code: 'CONFIG_INVALID',
    setting: 'application.id'
  })
  assert.throws(
    () =>
      new KafkaStreams(t, {
        'application.id': 'a',
        'bootstrap.servers': 'x:1',
        'processing.guarantee': 'exactly_once'
      }),
    { code: 'CONFIG_INVALID', setting: 'processing.guarantee' }
  )
  assert.throws(
    () => new KafkaStreams(t, { 'application.id': 'a', 'bootstrap.servers': 'x:1', 'commit.interval.ms': 'soon' }),
    { code: 'CONFIG_INVALID', setting: 'commit.interval.ms' }
  )
  assert.throws(
    () => new KafkaStreams(t, { 'application.id': 'a', 'bootstrap.servers': 'x:1', 'commit.idle.ms': -2 }),
    { code: 'CONFIG_INVALID', setting: 'commit.idle.ms' }
  )
  assert.throws(
    () => new KafkaStreams(t, { 'application.id': 'a', 'bootstrap.servers': 'x:1', 'num.standby.replicas': 1 }),
    { code: 'CONFIG_INVALID', setting: 'num.standby.replicas' }
  )
})

for (const guarantee of ['at_least_once', 'exactly_once_v2'] as const) {
  test(
    `persistent stores restore only what was written after their checkpoint (${guarantee})`,
    { timeout: 240_000 },
    async (t) => {
      const ratingsTopic = uniqueName('ratings-ckpt')
      const averagesTopic = uniqueName('averages-ckpt')
      const a = await admin(t)
      await a.createTopics([
        { topic: ratingsTopic, partitions: 3, replicationFactor: 1 },
        { topic: averagesTopic, partitions: 3, replicationFactor: 1 }
      ])
      const rating = (i: number): Rating => ({ movieId: 1 + (i % 11), rating: 1 + ((i * 3) % 10) })
      const first = Array.from({ length: 600 }, (_, i) => rating(i))
      const second = Array.from({ length: 300 }, (_, i) => rating(600 + i))
      const config = (stateDir: string): Record<string, unknown> => ({
        'application.id': appId,
        'bootstrap.servers': bootstrap(),
        'processing.guarantee': guarantee,
        'statestore.cache.max.bytes': 0,
        'commit.interval.ms': 200,
        'state.dir': stateDir,
        'replication.factor': 1
      })
      const appId = uniqueName('ckpt-app')
      const dirA = mkdtempSync(join(tmpdir(), 'kstreams-ckpt-a-'))
      const dirB = mkdtempSync(join(tmpdir(), 'kstreams-ckpt-b-'))
      t.after(() => {
        rmSync(dirA, { recursive: true, force: true })
        rmSync(dirB, { recursive: true, force: true })
      })
      const run = async (stateDir: string, until: Rating[]): Promise<KafkaStreams> => {
        const s = new KafkaStreams(topology(ratingsTopic, averagesTopic, true), config(stateDir), {
          logger: memoryLogger()
        })
        t.after(() => s.close())
        await s.start()
        await waitFor('RUNNING', () => s.state === 'RUNNING', WAIT_MS)
        const expected = expectedAverages(until)
        await waitFor(
          'the averages in the store',
          () => {
            try {
              const store = s.store<bigint, number>('average-ratings')
              return [...expected].every(([k, v]) => store.get(BigInt(k)) === v)
            } catch {
              return false
            }
          },
          WAIT_MS
        )
        return s
      }

      await produceRatings(t, ratingsTopic, first)
      const a1 = await run(dirA, first)
      assert.ok(a1.metrics().restoredRecordsTotal === 0, 'nothing to restore on the first start')
      assert.equal(await a1.close(), true)

      // A clean close wrote checkpoints at the changelogs' ends: a restart restores nothing.
      const a2 = await run(dirA, first)
      assert.equal(a2.metrics().restoredRecordsTotal, 0, 'restart after a clean close restores nothing')
      assert.equal(await a2.close(), true)

      // Another instance (its own state directory) processes more ratings, writing past A's checkpoints.
      await produceRatings(t, ratingsTopic, second)
      const b = await run(dirB, [...first, ...second])
      const fullRestore = b.metrics().restoredRecordsTotal
      assert.ok(fullRestore >= first.length, `B restored everything from the changelogs (${fullRestore})`)
      assert.equal(await b.close(), true)

      // A again: only B's writes are restored (two stores, one write each per rating with the cache off).
      const a3 = await run(dirA, [...first, ...second])
      const partial = a3.metrics().restoredRecordsTotal
      assert.ok(
        partial > 0 && partial <= 2 * second.length,
        `restored ${partial}: only what B wrote after the checkpoint`
      )
      assert.equal(await a3.close(), true)
    }
  )
}
