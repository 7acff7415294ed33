// WS /kafka under load on the real broker and registry (issue 6): WS_SOCKETS (default 1,000) sockets on one
// service; each rating goes POST -> ratings -> engine -> stats topic -> the feed -> every socket. Each socket must
// get the snapshot first, then one update per rating, in order, with nothing missing; the delay from the POST to
// each socket's message is reported (p50/p99 over all sockets and ratings).
// test/reliability/ws-load.test.ts covers the stalled socket and the memory bound without a broker.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import { performance } from 'node:perf_hooks'
import WebSocket from 'ws'
import { build } from '../../src/app.ts'
import { brokerEnv, testConfig, waitFor } from '../helpers.ts'

const SOCKETS = Number(process.env.WS_SOCKETS ?? 1000)
const RATINGS = Number(process.env.WS_RATINGS ?? 20)
const MOVIE = 363

interface Message {
  movieId: number
  rating: number
  count: number
  type: 'snapshot' | 'update'
}

test(
  `${SOCKETS} sockets each get the snapshot, then every average update of ${RATINGS} ratings`,
  { timeout: 180_000 },
  async (t) => {
    const app = await build({
      config: testConfig({ ...brokerEnv(), APPLICATION_SERVER: '127.0.0.1:1' }),
      logger: false
    })
    const sockets: WebSocket[] = []
    t.after(async () => {
      for (const ws of sockets) ws.terminate()
      await app.close()
    })
    await app.listen({ host: '127.0.0.1', port: 0 })
    const url = `ws://127.0.0.1:${(app.server.address() as AddressInfo).port}/kafka`
    await waitFor(
      'the service to be ready',
      async () => ((await app.inject('/health/ready')).statusCode === 200 ? true : undefined),
      60_000
    )
    const rate = async (rating: number): Promise<void> => {
      const res = await app.inject({
        method: 'POST',
        url: '/rating',
        headers: { 'content-type': 'application/json' },
        payload: { movieId: MOVIE, rating }
      })
      assert.equal(res.statusCode, 202, res.body)
    }
    // One rating before the sockets connect, so each of them has a snapshot to get.
    await rate(5)
    await waitFor('the first average in the feed', () => app.services.feed.get(MOVIE))

    const received: Message[][] = []
    const delays: number[] = []
    let postedAt = 0
    let arrived = 0
    for (let i = 0; i < SOCKETS; i += 100) {
      const batch = Array.from({ length: Math.min(100, SOCKETS - i) }, () => {
        const ws = new WebSocket(url)
        const mine: Message[] = []
        received.push(mine)
        ws.on('message', (data) => {
          const m = JSON.parse(String(data)) as Message
          mine.push(m)
          if (m.type === 'update') {
            delays.push(performance.now() - postedAt)
            arrived++
          }
        })
        sockets.push(ws)
        return new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject))
      })
      await Promise.all(batch)
    }
    await waitFor('every snapshot', () => (received.every((r) => r.length >= 1) ? true : undefined), 20_000)

    const started = performance.now()
    for (let i = 1; i <= RATINGS; i++) {
      postedAt = performance.now()
      await rate((i % 10) + 1)
      await waitFor(`update ${i} on every socket`, () => (arrived >= i * SOCKETS ? true : undefined), 30_000)
    }
    const elapsed = performance.now() - started
    const sorted = Float64Array.from(delays).sort()
    const p = (q: number): string => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(1)
    t.diagnostic(
      `${SOCKETS} sockets x ${RATINGS} ratings in ${elapsed.toFixed(0)} ms; POST -> socket p50 ${p(0.5)} ms, ` +
        `p99 ${p(0.99)} ms, max ${sorted.at(-1)!.toFixed(1)} ms; ${app.live.sent} messages sent`
    )

    const expected = [1, ...Array.from({ length: RATINGS }, (_, i) => i + 2)]
    for (const r of received) {
      assert.equal(r[0]!.type, 'snapshot')
      assert.deepEqual(
        r.filter((m) => m.movieId === MOVIE).map((m) => m.count),
        expected
      )
      assert.ok(r.slice(1).every((m) => m.type === 'update'))
    }
    assert.equal(app.live.closedSlow, 0)
  }
)
