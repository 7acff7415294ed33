// Misconfiguration must fail fast and legibly: one error line that names the setting, within a bounded time, with no
// hang and no librdkafka noise on stderr.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { StreamsError } from '../../src/errors.ts'
import { confluentClientProvider } from '../../src/internals/client/confluent-client.ts'
import { jsonSchemaSerde } from '../../src/serdes/index.ts'
import { bootstrap, memoryLogger, run, uniqueName } from './helpers.ts'

async function failure(action: () => Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const start = performance.now()
  try {
    await action()
  } catch (error) {
    return { error, ms: performance.now() - start }
  }
  assert.fail('expected the call to fail')
}

function assertOneLine(error: unknown, setting: string | undefined, pattern: RegExp): StreamsError {
  assert.ok(error instanceof StreamsError, `expected a StreamsError, got ${String(error)}`)
  assert.equal(error.message.includes('\n'), false, `one line: ${error.message}`)
  if (setting !== undefined) {
    assert.equal(error.setting, setting)
    assert.ok(error.message.startsWith(`${setting}:`), `names the setting first: ${error.message}`)
  }
  assert.match(error.message, pattern)
  return error
}

test('unreachable bootstrap server: one line naming bootstrap.servers, within the connect timeout', async () => {
  type Options = Parameters<typeof confluentClientProvider.createProducer>[0]
  const creates = {
    producer: (o: Options) => confluentClientProvider.createProducer(o),
    consumer: (o: Options) =>
      confluentClientProvider.createConsumer({ ...o, properties: { ...o.properties, 'group.id': uniqueName('g') } }),
    admin: (o: Options) => confluentClientProvider.createAdmin(o)
  }
  // The three clients wait out their connect timeouts side by side.
  await Promise.all(
    Object.entries(creates).map(async ([kind, create]) => {
      const logger = memoryLogger()
      const { error, ms } = await failure(() =>
        create({ properties: { 'bootstrap.servers': '127.0.0.1:1' }, connectTimeoutMs: 3000, logger })
      )
      const e = assertOneLine(error, 'bootstrap.servers', /no Kafka broker answered at 127\.0\.0\.1:1 within 3000 ms/)
      assert.equal(e.code, 'KAFKA_CLIENT', kind)
      assert.ok(ms < 8000, `${kind} failed after ${Math.round(ms)} ms`)
      assert.equal(logger.lines.filter((l) => l.startsWith('error')).length, 0, logger.lines.join('\n'))
    })
  )
})

test('malformed bootstrap.servers: CONFIG_INVALID naming the setting, before any connection attempt', async () => {
  for (const [value, why] of [
    ['localhost', /missing port/],
    ['localhost:99999', /port must be 1-65535/],
    ['http://localhost:9092', /unknown protocol http/],
    ['', /required/],
    ['127.0.0.1:9092,,127.0.0.1:9093', /empty entry/]
  ] as const) {
    const { error, ms } = await failure(() =>
      confluentClientProvider.createProducer({ properties: { 'bootstrap.servers': value } })
    )
    const e = assertOneLine(error, 'bootstrap.servers', why)
    assert.equal(e.code, 'CONFIG_INVALID')
    assert.ok(ms < 1000, `failed after ${Math.round(ms)} ms`)
  }
})

test('an unknown or invalid client property is CONFIG_INVALID naming that property', async () => {
  const { error } = await failure(() =>
    confluentClientProvider.createProducer({ properties: { 'bootstrap.servers': bootstrap(), 'no.such.setting': 1 } })
  )
  assertOneLine(error, 'no.such.setting', /no\.such\.setting/)
  const { error: bad } = await failure(() =>
    confluentClientProvider.createProducer({ properties: { 'bootstrap.servers': bootstrap(), acks: 'sometimes' } })
  )
  assertOneLine(bad, 'acks', /acks/)
})

test('a consumer without group.id is CONFIG_INVALID naming group.id', async () => {
  const { error } = await failure(() =>
    confluentClientProvider.createConsumer({ properties: { 'bootstrap.servers': bootstrap() } })
  )
  assertOneLine(error, 'group.id', /group\.id: required/)
})

test('secrets never appear in errors or logs', async () => {
  const logger = memoryLogger()
  const { error } = await failure(() =>
    confluentClientProvider.createProducer({
      properties: {
        'bootstrap.servers': '127.0.0.1:1',
        'security.protocol': 'SASL_PLAINTEXT',
        'sasl.mechanisms': 'PLAIN',
        'sasl.username': 'alice',
        'sasl.password': 'hunter2-very-secret'
      },
      connectTimeoutMs: 2000,
      logger,
      logLevel: 'debug'
    })
  )
  assert.ok(error instanceof StreamsError)
  assert.ok(logger.lines.length > 0, 'debug logs were routed to the logger')
  for (const text of [error.message, ...logger.lines]) assert.equal(text.includes('hunter2'), false, text)
})

test('unreachable schema registry: one clear line within the request timeout', async () => {
  const serde = jsonSchemaSerde({
    schema: { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', properties: {} },
    registry: { url: 'http://127.0.0.1:1/apis/ccompat/v7', timeoutMs: 3000 }
  })
  const { error, ms } = await failure(() => serde.prepare!(uniqueName('t'), false))
  const e = assertOneLine(error, undefined, /Schema registry/i)
  assert.equal(e.code, 'SCHEMA_REGISTRY')
  assert.ok(ms < 8000, `failed after ${Math.round(ms)} ms`)
})

test('malformed schema registry URL: one clear line, immediately', async () => {
  const { error, ms } = await failure(async () =>
    jsonSchemaSerde({
      schema: { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object' },
      registry: 'not a url'
    })
  )
  const e = assertOneLine(error, undefined, /Schema registry URL/i)
  assert.equal(e.code, 'SCHEMA_REGISTRY')
  assert.ok(ms < 1000)
})

test('an app that hits an unreachable broker prints its one error line and nothing from librdkafka', async () => {
  // What a user sees: a separate process with the default logger, printing only err.message.
  const script = `
    import { confluentClientProvider } from ${JSON.stringify(fileURLToPath(new URL('../../src/internals/client/confluent-client.ts', import.meta.url)))}
    try {
      await confluentClientProvider.createProducer({ properties: { 'bootstrap.servers': '127.0.0.1:1' }, connectTimeoutMs: 2000 })
    } catch (err) {
      console.log(err.message)
      process.exitCode = 3
    }`
  const result = await run(process.execPath, ['--input-type=module', '-e', script], { timeoutMs: 30_000 })
  assert.equal(result.code, 3, result.stderr)
  assert.equal(result.stdout.trim().split('\n').length, 1, result.stdout)
  assert.match(result.stdout, /^bootstrap\.servers: no Kafka broker answered/)
  assert.equal(result.stderr.trim(), '', 'nothing on stderr')
})
