// Ratings written to the ratings topic by another producer with a key that is not their movieId (another movie, or
// none) still count for their movieId: the topology sends only those through its repartition topic (README
// "Where this differs from the tutorial").
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import type * as Rdkafka from '@confluentinc/kafka-javascript'
import { Serdes, jsonSchemaSerde } from 'kstreams-ts'
import { build } from '../../src/app.ts'
import { ratingSchema } from '../../src/topology.ts'
import type { Rating } from '../../src/topology.ts'
import { brokerEnv, testConfig, waitFor } from '../helpers.ts'

const { Kafka } = (createRequire(import.meta.url)('@confluentinc/kafka-javascript') as typeof Rdkafka).KafkaJS

test('ratings keyed by another movie or by nothing are counted for their movieId', { timeout: 180_000 }, async (t) => {
  const env = brokerEnv()
  const config = testConfig(env)
  const app = await build({ config, logger: false })
  t.after(() => app.close())
  await app.ready()
  await waitFor(
    'the service to be ready',
    async () => ((await app.inject('/health')).statusCode === 200 ? true : undefined),
    90_000
  )

  const kafka = new Kafka({ kafkaJS: { brokers: [env.KAFKA_BOOTSTRAP as string], logLevel: 0 } })
  const producer = kafka.producer()
  await producer.connect()
  t.after(() => producer.disconnect())
  const ratings = config.topics.ratings
  const serde = jsonSchemaSerde<Rating>({ schema: ratingSchema, registry: env.SCHEMA_REGISTRY_URL as string })
  await serde.prepare?.(ratings, false, 'write')
  const value = (rating: number): Buffer => serde.serialize(ratings, { movieId: 362, rating }) as Buffer
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
