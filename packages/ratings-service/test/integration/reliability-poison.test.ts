// Poison records written straight to the ratings topic of a running service (issue 6): random bytes, JSON that
// breaks the schema, an unknown schema id, a null value and an empty key, among ratings POSTed as usual. With the
// default POISON_RECORD_POLICY (dead-letter) the engine logs and skips each one, writes it to the dead-letter topic
// with the error in headers, counts it in /metrics, stays ready, and the averages of the valid ratings are exact.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DeadLetterHeaders, Serdes } from 'kstreams-ts'
import { brokerEnv, testConfig, waitFor } from '../helpers.ts'
import { ratingsWriter, readyService } from './on-broker.ts'

test(
  'poison records in ratings go to the dead-letter topic, are counted, and the averages stay exact',
  { timeout: 180_000 },
  async (t) => {
    const env = brokerEnv()
    const config = testConfig({ ...env, RATINGS_DLQ_TOPIC: `ratings-dlq-${Date.now()}` })
    assert.equal(config.poisonRecordPolicy, 'dead-letter', 'the default policy')
    const app = await readyService(t, config)
    const ratings = config.topics.ratings
    const { kafka, producer, rating } = await ratingsWriter(
      t,
      env.KAFKA_BOOTSTRAP as string,
      env.SCHEMA_REGISTRY_URL as string,
      ratings
    )
    const valid = rating({ movieId: 364, rating: 7 })
    const unknownId = Buffer.from(valid)
    unknownId.writeInt32BE(2_000_000_002, 1)
    const long = (n: bigint): Buffer => Serdes.Long().serialize(ratings, n) as Buffer
    const poison: Array<{ name: string; key: Buffer; value: Buffer | null }> = [
      { name: 'random bytes', key: long(362n), value: Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x01]) },
      {
        name: 'schema violation',
        key: long(362n),
        // A known movie with an out-of-range rating: counted, it would corrupt the average for good.
        value: Buffer.concat([valid.subarray(0, 5), Buffer.from('{"movieId":362,"rating":99}')])
      },
      { name: 'unknown schema id', key: long(363n), value: unknownId },
      { name: 'null value', key: long(363n), value: null },
      { name: 'empty key', key: Buffer.alloc(0), value: valid }
    ]

    const post = async (movieId: number, rating: number): Promise<void> => {
      const res = await app.inject({ method: 'POST', url: '/rating', payload: { movieId, rating } })
      assert.equal(res.statusCode, 202, res.body)
    }
    const sent = [8, 10, 9, 7, 6]
    for (let i = 0; i < poison.length; i++) {
      await post(362, sent[i] as number)
      const bad = poison[i] as (typeof poison)[number]
      await producer.send({
        topic: ratings,
        messages: [{ key: bad.key, value: bad.value, headers: { case: bad.name } }]
      })
    }
    await post(362, 5)
    const expected = [...sent, 5].reduce((a, b) => a + b, 0) / (sent.length + 1)

    const average = await waitFor(
      'the average of the valid ratings',
      async () => {
        const res = await app.inject('/averages/362')
        if (res.statusCode !== 200) return undefined
        const body = res.json() as { rating: number; count: number }
        return body.count === sent.length + 1 ? body : undefined
      },
      90_000
    )
    assert.equal(average.rating, expected)

    const consumer = kafka.consumer({
      kafkaJS: { groupId: `dlq-reader-${Date.now()}`, fromBeginning: true }
    })
    await consumer.connect()
    t.after(() => consumer.disconnect())
    await consumer.subscribe({ topic: config.topics.deadLetter })
    const dead: Array<{ headers: Record<string, string>; value: Buffer | null }> = []
    await consumer.run({
      eachMessage: async ({ message }) => {
        const headers: Record<string, string> = {}
        for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v)
        dead.push({ headers, value: message.value })
      }
    })
    await waitFor('five dead letters', () => (dead.length >= poison.length ? true : undefined), 60_000)
    assert.equal(dead.length, poison.length)
    assert.deepEqual(dead.map((d) => d.headers.case).sort(), poison.map((p) => p.name).sort())
    for (const d of dead) {
      assert.equal(d.headers[DeadLetterHeaders.topic], ratings)
      assert.ok((d.headers[DeadLetterHeaders.message] ?? '') !== '', `${d.headers.case}: the error is in the headers`)
      const original = poison.find((p) => p.name === d.headers.case)
      assert.deepEqual(d.value, original?.value ?? null, `${d.headers.case}: the original bytes`)
    }
    assert.match(
      dead.find((d) => d.headers.case === 'schema violation')?.headers[DeadLetterHeaders.message] ?? '',
      /rating/,
      'the schema violation is reported by the deserializer, naming the field'
    )

    const metrics = await waitFor(
      'the dropped records in /metrics',
      async () => {
        const text = (await app.inject('/metrics')).body
        return /^kstreams_dropped_records_total 5$/m.test(text) ? text : undefined
      },
      30_000
    )
    assert.match(metrics, /^kstreams_dropped_records_total 5$/m)
    assert.equal((await app.inject('/health')).statusCode, 200, 'still ready')
  }
)
