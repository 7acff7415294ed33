// The hourly average example: ratings in different hours land in different windows; a rating after the hour closed
// (no grace) is dropped and counted.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { KeyValue, Serdes } from '../../src/index.ts'
import type { Windowed } from '../../src/index.ts'
import { TopologyTestDriver } from '../../src/testing/index.ts'
import { countAndSumSerde, ratingSerde } from '../../examples/running-average.ts'
import { HOURLY_AVERAGES_TOPIC, buildHourlyTopology } from '../../examples/windowed-average.ts'

const HOUR = 3_600_000

test('hourly averages per movie, late ratings dropped', (t) => {
  const registry = 'mock://windowed-average'
  const ratings = ratingSerde(registry)
  const driver = new TopologyTestDriver(
    buildHourlyTopology(ratings, countAndSumSerde(registry)),
    { 'application.id': 'hourly', 'statestore.cache.max.bytes': 0 },
    0
  )
  t.after(() => driver.close())
  const input = driver.createInputTopic('ratings', Serdes.Long(), ratings)
  input.pipeInput(362n, { movieId: 362, rating: 8 }, 10)
  input.pipeInput(362n, { movieId: 362, rating: 10 }, HOUR - 1)
  input.pipeInput(362n, { movieId: 362, rating: 4 }, HOUR)
  input.pipeInput(363n, { movieId: 363, rating: 6 }, HOUR + 5)
  input.pipeInput(362n, { movieId: 362, rating: 1 }, 20) // the first hour has closed: dropped
  const out = driver.createOutputTopic(HOURLY_AVERAGES_TOPIC, Serdes.String(), Serdes.Double())
  assert.deepEqual(out.readKeyValuesToList(), [
    KeyValue.pair('362@0', 8),
    KeyValue.pair('362@0', 9),
    KeyValue.pair(`362@${HOUR}`, 4),
    KeyValue.pair(`363@${HOUR}`, 6)
  ])
  assert.equal(driver.metrics()['dropped-records-total'], 1)
  // mapValues over a windowed table materializes a key-value store keyed by the window, as in Kafka Streams.
  const store = driver.getKeyValueStore<Windowed<bigint>, number>('hourly-average-ratings')
  const rows = [...store.all()].map((kv) => [`${kv.key.key}@${kv.key.window.start}`, kv.value])
  assert.deepEqual(
    new Map(rows as Array<[string, number]>),
    new Map([
      ['362@0', 9],
      [`362@${HOUR}`, 4],
      [`363@${HOUR}`, 6]
    ])
  )
})
