// The tutorial's RunningAverageTest, ported: two ratings for Lethal Weapon give an average of 9.0.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { KeyValue, Serdes, StreamsBuilder } from '../../src/index.ts'
import { TopologyTestDriver } from '../../src/testing/index.ts'
import {
  AVERAGE_RATINGS_STORE,
  countAndSumSerde,
  getRatingAverageTable,
  ratingSerde,
  ratingsStream
} from '../../examples/running-average.ts'
import type { Rating } from '../../examples/running-average.ts'

const AVERAGE_RATINGS_TOPIC = 'average-ratings'

function driver(scope: string): { driver: TopologyTestDriver; ratings: ReturnType<typeof ratingSerde> } {
  const registry = `mock://${scope}`
  const builder = new StreamsBuilder()
  const ratings = ratingSerde(registry)
  getRatingAverageTable(ratingsStream(builder, ratings), AVERAGE_RATINGS_TOPIC, countAndSumSerde(registry))
  const d = new TopologyTestDriver(
    builder.build(),
    { 'application.id': 'kafka-movies-test', 'statestore.cache.max.bytes': 0 },
    0
  )
  return { driver: d, ratings }
}

test('validateAverageRating: second output is (362, 9.0) and the store holds 9.0', (t) => {
  const { driver: d, ratings } = driver('running-average-1')
  t.after(() => d.close())
  const input = d.createInputTopic('ratings', Serdes.Long(), ratings)
  const lethalWeapon8: Rating = { movieId: 362, rating: 8.0 }
  const lethalWeapon10: Rating = { movieId: 362, rating: 10.0 }
  input.pipeKeyValueList([KeyValue.pair(362n, lethalWeapon8), KeyValue.pair(362n, lethalWeapon10)])

  const output = d.createOutputTopic(AVERAGE_RATINGS_TOPIC, Serdes.Long(), Serdes.Double())
  const keyValues = output.readKeyValuesToList()
  assert.equal(keyValues.length, 2)
  assert.deepEqual(keyValues[0], KeyValue.pair(362n, 8.0))
  assert.deepEqual(keyValues[1], KeyValue.pair(362n, 9.0))
  assert.equal(d.getKeyValueStore<bigint, number>(AVERAGE_RATINGS_STORE).get(362n), 9.0)
})

test('averages are kept per movie and the topology repartitions after map()', (t) => {
  const { driver: d, ratings } = driver('running-average-2')
  t.after(() => d.close())
  const input = d.createInputTopic('ratings', Serdes.Long(), ratings, 0, 1)
  input.pipeInput(1n, { movieId: 363, rating: 4 })
  input.pipeInput(1n, { movieId: 364, rating: 10 })
  input.pipeInput(1n, { movieId: 363, rating: 6 })
  const store = d.getKeyValueStore<bigint, number>(AVERAGE_RATINGS_STORE)
  assert.equal(store.get(363n), 5)
  assert.equal(store.get(364n), 10)
  assert.equal(store.get(362n), null)
  assert.ok(d.producedTopicNames().has('kafka-movies-test-KSTREAM-AGGREGATE-STATE-STORE-0000000002-repartition'))
})

test('a rating that violates the schema cannot be piped', (t) => {
  const { driver: d, ratings } = driver('running-average-3')
  t.after(() => d.close())
  const input = d.createInputTopic('ratings', Serdes.Long(), ratings)
  assert.throws(() => input.pipeInput(362n, { movieId: 362, rating: 11 }), { code: 'SCHEMA_INVALID' })
})
