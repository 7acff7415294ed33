// Scale-out: three instances of the running average in one group (exactly-once). One is closed while ratings are
// produced and started again; the final averages are exact, each instance's stores answer only for the partitions it
// owns, and every instance's metadata routes each key to the instance that owns it (application.server).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { KafkaStreams, Serdes } from '../../src/index.ts'
import type { ProducerClient } from '../../src/internals/client/kafka-client.ts'
import { AVERAGE_STORE, COUNT_SUM_STORE, expectedTotals, runningAverageTopology } from './fixtures/running-average.ts'
import type { CountAndSum, Rating } from './fixtures/running-average.ts'
import { admin, bootstrap, consumer, defer, memoryLogger, producer, uniqueName, waitFor } from './helpers.ts'

const MOVIES = 60

async function produceAll(p: ProducerClient, topic: string, ratings: readonly Rating[]): Promise<void> {
  const json = Serdes.Json<Rating>()
  for (const r of ratings) {
    const record = { topic, key: Serdes.Long().serialize(topic, BigInt(r.movieId)), value: json.serialize(topic, r) }
    while (!p.produce(record)) await p.flush()
  }
  await p.flush()
}

test(
  'scale-out: 3 instances, one stopped and restarted while ratings are produced (exactly_once_v2)',
  { timeout: 300_000 },
  async (t) => {
    const ratingsTopic = uniqueName('so-ratings')
    const averagesTopic = uniqueName('so-averages')
    const appId = uniqueName('scale-out')
    const a = await admin(t)
    await a.createTopics([
      { topic: ratingsTopic, partitions: 3, replicationFactor: 1 },
      { topic: averagesTopic, partitions: 3, replicationFactor: 1 }
    ])
    defer(t, () => a.deleteTopics([ratingsTopic, averagesTopic]))
    const ratings: Rating[] = []
    for (let i = 0; i < 8000; i++) ratings.push({ movieId: 1 + ((i * 11) % MOVIES), rating: 1 + ((i * 3) % 10) })
    const expected = expectedTotals(ratings)
    const quarter = ratings.length / 4

    const hosts = ['127.0.0.1:7101', '127.0.0.1:7102', '127.0.0.1:7103']
    const dirs = hosts.map(() => mkdtempSync(join(tmpdir(), 'kstreams-so-')))
    defer(t, () => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))
    const logger = memoryLogger()
    const open = (i: number): KafkaStreams => {
      const s = new KafkaStreams(
        runningAverageTopology(ratingsTopic, averagesTopic),
        {
          'application.id': appId,
          'bootstrap.servers': bootstrap(),
          'processing.guarantee': 'exactly_once_v2',
          'statestore.cache.max.bytes': 0,
          'state.dir': dirs[i] as string,
          'replication.factor': 1,
          'application.server': hosts[i] as string,
          'session.timeout.ms': 6000,
          'heartbeat.interval.ms': 1000
        },
        { logger }
      )
      defer(t, () => s.close())
      return s
    }
    const instances = [open(0), open(1), open(2)]
    for (const s of instances) await s.start()
    const p = await producer(t)
    const balanced = (list: KafkaStreams[]): boolean =>
      list.every((s) => s.state === 'RUNNING') && list.reduce((n, s) => n + s.metrics().tasks.length, 0) === 6
    await waitFor('three running instances sharing 6 tasks', () => balanced(instances), 90_000)
    assert.ok(
      instances.every((s) => s.metrics().tasks.length === 2),
      'each instance runs 2 of the 6 tasks'
    )

    await produceAll(p, ratingsTopic, ratings.slice(0, quarter))
    // The second instance leaves while ratings keep coming; the other two take over its tasks from the changelogs.
    assert.equal(await instances[1]!.close(), true)
    const survivors = [instances[0]!, instances[2]!]
    await produceAll(p, ratingsTopic, ratings.slice(quarter, 2 * quarter))
    await waitFor('two instances sharing 6 tasks', () => balanced(survivors), 90_000)
    await produceAll(p, ratingsTopic, ratings.slice(2 * quarter, 3 * quarter))
    instances[1] = open(1)
    await instances[1].start()
    await produceAll(p, ratingsTopic, ratings.slice(3 * quarter))
    await waitFor('three instances sharing 6 tasks again', () => balanced(instances), 90_000)
    await waitFor(
      'every instance caught up',
      () => instances.every((s) => s.metrics().consumerLag.length === 2 && s.metrics().consumerLagTotal === 0),
      120_000
    )

    // Final averages in the output topic (read_committed) are exact.
    const c = await consumer(t, { 'auto.offset.reset': 'earliest', 'isolation.level': 'read_committed' })
    c.subscribe([averagesTopic])
    const latest = new Map<number, number>()
    await waitFor(
      'exact averages in the output topic',
      async () => {
        for (const r of await c.consume(5000, 200)) {
          latest.set(
            Number(Serdes.Long().deserialize(averagesTopic, r.key)),
            Serdes.Double().deserialize(averagesTopic, r.value) as number
          )
        }
        return [...expected].every(([k, v]) => latest.get(k) === v.sum / v.count)
      },
      90_000
    )

    // Each key is in exactly one instance's stores, with the exact count, sum and average.
    const owner = new Map<number, number>()
    for (const [movie, want] of expected) {
      const holders = instances.flatMap((s, i) =>
        s.store<bigint, number>(AVERAGE_STORE).get(BigInt(movie)) === null ? [] : [i]
      )
      assert.equal(holders.length, 1, `movie ${movie} is served by exactly one instance (got ${holders.join(',')})`)
      const i = holders[0]!
      owner.set(movie, i)
      assert.equal(instances[i]!.store<bigint, number>(AVERAGE_STORE).get(BigInt(movie)), want.sum / want.count)
      assert.deepEqual(instances[i]!.store<bigint, CountAndSum>(COUNT_SUM_STORE).get(BigInt(movie)), want)
    }
    assert.equal(new Set(owner.values()).size, 3, 'the keys are spread over the three instances')

    // Every instance routes every key to its owner (the advertisements travel through the metadata topic).
    const routed = (): boolean =>
      instances.every((s) =>
        [...expected.keys()].every(
          (movie) =>
            s.queryMetadataForKey(AVERAGE_STORE, BigInt(movie), Serdes.Long()).activeHost === hosts[owner.get(movie)!]
        )
      )
    await waitFor('metadata on every instance routing keys to their owners', routed, 30_000)
    for (const [i, s] of instances.entries()) {
      for (const movie of expected.keys()) {
        const meta = s.queryMetadataForKey(AVERAGE_STORE, BigInt(movie), Serdes.Long())
        assert.equal(meta.local, owner.get(movie) === i, `local flag of movie ${movie} on instance ${i}`)
      }
      const all = s.allMetadata()
      assert.deepEqual(all.map((m) => m.host).sort(), hosts, `instance ${i} knows all three hosts`)
      assert.deepEqual(all.flatMap((m) => m.tasks).sort(), ['0_0', '0_1', '0_2', '1_0', '1_1', '1_2'])
      const forStore = s.allMetadataForStore(AVERAGE_STORE)
      assert.deepEqual(forStore.map((m) => m.host).sort(), hosts)
      for (const m of forStore) assert.ok(m.stateStoreNames.includes(COUNT_SUM_STORE))
    }

    for (const s of instances) assert.equal(await s.close(), true)
  }
)
