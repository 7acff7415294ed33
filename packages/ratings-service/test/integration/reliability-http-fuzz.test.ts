// Fuzzing POST /rating over real HTTP against the service on the real broker and registry (issue 6): every generated
// bad request gets the 4xx of its class with a JSON error, the ratings topic's end offsets (read from the broker) do
// not move, the server keeps serving, live heap stays flat; then one valid rating moves the offsets by exactly one,
// which shows the offsets would have caught a bad request that got through.
// FUZZ_RUNS (default 1000) and FUZZ_SEED change the run.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Agent, request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createRequire } from 'node:module'
import { randomUUID } from 'node:crypto'
import type * as Rdkafka from '@confluentinc/kafka-javascript'
import fc from 'fast-check'
import { build } from '../../src/app.ts'
import { brokerEnv, testConfig } from '../helpers.ts'
import { Tally, badRequest, checkErrorBody, expectedStatus } from '../reliability/bad-requests.ts'
import type { BadRequest } from '../reliability/bad-requests.ts'
import { liveMemory, mb } from '../reliability/memory.ts'

const native = createRequire(import.meta.url)('@confluentinc/kafka-javascript') as typeof Rdkafka

const RUNS = Number(process.env.FUZZ_RUNS ?? 1000)
const SEED =
  process.env.FUZZ_SEED === undefined ? Date.now() ^ (Math.random() * 0x7fffffff) : Number(process.env.FUZZ_SEED)
// As in test/reliability/http-fuzz.test.ts; here the client side of each request shares the process.
const HEAP_TOLERANCE = 4 * 1024 * 1024
const WARM_UP = 200

interface Answer {
  status: number
  contentType: string | undefined
  body: string
}

/** Sends one request; with `chunked` the body goes without Content-Length, in two chunks. */
function send(port: number, agent: Agent, r: BadRequest): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let answered = false
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/rating',
        agent,
        headers: r.chunked ? { ...r.headers } : { ...r.headers, 'content-length': String(r.body.length) }
      },
      (res) => {
        answered = true
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: res.headers['content-type'],
            body: Buffer.concat(chunks).toString('utf8')
          })
        )
        res.on('error', reject)
      }
    )
    // The server may answer (413, 415) and close before a large body is written: that write error is expected.
    req.on('error', (err) => {
      if (!answered) reject(err)
    })
    if (r.chunked && r.body.length > 1) {
      req.write(r.body.subarray(0, r.body.length >> 1))
      req.end(r.body.subarray(r.body.length >> 1))
    } else req.end(r.body)
  })
}

async function endOffsets(bootstrap: string, topic: string, partitions: number): Promise<number[]> {
  const consumer = new native.KafkaConsumer(
    { 'bootstrap.servers': bootstrap, 'group.id': `fuzz-offsets-${randomUUID()}` } as Rdkafka.ConsumerGlobalConfig,
    {}
  )
  await new Promise<void>((resolve, reject) =>
    consumer.connect({ timeout: 10_000 }, (err) => (err ? reject(err) : resolve()))
  )
  try {
    const out: number[] = []
    for (let p = 0; p < partitions; p++) {
      out.push(
        await new Promise<number>((resolve, reject) =>
          consumer.queryWatermarkOffsets(topic, p, 10_000, (err, o) => (err ? reject(err) : resolve(o.highOffset)))
        )
      )
    }
    return out
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()))
  }
}

test(
  `POST /rating over HTTP: ${RUNS} generated bad requests get 4xx JSON errors and the ratings topic does not move`,
  { timeout: 180_000 },
  async (t) => {
    const env = brokerEnv()
    const config = testConfig({ ...env, LOG_LEVEL: 'info' })
    let logLines = 0
    const app = await build({
      config,
      logStream: {
        write() {
          logLines++
        }
      }
    })
    t.after(() => app.close())
    await app.listen({ host: '127.0.0.1', port: 0 })
    const { port } = app.server.address() as AddressInfo
    const agent = new Agent({ keepAlive: true, maxSockets: 4 })
    t.after(() => agent.destroy())
    const { ratings: topic, partitions } = config.topics

    const tally = new Tally()
    const property = fc.asyncProperty(badRequest, async (r: BadRequest) => {
      const res = await send(port, agent, r)
      tally.add(r.kind, res.status)
      const what = `${r.kind}${r.chunked ? ' chunked' : ''} ${JSON.stringify(r.headers)} ${JSON.stringify(r.body.toString('latin1').slice(0, 100))}`
      assert.equal(res.status, expectedStatus(r.kind), `${what} -> ${res.status} ${res.body}`)
      assert.equal(checkErrorBody(res.status, res.contentType, res.body), undefined, what)
    })

    const before = await endOffsets(env.KAFKA_BOOTSTRAP, topic, partitions)
    await fc.assert(property, { numRuns: WARM_UP, seed: SEED })
    const memBefore = liveMemory()
    await fc.assert(property, { numRuns: RUNS, seed: SEED + 1 })
    const memAfter = liveMemory()
    const after = await endOffsets(env.KAFKA_BOOTSTRAP, topic, partitions)

    t.diagnostic(`seed ${SEED}: ${tally.toString()}`)
    t.diagnostic(`ratings end offsets ${JSON.stringify(before)} -> ${JSON.stringify(after)}`)
    t.diagnostic(
      `live heap ${mb(memBefore.heapUsed)} -> ${mb(memAfter.heapUsed)}, rss ${mb(memBefore.rss)} -> ${mb(memAfter.rss)}, ${logLines} log lines`
    )
    assert.ok(tally.total >= RUNS + WARM_UP)
    assert.deepEqual(after, before, 'a bad request reached the ratings topic')
    assert.ok(
      memAfter.heapUsed - memBefore.heapUsed < HEAP_TOLERANCE,
      `live heap grew by ${mb(memAfter.heapUsed - memBefore.heapUsed)} over ${RUNS} bad requests`
    )

    // Still serving; one valid rating is acknowledged and moves the end offsets by exactly one.
    const ok = await send(port, agent, {
      kind: 'malformed-json',
      headers: { 'content-type': 'application/json' },
      body: Buffer.from('{"movieId":362,"rating":8}'),
      chunked: false
    })
    assert.equal(ok.status, 202, ok.body)
    const final = await endOffsets(env.KAFKA_BOOTSTRAP, topic, partitions)
    t.diagnostic(`after one valid rating: ${JSON.stringify(final)}`)
    assert.equal(
      final.reduce((a, b) => a + b, 0),
      after.reduce((a, b) => a + b, 0) + 1
    )
  }
)
