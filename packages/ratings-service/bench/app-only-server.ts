// A bench-only server: the real app (routes, validation, hooks, metrics) with test doubles for Kafka (a sink that
// accepts at once, no engine, no feed), to separate what the app costs per request from what writing to Kafka costs.
import { build } from '../src/app.ts'
import { fakeServices, testConfig } from '../test/helpers.ts'
import { serveForBench } from './service-process.ts'

// Nothing connects to these: every Kafka-facing service is a double.
const config = testConfig({ KAFKA_BOOTSTRAP: '127.0.0.1:9', SCHEMA_REGISTRY_URL: 'http://127.0.0.1:9' })
const app = await build({ config, services: fakeServices(), logger: false })
await serveForBench(app)
