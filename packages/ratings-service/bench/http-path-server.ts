// A bench-only server: the real app and the real acks=all producer, but no streams engine and no feed (test doubles
// stand in), to separate the cost of the HTTP path from the cost of processing in the same process.
import { createSchemaRegistryClient } from 'kstreams-ts'
import { build } from '../src/app.ts'
import { RatingProducer, ensureTopics } from '../src/kafka.ts'
import { ratingSerde } from '../src/topology.ts'
import { fakeServices, testConfig } from '../test/helpers.ts'
import { required, serveForBench } from './service-process.ts'

const config = testConfig({
  KAFKA_BOOTSTRAP: required('KAFKA_BOOTSTRAP'),
  SCHEMA_REGISTRY_URL: required('SCHEMA_REGISTRY_URL')
})
const quiet = { info() {}, warn() {}, error() {} }
await ensureTopics(
  config.kafka,
  [{ name: config.topics.ratings, partitions: config.topics.partitions, replicationFactor: 1 }],
  quiet
)
const registry = createSchemaRegistryClient(config.registry.url)
const sink = await RatingProducer.create(
  config.kafka,
  config.topics.ratings,
  ratingSerde(registry),
  config.produceTimeoutMs,
  quiet
)
const app = await build({ config, services: { ...fakeServices(), sink }, logger: false })
await serveForBench(app)
