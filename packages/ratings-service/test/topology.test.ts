// The service's topology through the TopologyTestDriver: the tutorial's 8 and 10 give 9, and the stats topic and
// count-and-sum store carry the number of ratings.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { KeyValue, Serdes, dropMockSchemaRegistryScope } from 'kstreams-ts'
import { TopologyTestDriver } from 'kstreams-ts/testing'
import {
  AVERAGE_RATINGS_STORE,
  COUNT_AND_SUM_STORE,
  REKEYED_RATINGS,
  buildTopology,
  countAndSumSerde,
  ratingSerde
} from '../src/topology.ts'
import type { CountAndSum } from '../src/topology.ts'
import { engineCommitSettings } from '../src/engine.ts'
import { movieAverage } from '../src/kafka.ts'

const topics = { ratings: 'ratings', averages: 'rating-averages', stats: 'rating-stats' }

function setup(t: import('node:test').TestContext, scope: string) {
  const registry = `mock://${scope}`
  t.after(() => dropMockSchemaRegistryScope(registry))
  const serdes = { rating: ratingSerde(registry), countAndSum: countAndSumSerde(registry) }
  const driver = new TopologyTestDriver(
    buildTopology(serdes, topics),
    { 'application.id': 'ratings-test', 'statestore.cache.max.bytes': 0 },
    0
  )
  t.after(() => driver.close())
  return { driver, serdes, input: driver.createInputTopic(topics.ratings, Serdes.Long(), serdes.rating) }
}

test('8 then 10 for Lethal Weapon: rating-averages gets 8 then 9 as Java Long/Double', (t) => {
  const { driver, input } = setup(t, 'svc-topology-1')
  input.pipeKeyValueList([
    KeyValue.pair(362n, { movieId: 362, rating: 8 }),
    KeyValue.pair(362n, { movieId: 362, rating: 10 })
  ])
  const out = driver.createOutputTopic(topics.averages, Serdes.Long(), Serdes.Double()).readKeyValuesToList()
  assert.deepEqual(out, [KeyValue.pair(362n, 8), KeyValue.pair(362n, 9)])
  assert.equal(driver.getKeyValueStore<bigint, number>(AVERAGE_RATINGS_STORE).get(362n), 9)
})

test('the stats topic and the count-and-sum store hold count and sum per movie', (t) => {
  const { driver, input, serdes } = setup(t, 'svc-topology-2')
  input.pipeInput(1n, { movieId: 363, rating: 4 })
  input.pipeInput(2n, { movieId: 364, rating: 10 })
  input.pipeInput(3n, { movieId: 363, rating: 7 })
  const stats = driver.createOutputTopic(topics.stats, Serdes.Long(), serdes.countAndSum).readKeyValuesToList()
  assert.deepEqual(stats.at(-1), KeyValue.pair(363n, { count: 2, sum: 11 }))
  const store = driver.getKeyValueStore<bigint, CountAndSum>(COUNT_AND_SUM_STORE)
  assert.deepEqual(store.get(364n), { count: 1, sum: 10 })
  assert.equal(driver.getKeyValueStore<bigint, number>(AVERAGE_RATINGS_STORE).get(363n), 5.5)
})

test('the interactive-query answer from count-and-sum equals average-ratings after every rating', (t) => {
  // The service answers GET /averages from the count-and-sum store alone (count and average of one moment); this
  // checks its derivation against the store the topology keeps, rating by rating, including averages that are not
  // whole numbers.
  const { driver, input } = setup(t, 'svc-topology-iq')
  const counts = driver.getKeyValueStore<bigint, CountAndSum>(COUNT_AND_SUM_STORE)
  const averages = driver.getKeyValueStore<bigint, number>(AVERAGE_RATINGS_STORE)
  const ratings = [8, 10, 9, 7, 6, 5, 3.5, 1]
  ratings.forEach((rating, i) => {
    input.pipeInput(364n, { movieId: 364, rating })
    const cs = counts.get(364n)
    assert.ok(cs !== null)
    const answer = movieAverage(364, cs)
    assert.equal(answer.count, i + 1)
    assert.equal(answer.rating, averages.get(364n), `after ${i + 1} ratings`)
  })
  assert.equal(movieAverage(364, counts.get(364n) as CountAndSum).rating, 49.5 / 8)
})

test('a rating keyed by its movieId is counted without a repartition topic', (t) => {
  const { driver, input } = setup(t, 'svc-topology-3')
  input.pipeInput(362n, { movieId: 362, rating: 8 })
  input.pipeInput(363n, { movieId: 363, rating: 6 })
  assert.deepEqual(
    [...driver.producedTopicNames()].filter((name) => name.endsWith('-repartition')),
    [],
    'no record went through a repartition topic'
  )
  assert.deepEqual(driver.getKeyValueStore<bigint, CountAndSum>(COUNT_AND_SUM_STORE).get(362n), { count: 1, sum: 8 })
})

test('a rating with a null key or another movie as key is re-keyed and counted for its movieId', (t) => {
  const { driver, input } = setup(t, 'svc-topology-4')
  input.pipeInput(362n, { movieId: 362, rating: 8 })
  input.pipeInput(364n, { movieId: 362, rating: 10 })
  input.pipeInput(null as unknown as bigint, { movieId: 362, rating: 6 })
  assert.ok(
    [...driver.producedTopicNames()].some((name) => name.endsWith(`${REKEYED_RATINGS}-repartition`)),
    'the mismatched records went through the repartition topic'
  )
  assert.deepEqual(driver.getKeyValueStore<bigint, CountAndSum>(COUNT_AND_SUM_STORE).get(362n), { count: 3, sum: 24 })
  assert.equal(driver.getKeyValueStore<bigint, CountAndSum>(COUNT_AND_SUM_STORE).get(364n), null)
  assert.equal(driver.getKeyValueStore<bigint, number>(AVERAGE_RATINGS_STORE).get(362n), 8)
})

test('the topology has one sub-topology: the only repartition topic is the one of mismatched keys', () => {
  const registry = 'mock://svc-topology-5'
  const described = buildTopology({ rating: ratingSerde(registry), countAndSum: countAndSumSerde(registry) }, topics)
    .describe()
    .toString()
  assert.equal(described.match(/Sub-topology/g)?.length, 1)
  assert.deepEqual(
    [...new Set(described.match(/[\w-]+-repartition(?=\])|(?<=topic: )[\w-]+-repartition/g))],
    [`${REKEYED_RATINGS}-repartition`]
  )
  dropMockSchemaRegistryScope(registry)
})

test('the record cache and a commit per poll under at-least-once; exactly-once keeps no cache and 1 s transactions', () => {
  assert.deepEqual(engineCommitSettings('at_least_once'), {
    'statestore.cache.max.bytes': 10 * 1024 * 1024,
    'commit.interval.ms': 0
  })
  assert.equal(engineCommitSettings('at_least_once', 0)['commit.interval.ms'], 0, 'COMMIT_INTERVAL_MS wins')
  assert.equal(engineCommitSettings('exactly_once_v2', 250)['commit.interval.ms'], 250)
  assert.deepEqual(engineCommitSettings('exactly_once_v2'), {
    'statestore.cache.max.bytes': 0,
    'commit.interval.ms': 1000
  })
})
