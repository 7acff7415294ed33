// Ratings written to the ratings topic by another producer with a key that is not their movieId (another movie, or
// none) still count for their movieId: the topology sends only those through its repartition topic (README
// "Where this differs from the tutorial").
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Serdes } from 'kstreams-ts'
import { brokerEnv, testConfig, waitFor } from '../helpers.ts'
import { ratingsWriter, readyService } from './on-broker.ts'

test('ratings keyed by another movie or by nothing are counted for their movieId', { timeout: 180_000 }, async (t) => {
  const env = brokerEnv()
  const config = testConfig(env)
  const app = await readyService(t, config)
  const ratings = config.topics.ratings
  const { producer, rating } = await ratingsWriter(
    t,
    env.KAFKA_BOOTSTRAP as string,
    env.SCHEMA_REGISTRY_URL as string,
    ratings
  )
  const value = (r: number): Buffer => rating({ movieId: 362, rating: r })
  await producer.send({
    topic: ratings,
    messages: [
      { key: Serdes.Long().serialize(ratings, 363n) as Buffer, value: value(4) },
      { key: null, value: value(6) }
    ]
  })
  const res = await app.inject({ method: 'POST', url: '/rating', payload: { movieId: 362, rating: 8 } })
  assert.equal(res.statusCode, 202, res.body)

  const average = await waitFor(
    'all three ratings in the average of 362',
    async () => {
      const r = await app.inject('/averages/362')
      const body = r.statusCode === 200 ? (r.json() as { rating: number; count: number }) : undefined
      return body !== undefined && body.count >= 3 ? body : undefined
    },
    90_000
  )
  assert.deepEqual({ rating: average.rating, count: average.count }, { rating: 6, count: 3 })
  const other = (await app.inject('/averages/363')).json() as { count: number }
  assert.equal(other.count, 0, 'the record keyed 363 did not count for 363')
})
