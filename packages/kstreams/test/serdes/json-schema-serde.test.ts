import assert from 'node:assert/strict'
import { afterEach, describe, it } from 'node:test'
import { StreamsError } from '../../src/errors.ts'
import { jsonSchemaSerde } from '../../src/serdes/json-schema-serde.ts'
import { SchemaNotCachedError } from '../../src/serdes/schema-errors.ts'
import { createSchemaRegistryClient, dropMockSchemaRegistryScope } from '../../src/serdes/schema-registry.ts'

interface Rating {
  movieId: number
  rating: number
}

const schema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'Rating',
  type: 'object',
  properties: { movieId: { type: 'integer' }, rating: { type: 'number', minimum: 0, maximum: 10 } },
  required: ['movieId', 'rating'],
  additionalProperties: false
}

const SCOPE = 'json-schema-serde-test'
const URL = `mock://${SCOPE}`

function catchError(fn: () => unknown): StreamsError {
  try {
    fn()
  } catch (error) {
    assert.ok(error instanceof StreamsError, `expected a StreamsError, got ${String(error)}`)
    return error
  }
  assert.fail('expected an error')
}

afterEach(() => dropMockSchemaRegistryScope(SCOPE))

describe('jsonSchemaSerde with mock://', () => {
  it('writes the Confluent wire format without prepare: magic byte, 4-byte id, JSON', () => {
    const serde = jsonSchemaSerde<Rating>({ schema, registry: URL })
    const bytes = serde.serialize('ratings', { movieId: 362, rating: 8 })
    assert.ok(bytes)
    assert.equal(bytes.subarray(0, 5).toString('hex'), '0000000001')
    assert.equal(bytes.subarray(5).toString('utf8'), '{"movieId":362,"rating":8}')
    assert.deepEqual(serde.deserialize('ratings', bytes), { movieId: 362, rating: 8 })
  })

  it('registers under <topic>-value and <topic>-key, sharing the global id for the same schema', async () => {
    const client = createSchemaRegistryClient(URL)
    const values = jsonSchemaSerde<Rating>({ schema, registry: client })
    const keys = jsonSchemaSerde<Rating>({ schema, registry: client, isKey: true })
    values.serialize('ratings', { movieId: 1, rating: 1 })
    keys.serialize('ratings', { movieId: 1, rating: 1 })
    assert.equal((await client.getLatest('ratings-value')).id, 1)
    assert.equal((await client.getLatest('ratings-key')).id, 1)
    const other = jsonSchemaSerde<{ x: string }>({ schema: { type: 'object' }, registry: client })
    const bytes = other.serialize('other', { x: 'y' })
    assert.equal(bytes?.readInt32BE(1), 2)
  })

  it('rejects a value that violates the schema in serialize, listing the problems', () => {
    const serde = jsonSchemaSerde<Rating>({ schema, registry: URL })
    const error = catchError(() => serde.serialize('ratings', { movieId: 'x', rating: 11 } as unknown as Rating))
    assert.equal(error.code, 'SCHEMA_INVALID')
    assert.match(error.message, /\/movieId must be integer/)
    assert.match(error.message, /\/rating must be <= 10/)
    assert.equal(error.topic, 'ratings')
  })

  it('skips validation when validate is false', () => {
    const serde = jsonSchemaSerde<unknown>({ schema, registry: URL, validate: false })
    assert.ok(serde.serialize('ratings', { anything: true }))
  })

  it('reads records written by another serde of the same scope, and rejects bad bytes', () => {
    const writer = jsonSchemaSerde<Rating>({ schema, registry: URL })
    const reader = jsonSchemaSerde<Rating>({ schema: { type: 'object' }, registry: URL })
    const bytes = writer.serialize('ratings', { movieId: 7, rating: 9.5 })
    assert.deepEqual(reader.deserialize('ratings', bytes), { movieId: 7, rating: 9.5 })

    const short = catchError(() => reader.deserialize('ratings', Buffer.from([0, 0, 0])))
    assert.equal(short.code, 'DESERIALIZATION')
    assert.match(short.message, /5-byte/)
    const magic = catchError(() => reader.deserialize('ratings', Buffer.from('{"movieId":1}')))
    assert.equal(magic.code, 'DESERIALIZATION')
    assert.match(magic.message, /magic byte 123/)
    const broken = Buffer.concat([bytes!.subarray(0, 5), Buffer.from('{not json')])
    assert.equal(catchError(() => reader.deserialize('ratings', broken)).code, 'DESERIALIZATION')
  })

  it('treats an unknown schema id as a deserialization error', () => {
    const serde = jsonSchemaSerde<Rating>({ schema, registry: URL })
    const error = catchError(() => serde.deserialize('ratings', Buffer.from('000000002a7b7d', 'hex')))
    assert.equal(error.code, 'DESERIALIZATION')
    assert.match(error.message, /Schema id 42 is not in the registry mock:\/\//)
  })

  it('validates on read against the writer schema when asked', () => {
    const writer = jsonSchemaSerde<unknown>({ schema, registry: URL, validate: false })
    const reader = jsonSchemaSerde<Rating>({ schema, registry: URL, validateOnRead: true })
    const bytes = writer.serialize('ratings', { movieId: 1 })
    const error = catchError(() => reader.deserialize('ratings', bytes))
    assert.equal(error.code, 'DESERIALIZATION')
    assert.match(error.message, /required property 'rating'/)
  })

  it('with autoRegister false, looks the schema up and fails clearly when the subject lacks it', async () => {
    const serde = jsonSchemaSerde<Rating>({ schema, registry: URL, autoRegister: false })
    const error = catchError(() => serde.serialize('ratings', { movieId: 1, rating: 1 }))
    assert.equal(error.code, 'SCHEMA_REGISTRY')
    assert.match(error.message, /subject ratings-value not found/)
    await createSchemaRegistryClient(URL).register('ratings-value', JSON.stringify(schema, null, 2), 'JSON')
    assert.equal(serde.serialize('ratings', { movieId: 1, rating: 1 })?.readInt32BE(1), 1)
  })

  it('with useLatestVersion, writes with the latest id and validates against that schema', async () => {
    const client = createSchemaRegistryClient(URL)
    await client.register('ratings-value', JSON.stringify({ type: 'object' }), 'JSON')
    const strictId = await client.register('ratings-value', JSON.stringify({ type: 'object', required: ['a'] }), 'JSON')
    const serde = jsonSchemaSerde<unknown>({ schema: { type: 'object' }, registry: URL, useLatestVersion: true })
    await serde.prepare?.('ratings', false)
    assert.equal(serde.serialize('ratings', { a: 1 })?.readInt32BE(1), strictId)
    assert.equal(catchError(() => serde.serialize('ratings', { b: 1 })).code, 'SCHEMA_INVALID')
  })

  it('supports the record-name strategies', () => {
    const byRecord = jsonSchemaSerde<Rating>({ schema, registry: URL, subjectNameStrategy: 'record-name' })
    byRecord.serialize('ratings', { movieId: 1, rating: 1 })
    const client = createSchemaRegistryClient(URL)
    assert.equal(client.sync?.getLatest('Rating').id, 1)
    const topicRecord = jsonSchemaSerde<Rating>({ schema, registry: URL, subjectNameStrategy: 'topic-record-name' })
    topicRecord.serialize('ratings', { movieId: 1, rating: 1 })
    assert.equal(client.sync?.getLatest('ratings-Rating').version, 1)
    const untitled = jsonSchemaSerde<unknown>({ schema: {}, registry: URL, subjectNameStrategy: 'record-name' })
    assert.equal(catchError(() => untitled.serialize('t', 1)).code, 'CONFIG_INVALID')
  })

  it('rejects a schema that does not compile at creation', () => {
    const error = catchError(() => jsonSchemaSerde({ schema: { type: 'no-such-type' }, registry: URL }))
    assert.equal(error.code, 'CONFIG_INVALID')
  })

  it('maps null to null', () => {
    const serde = jsonSchemaSerde<Rating>({ schema, registry: URL })
    assert.equal(serde.serialize('ratings', null), null)
    assert.equal(serde.deserialize('ratings', null), null)
  })
})

describe('jsonSchemaSerde with a registry that needs I/O', () => {
  // A client without a synchronous face, backed by the mock scope: stands in for an HTTP registry.
  function asyncOnlyClient() {
    const mock = createSchemaRegistryClient(URL)
    let calls = 0
    return {
      get calls() {
        return calls
      },
      client: {
        url: 'http://registry.invalid',
        register: (s: string, t: string, y: string) => {
          calls++
          return mock.register(s, t, y)
        },
        lookup: (s: string, t: string, y: string) => {
          calls++
          return mock.lookup(s, t, y)
        },
        getSchemaById: (id: number) => {
          calls++
          return mock.getSchemaById(id)
        },
        getLatest: (s: string) => {
          calls++
          return mock.getLatest(s)
        }
      }
    }
  }

  it('serialize before prepare throws SCHEMA_NOT_CACHED whose fetch() makes the retry work', async () => {
    const { client } = asyncOnlyClient()
    const serde = jsonSchemaSerde<Rating>({ schema, registry: client })
    const error = catchError(() => serde.serialize('ratings', { movieId: 1, rating: 2 }))
    assert.ok(error instanceof SchemaNotCachedError)
    assert.equal(error.code, 'SCHEMA_NOT_CACHED')
    assert.match(error.message, /prepare\('ratings', false\)/)
    await error.fetch()
    assert.equal(serde.serialize('ratings', { movieId: 1, rating: 2 })?.readInt32BE(1), 1)
  })

  it('prepare registers once; a read-only prepare registers nothing', async () => {
    const tracked = asyncOnlyClient()
    const serde = jsonSchemaSerde<Rating>({ schema, registry: tracked.client })
    await serde.prepare?.('source', false, 'read')
    assert.equal(tracked.calls, 0)
    await serde.prepare?.('ratings', false)
    await serde.prepare?.('ratings', false)
    assert.equal(tracked.calls, 1)
    assert.ok(serde.serialize('ratings', { movieId: 1, rating: 2 }))
  })

  it('deserialize of an unknown id throws SCHEMA_NOT_CACHED; after fetch() it reads', async () => {
    const writer = jsonSchemaSerde<Rating>({ schema, registry: URL })
    const bytes = writer.serialize('ratings', { movieId: 3, rating: 4 })
    const { client } = asyncOnlyClient()
    const reader = jsonSchemaSerde<Rating>({ schema, registry: client })
    const error = catchError(() => reader.deserialize('ratings', bytes))
    assert.ok(error instanceof SchemaNotCachedError)
    await error.fetch()
    assert.deepEqual(reader.deserialize('ratings', bytes), { movieId: 3, rating: 4 })
  })

  it('an id the registry does not know becomes a DESERIALIZATION error after fetch()', async () => {
    const { client } = asyncOnlyClient()
    const reader = jsonSchemaSerde<Rating>({ schema, registry: client })
    const bytes = Buffer.from('0000000063' + Buffer.from('{}').toString('hex'), 'hex')
    const first = catchError(() => reader.deserialize('ratings', bytes))
    assert.ok(first instanceof SchemaNotCachedError)
    await first.fetch()
    const second = catchError(() => reader.deserialize('ratings', bytes))
    assert.equal(second.code, 'DESERIALIZATION')
    assert.match(second.message, /Schema id 99/)
  })
})
