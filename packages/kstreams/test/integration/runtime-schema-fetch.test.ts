// A source record written with a schema this instance has never seen (registered by another producer): the engine
// fetches the schema from the registry and processes the record, instead of treating it as a poison pill. A record
// whose schema id the registry does not know goes to the deserialization handler.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  Consumed,
  Produced,
  Serdes,
  StreamsBuilder,
  jsonSchemaSerde,
  logAndContinueDeserialization
} from '../../src/index.ts'
import { KafkaStreams } from '../../src/runtime/kafka-streams.ts'
import type { Rating } from './fixtures/running-average.ts'
import { admin, bootstrap, consumer, memoryLogger, producer, registryUrl, uniqueName } from './helpers.ts'

const schema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  properties: { movieId: { type: 'integer' }, rating: { type: 'number' } },
  required: ['movieId', 'rating']
}

test(
  'an unseen schema id is fetched and the record processed; an unknown id is skipped by the handler',
  { timeout: 120_000 },
  async (t) => {
    const input = uniqueName('ratings-sr')
    const output = uniqueName('ratings-out')
    const a = await admin(t)
    await a.createTopics([
      { topic: input, partitions: 1, replicationFactor: 1 },
      { topic: output, partitions: 1, replicationFactor: 1 }
    ])

    // Another application registers the schema and writes with it.
    const writer = jsonSchemaSerde<Rating>({ schema, registry: registryUrl() })
    await writer.prepare?.(input, false, 'write')
    const p = await producer(t)
    const good = writer.serialize(input, { movieId: 362, rating: 8 }) as Buffer
    const unknownId = Buffer.from(good)
    unknownId.writeInt32BE(2_000_000_000, 1) // a schema id no registry has
    p.produce({ topic: input, key: Serdes.Long().serialize(input, 1n), value: unknownId })
    p.produce({ topic: input, key: Serdes.Long().serialize(input, 2n), value: good })
    await p.flush()

    // This instance's serde has never seen that id (a fresh serde, reading only).
    const reader = jsonSchemaSerde<Rating>({ schema, registry: registryUrl() })
    const builder = new StreamsBuilder()
    builder
      .stream(input, Consumed.with(Serdes.Long(), reader))
      .mapValues((r) => r.rating)
      .to(output, Produced.with(Serdes.Long(), Serdes.Double()))
    const stateDir = mkdtempSync(join(tmpdir(), 'kstreams-sr-'))
    const streams = new KafkaStreams(
      builder.build(),
      {
        'application.id': uniqueName('schema-fetch'),
        'bootstrap.servers': bootstrap(),
        'state.dir': stateDir,
        'commit.interval.ms': 100,
        'deserialization.exception.handler': logAndContinueDeserialization
      },
      { logger: memoryLogger() }
    )
    t.after(async () => {
      await streams.close()
      rmSync(stateDir, { recursive: true, force: true })
    })
    const warn = console.warn
    console.warn = () => {}
    t.after(() => {
      console.warn = warn
    })
    await streams.start()

    const c = await consumer(t, { 'auto.offset.reset': 'earliest' })
    c.subscribe([output])
    const seen: Array<[bigint | null, number | null]> = []
    const deadline = Date.now() + 60_000
    while (seen.length < 1 && Date.now() < deadline) {
      for (const r of await c.consume(10, 200)) {
        seen.push([Serdes.Long().deserialize(output, r.key), Serdes.Double().deserialize(output, r.value)])
      }
    }
    assert.deepEqual(seen, [[2n, 8]])
    assert.notEqual(streams.state, 'ERROR')
    assert.equal(
      streams.metrics().droppedRecordsTotal,
      1,
      'the record with an unknown schema id was skipped and counted'
    )
  }
)
