// Shared by the integration tests that write to the ratings topic themselves (not through POST /rating), as another
// producer of the topic would: the service started on the test broker, and a producer with the rating serde.
import type { TestContext } from 'node:test'
import { createRequire } from 'node:module'
import type * as Rdkafka from '@confluentinc/kafka-javascript'
import type { FastifyInstance } from 'fastify'
import { jsonSchemaSerde } from 'kstreams-ts'
import { build } from '../../src/app.ts'
import type { ServiceConfig } from '../../src/config.ts'
import { ratingSchema } from '../../src/topology.ts'
import type { Rating } from '../../src/topology.ts'
import { waitFor } from '../helpers.ts'

const { Kafka } = (createRequire(import.meta.url)('@confluentinc/kafka-javascript') as typeof Rdkafka).KafkaJS

/** Builds the service with `config`, closes it after the test, and waits until /health says ready. */
export async function readyService(t: TestContext, config: ServiceConfig): Promise<FastifyInstance> {
  const app = await build({ config, logger: false })
  t.after(() => app.close())
  await app.ready()
  await waitFor(
    'the service to be ready',
    async () => ((await app.inject('/health')).statusCode === 200 ? true : undefined),
    90_000
  )
  return app
}

/**
 * The client on `bootstrap` (KafkaJS-style API of the official client), a connected producer of it (disconnected
 * after the test) and `rating(value)`, the Confluent JSON Schema bytes of a rating for the ratings topic (its schema
 * registered first).
 */
export async function ratingsWriter(
  t: TestContext,
  bootstrap: string,
  registryUrl: string,
  topic: string
): Promise<{ kafka: Rdkafka.KafkaJS.Kafka; producer: Rdkafka.KafkaJS.Producer; rating: (value: Rating) => Buffer }> {
  const kafka = new Kafka({ kafkaJS: { brokers: [bootstrap], logLevel: 0 } })
  const producer = kafka.producer()
  await producer.connect()
  t.after(() => producer.disconnect())
  const serde = jsonSchemaSerde<Rating>({ schema: ratingSchema, registry: registryUrl })
  await serde.prepare?.(topic, false, 'write')
  return { kafka, producer, rating: (value) => serde.serialize(topic, value) as Buffer }
}
