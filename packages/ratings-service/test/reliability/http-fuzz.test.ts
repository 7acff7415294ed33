// Fuzzing POST /rating through inject() (issue 6): generated bad requests of every class (malformed JSON, wrong,
// missing and extra fields, wrong types, out-of-range numbers, huge bodies, wrong content types, charsets and
// codings, bytes that are not UTF-8) each get the 4xx of their class with a JSON error body, the producer sees none
// of them, the app keeps serving, and live heap does not grow with the number of requests.
// FUZZ_RUNS (default 1000) and FUZZ_SEED (random by default; fast-check prints it on a failure) change the run.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { build } from '../../src/app.ts'
import { fakeServices, testConfig } from '../helpers.ts'
import { Tally, badRequest, checkErrorBody, expectedStatus } from './bad-requests.ts'
import type { BadRequest } from './bad-requests.ts'
import { liveMemory, mb } from './memory.ts'

const RUNS = Number(process.env.FUZZ_RUNS ?? 1000)
const SEED =
  process.env.FUZZ_SEED === undefined ? Date.now() ^ (Math.random() * 0x7fffffff) : Number(process.env.FUZZ_SEED)
// Live heap may move by a few hundred KB between two readings (V8's own caches, Fastify's route cache, pino's
// buffers); a per-request leak of even 2 KB over the measured 1,000 requests would be 2 MB and fail this.
// Measured: +0.6 MB over the first 2,000 requests (warm-up), then +0.05 MB per further 2,000, flat in RSS after
// ~6,000 (the allocator keeps the pages of the up-to-256 KB bodies), so RSS is reported, not asserted.
const HEAP_TOLERANCE = 2 * 1024 * 1024
const WARM_UP = 500

test(
  `POST /rating: ${RUNS} generated bad requests each get their 4xx with a JSON error and none reaches the producer`,
  { timeout: 120_000 },
  async (t) => {
    const services = fakeServices()
    let logLines = 0
    const app = await build({
      // Logging on (to a counter): the error paths write log lines, which must not leak either.
      config: testConfig({ LOG_LEVEL: 'info' }),
      services,
      logStream: {
        write() {
          logLines++
        }
      }
    })
    t.after(() => app.close())
    const tally = new Tally()

    const property = fc.asyncProperty(badRequest, async (r: BadRequest) => {
      const res = await app.inject({ method: 'POST', url: '/rating', headers: { ...r.headers }, payload: r.body })
      tally.add(r.kind, res.statusCode)
      const what = `${r.kind} ${JSON.stringify(r.headers)} ${JSON.stringify(r.body.toString('latin1').slice(0, 100))}`
      assert.equal(res.statusCode, expectedStatus(r.kind), `${what} -> ${res.statusCode} ${res.body}`)
      assert.equal(checkErrorBody(res.statusCode, res.headers['content-type'], res.body), undefined, what)
      assert.equal(services.sink.sent.length, 0, `${what} reached the producer`)
    })

    // A warm-up round first (JIT, Fastify's caches, the schema compiler), then the measured round.
    await fc.assert(property, { numRuns: WARM_UP, seed: SEED })
    const before = liveMemory()
    await fc.assert(property, { numRuns: RUNS, seed: SEED + 1 })
    const after = liveMemory()

    t.diagnostic(`seed ${SEED}: ${tally.toString()}`)
    t.diagnostic(
      `live heap ${mb(before.heapUsed)} -> ${mb(after.heapUsed)}, rss ${mb(before.rss)} -> ${mb(after.rss)}, ${logLines} log lines`
    )
    assert.ok(tally.total >= RUNS + WARM_UP)
    for (const kind of ['huge-body', 'wrong-content-type', 'malformed-json', 'extra-field', 'bad-bytes']) {
      assert.ok((tally.kinds.get(kind) ?? 0) > 0, `no ${kind} request was generated`)
    }
    assert.ok(
      after.heapUsed - before.heapUsed < HEAP_TOLERANCE,
      `live heap grew by ${mb(after.heapUsed - before.heapUsed)} over ${RUNS} bad requests`
    )

    // Still serving, and the producer path works: exactly the one valid rating reaches it.
    const ok = await app.inject({
      method: 'POST',
      url: '/rating',
      headers: { 'content-type': 'application/json' },
      payload: { movieId: 362, rating: 8 }
    })
    assert.equal(ok.statusCode, 202, ok.body)
    assert.deepEqual(services.sink.sent, [{ movieId: 362, rating: 8 }])
    assert.equal((await app.inject('/health/live')).statusCode, 200)
  }
)

// README documents errors as {statusCode, error, code, message}; the app's error handler takes `error` from
// reply.raw.statusMessage, which is not set yet when it runs, so Fastify's own 4xx (invalid JSON, 413, 415) and
// validation errors come without it. app.ts is not this suite's to change: reported, kept here as a TODO.
test(
  'every 4xx of POST /rating carries the documented `error` field',
  { todo: 'app.ts error handler: error comes from reply.raw.statusMessage, unset at that point' },
  async (t) => {
    const app = await build({ config: testConfig(), services: fakeServices(), logger: false })
    t.after(() => app.close())
    for (const [headers, payload] of [
      [{ 'content-type': 'application/json' }, '{'],
      [{ 'content-type': 'text/plain' }, '{"movieId":362,"rating":8}'],
      [{ 'content-type': 'application/json' }, '{"movieId":362,"rating":"8"}'],
      [{ 'content-type': 'application/json' }, `{"movieId":362,"rating":8,"pad":"${'x'.repeat(2000)}"}`]
    ] as const) {
      const res = await app.inject({ method: 'POST', url: '/rating', headers, payload })
      assert.equal(typeof res.json().error, 'string', `${res.statusCode} ${res.body}`)
    }
  }
)
