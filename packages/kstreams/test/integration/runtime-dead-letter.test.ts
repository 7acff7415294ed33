// Poison records written straight to the input topic on the real broker and registry: random bytes, JSON that
// violates the schema, an unknown schema id, a null value and an empty key. With log-and-continue handlers and
// `errors.dead.letter.queue.topic.name`, each one lands in the dead-letter topic with its bytes and the error in
// headers, is counted as dropped, and the valid records around them are processed exactly once (exactly-once).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  Consumed,
  DeadLetterHeaders,
  Grouped,
  KeyValue,
  Produced,
  Serdes,
  StreamsBuilder,
  jsonSchemaSerde,
  logAndContinueDeserialization,
  logAndContinueProcessing
} from '../../src/index.ts'
import { KafkaStreams } from '../../src/runtime/kafka-streams.ts'
import type { Rating } from './fixtures/running-average.ts'
import type { ConsumedRecord } from '../../src/internals/client/kafka-client.ts'
import {
  admin,
  bootstrap,
  consumer,
  memoryLogger,
  producer,
  registryUrl,
  topic,
  uniqueName,
  waitFor
} from './helpers.ts'

const schema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  properties: { movieId: { type: 'integer' }, rating: { type: 'number', minimum: 1, maximum: 10 } },
  required: ['movieId', 'rating'],
  additionalProperties: false
}

function header(r: ConsumedRecord, key: string): string | undefined {
  const h = r.headers.find((x) => x.key === key)
  return h?.value == null ? undefined : Buffer.from(h.value).toString()
}

test(
  'poison records go to the dead-letter topic, are counted, and valid records are still counted exactly once',
  { timeout: 180_000 },
  async (t) => {
    const a = await admin(t)
    const input = await topic(t, a, 2, 'ratings-poison')
    const output = await topic(t, a, 2, 'ratings-counts')
    const dlq = await topic(t, a, 1, 'ratings-dlq')

    const serde = jsonSchemaSerde<Rating>({ schema, registry: registryUrl() })
    await serde.prepare?.(input, false, 'write')
    const long = Serdes.Long()
    const valid = (movieId: number, rating: number): Buffer => serde.serialize(input, { movieId, rating }) as Buffer
    const header5 = valid(1, 1).subarray(0, 5) // magic byte + the registered schema id
    const schemaViolation = Buffer.concat([header5, Buffer.from('{"movieId":"x","rating":99}')])
    const unknownId = Buffer.from(valid(1, 1))
    unknownId.writeInt32BE(2_000_000_001, 1)
    const randomBytes = Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0x01, 0x02])
    const poison: Array<{ name: string; key: Buffer | null; value: Buffer | null }> = [
      { name: 'random bytes', key: long.serialize(input, 362n), value: randomBytes },
      { name: 'schema violation', key: long.serialize(input, 362n), value: schemaViolation },
      { name: 'unknown schema id', key: long.serialize(input, 363n), value: unknownId },
      { name: 'null value', key: long.serialize(input, 363n), value: null },
      { name: 'empty key', key: Buffer.alloc(0), value: valid(364, 5) }
    ]

    const p = await producer(t, { 'enable.idempotence': true, acks: 'all' })
    const expected = new Map<number, number>()
    let n = 0
    for (let round = 0; round < 20; round++) {
      for (const movieId of [362, 363, 364]) {
        p.produce({ topic: input, key: long.serialize(input, BigInt(movieId)), value: valid(movieId, (n++ % 10) + 1) })
        expected.set(movieId, (expected.get(movieId) ?? 0) + 1)
      }
      if (round % 4 === 0) {
        const bad = poison[round / 4] as (typeof poison)[number]
        p.produce({
          topic: input,
          key: bad.key,
          value: bad.value,
          headers: [{ key: 'case', value: Buffer.from(bad.name) }]
        })
      }
    }
    await p.flush()

    const reader = jsonSchemaSerde<Rating>({ schema, registry: registryUrl() })
    const builder = new StreamsBuilder()
    builder
      .stream(input, Consumed.with(Serdes.Long(), reader))
      .map((_, r) => KeyValue.pair(BigInt(r.movieId), r.rating))
      .groupByKey(Grouped.with(Serdes.Long(), Serdes.Double()))
      .count()
      .toStream()
      .to(output, Produced.with(Serdes.Long(), Serdes.Long()))
    const stateDir = mkdtempSync(join(tmpdir(), 'kstreams-dlq-'))
    const streams = new KafkaStreams(
      builder.build(),
      {
        'application.id': uniqueName('dlq-app'),
        'bootstrap.servers': bootstrap(),
        'state.dir': stateDir,
        'processing.guarantee': 'exactly_once_v2',
        'cache.max.bytes.buffering': 0,
        'deserialization.exception.handler': logAndContinueDeserialization,
        'processing.exception.handler': logAndContinueProcessing,
        'errors.dead.letter.queue.topic.name': dlq
      },
      { logger: memoryLogger() }
    )
    const warn = console.warn
    const warnings: string[] = []
    console.warn = (...args: unknown[]) => warnings.push(args.map(String).join(' '))
    t.after(async () => {
      console.warn = warn
      await streams.close()
      rmSync(stateDir, { recursive: true, force: true })
    })
    await streams.start()

    const counts = new Map<number, bigint>()
    const c = await consumer(t, { 'auto.offset.reset': 'earliest', 'isolation.level': 'read_committed' })
    c.subscribe([output])
    await waitFor(
      'the final counts',
      async () => {
        for (const r of await c.consume(100, 200)) {
          counts.set(Number(long.deserialize(output, r.key)), long.deserialize(output, r.value) as bigint)
        }
        return [...expected].every(([m, count]) => counts.get(m) === BigInt(count))
      },
      120_000
    )
    assert.deepEqual(
      [...counts].sort(),
      [...expected].map(([m, count]) => [m, BigInt(count)]).sort(),
      'every valid rating counted once'
    )
    assert.equal(streams.state, 'RUNNING')

    const dead: ConsumedRecord[] = []
    const dc = await consumer(t, { 'auto.offset.reset': 'earliest', 'isolation.level': 'read_committed' })
    dc.subscribe([dlq])
    await waitFor(
      'five dead letters',
      async () => {
        dead.push(...(await dc.consume(100, 200)))
        return dead.length >= poison.length
      },
      60_000
    )
    assert.equal(dead.length, poison.length)
    const byCase = new Map(dead.map((r) => [header(r, 'case'), r]))
    assert.deepEqual([...byCase.keys()].sort(), poison.map((x) => x.name).sort())
    for (const bad of poison) {
      const r = byCase.get(bad.name) as ConsumedRecord
      assert.deepEqual(r.value === null ? null : Buffer.from(r.value), bad.value, `${bad.name}: value bytes kept`)
      assert.equal(header(r, DeadLetterHeaders.topic), input)
      assert.match(header(r, DeadLetterHeaders.offset) ?? '', /^\d+$/)
      assert.ok((header(r, DeadLetterHeaders.message) ?? '') !== '', `${bad.name}: error message header`)
    }
    assert.match(
      header(byCase.get('unknown schema id') as ConsumedRecord, DeadLetterHeaders.message) ?? '',
      /not in the registry/
    )
    assert.equal(streams.metrics().droppedRecordsTotal, poison.length)
    assert.ok(
      warnings.some((w) => w.includes(`dead-letter topic ${dlq}`)),
      'the skip is logged with where the record went'
    )
  }
)

test('a dead-letter topic that does not exist stops start() with an error naming the setting', async (t) => {
  const input = await topic(t, await admin(t), 1, 'ratings-nodlq')
  const builder = new StreamsBuilder()
  builder.stream(input, Consumed.with(Serdes.Long(), Serdes.String())).to(uniqueName('out'))
  const stateDir = mkdtempSync(join(tmpdir(), 'kstreams-nodlq-'))
  const streams = new KafkaStreams(
    builder.build(),
    {
      'application.id': uniqueName('nodlq-app'),
      'bootstrap.servers': bootstrap(),
      'state.dir': stateDir,
      'errors.dead.letter.queue.topic.name': uniqueName('missing-dlq')
    },
    { logger: memoryLogger() }
  )
  t.after(async () => {
    await streams.close()
    rmSync(stateDir, { recursive: true, force: true })
  })
  await assert.rejects(
    streams.start(),
    (e: Error & { code?: string; setting?: string }) =>
      e.code === 'CONFIG_INVALID' &&
      e.setting === 'errors.dead.letter.queue.topic.name' &&
      /does not exist/.test(e.message)
  )
})
