// JSON Schema serde against the real registry (Apicurio's Confluent-compatible API) and the real broker: Confluent
// wire format on the topic, the id the registry assigned, and invalid values refused before anything is produced.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { StreamsError } from '../../src/errors.ts'
import { jsonSchemaSerde } from '../../src/serdes/index.ts'
import { admin, consumer, producer, registryUrl, topic, waitFor } from './helpers.ts'
import type { ConsumedRecord } from '../../src/internals/client/kafka-client.ts'

interface Rating {
  movieId: number
  rating: number
}

const RATING_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'Rating',
  type: 'object',
  properties: {
    movieId: { type: 'integer' },
    rating: { type: 'number', minimum: 0, maximum: 10 }
  },
  required: ['movieId', 'rating'],
  additionalProperties: false
}

test('JSON Schema serde registers, writes Confluent wire format through the broker and reads it back', async (t) => {
  const a = await admin(t)
  const name = await topic(t, a, 1, 'json-schema')
  const serde = jsonSchemaSerde<Rating>({ schema: RATING_SCHEMA, registry: registryUrl() })
  await serde.prepare!(name, false)

  // The registry knows the subject now, under the id the serde will write.
  const response = await fetch(`${registryUrl()}/subjects/${name}-value/versions/latest`)
  assert.equal(response.status, 200)
  const registered = (await response.json()) as { id: number; schemaType?: string; schema: string }
  assert.equal(registered.schemaType, 'JSON')
  assert.deepEqual(JSON.parse(registered.schema), RATING_SCHEMA)

  const value: Rating = { movieId: 362, rating: 8.5 }
  const bytes = serde.serialize(name, value)!
  assert.equal(bytes[0], 0, 'magic byte')
  assert.equal(bytes.readInt32BE(1), registered.id, '4-byte big-endian schema id')
  assert.deepEqual(JSON.parse(bytes.subarray(5).toString('utf8')), value)

  const p = await producer(t)
  let delivered = 0
  assert.equal(
    p.produce({ topic: name, key: Buffer.from('362'), value: bytes }, (err) => {
      assert.equal(err, null)
      delivered++
    }),
    true
  )
  await p.flush(30_000)
  assert.equal(delivered, 1)

  const c = await consumer(t)
  const records: ConsumedRecord[] = []
  c.subscribe([name])
  await waitFor('the record to come back', async () => {
    records.push(...(await c.consume(10, 500)))
    return records.length >= 1
  })
  assert.equal(records.length, 1)
  assert.deepEqual(records[0]!.value, bytes, 'the broker returns the bytes we wrote')

  // A fresh serde (no local cache) resolves the writer's schema by id from the registry.
  const reader = jsonSchemaSerde<Rating>({ schema: RATING_SCHEMA, registry: registryUrl(), validateOnRead: true })
  let decoded: Rating | null
  try {
    decoded = reader.deserialize(name, records[0]!.value)
  } catch (err) {
    const fetchSchema = (err as { fetch?: () => Promise<void> }).fetch
    assert.equal(typeof fetchSchema, 'function', `expected a SchemaNotCachedError, got ${String(err)}`)
    await fetchSchema!()
    decoded = reader.deserialize(name, records[0]!.value)
  }
  assert.deepEqual(decoded, value)
})

test('a value that violates the schema is rejected with a clear error and nothing is produced', async (t) => {
  const a = await admin(t)
  const name = await topic(t, a, 1, 'json-schema-invalid')
  const serde = jsonSchemaSerde<Rating>({ schema: RATING_SCHEMA, registry: registryUrl() })
  await serde.prepare!(name, false)
  const p = await producer(t)

  const invalid = { movieId: 'not-a-number', rating: 11 } as unknown as Rating
  let error: unknown
  try {
    const bytes = serde.serialize(name, invalid)
    p.produce({ topic: name, key: null, value: bytes })
  } catch (err) {
    error = err
  }
  assert.ok(error instanceof StreamsError, `expected a StreamsError, got ${String(error)}`)
  assert.equal(error.code, 'SCHEMA_INVALID')
  assert.match(error.message, /does not match its JSON Schema/)
  assert.match(error.message, /movieId/)
  assert.equal(error.message.includes('\n'), false, 'one line')

  await p.flush(10_000)
  const c = await consumer(t)
  const { high } = await c.watermarks({ topic: name, partition: 0 })
  assert.equal(high, 0, 'nothing reached the topic')
})
