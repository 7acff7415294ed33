// The service on the real broker and registry: a rating posted is acknowledged, processed by the engine, queryable
// and pushed to every open socket (snapshot first, then updates); two instances in one group each see every movie.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import WebSocket from 'ws'
import { build } from '../../src/app.ts'
import { brokerEnv, testConfig, waitFor } from '../helpers.ts'

interface Message {
  movieId: number
  rating: number
  count: number
  type: string
}

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

async function ready(app: FastifyInstance): Promise<void> {
  await waitFor(
    'the service to be ready',
    async () => ((await app.inject('/health')).statusCode === 200 ? true : undefined),
    60_000
  )
}

async function socket(t: import('node:test').TestContext, port: number): Promise<Message[]> {
  const received: Message[] = []
  const ws = new WebSocket(`ws://127.0.0.1:${port}/kafka`)
  ws.on('message', (data) => received.push(JSON.parse(String(data)) as Message))
  t.after(() => ws.terminate())
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject))
  return received
}

async function rate(app: FastifyInstance, movieId: number, rating: number): Promise<void> {
  const res = await app.inject({
    method: 'POST',
    url: '/rating',
    headers: { 'content-type': 'application/json' },
    payload: { movieId, rating }
  })
  assert.equal(res.statusCode, 202, res.body)
}

test(
  'POST 8 and 10 for Lethal Weapon: 202s, the average 9 in the store and on every socket',
  { timeout: 120_000 },
  async (t) => {
    const port = await freePort()
    const app = await build({
      config: testConfig({ ...brokerEnv(), PORT: String(port), APPLICATION_SERVER: `127.0.0.1:${port}` }),
      logger: false
    })
    t.after(() => app.close())
    await app.listen({ host: '127.0.0.1', port })
    await ready(app)

    const first = await socket(t, port)
    await rate(app, 362, 8)
    await waitFor('the first average on the socket', () => first.find((m) => m.movieId === 362))
    assert.deepEqual(first, [{ movieId: 362, rating: 8, count: 1, type: 'update' }])

    const second = await socket(t, port)
    await waitFor('the snapshot on a new socket', () => second.find((m) => m.type === 'snapshot'))
    assert.deepEqual(second, [{ movieId: 362, rating: 8, count: 1, type: 'snapshot' }])

    await rate(app, 362, 10)
    for (const received of [first, second]) {
      const update = await waitFor('9 on every socket', () => received.find((m) => m.rating === 9))
      assert.deepEqual(update, { movieId: 362, rating: 9, count: 2, type: 'update' })
    }
    assert.deepEqual((await app.inject('/averages/362')).json(), { movieId: 362, rating: 9, count: 2, source: 'store' })
    assert.deepEqual((await app.inject('/averages')).json(), [{ movieId: 362, rating: 9, count: 2, source: 'store' }])
    const metrics = (await app.inject('/metrics')).body
    assert.match(metrics, /kstreams_state\{state="RUNNING"\} 1/)
    assert.match(metrics, /ratings_submitted_total\{result="accepted"\} 2/)
  }
)

test(
  'two instances of one application: each page sees every movie, each query is answered',
  { timeout: 180_000 },
  async (t) => {
    const env = brokerEnv()
    const base = testConfig(env)
    const shared = {
      ...env,
      APPLICATION_ID: base.applicationId,
      RATINGS_TOPIC: base.topics.ratings,
      RATING_AVERAGES_TOPIC: base.topics.averages,
      RATING_STATS_TOPIC: base.topics.stats
    }
    const apps: FastifyInstance[] = []
    const ports: number[] = []
    for (const i of [0, 1]) {
      const port = await freePort()
      const app = await build({
        config: testConfig({
          ...shared,
          PORT: String(port),
          APPLICATION_SERVER: `127.0.0.1:${port}`,
          STATE_DIR: `/tmp/ratings-test-state-${base.applicationId}-${i}`
        }),
        logger: false
      })
      t.after(() => app.close())
      await app.listen({ host: '127.0.0.1', port })
      apps.push(app)
      ports.push(port)
    }
    await Promise.all(apps.map(ready))
    const sockets = [await socket(t, ports[0]!), await socket(t, ports[1]!)]
    await rate(apps[0]!, 362, 8)
    await rate(apps[1]!, 363, 6)
    await rate(apps[0]!, 364, 3)
    await rate(apps[1]!, 364, 4)
    const expected = new Map([
      [362, 8],
      [363, 6],
      [364, 3.5]
    ])
    for (const received of sockets) {
      await waitFor(
        'every movie on every page',
        () =>
          [...expected].every(([id, avg]) => received.some((m) => m.movieId === id && m.rating === avg))
            ? true
            : undefined,
        30_000
      )
    }
    // Each movie is in the store of exactly one instance; the other forwards the query to it once the instances
    // have found each other (the engine's instance directory).
    for (const [id, avg] of expected) {
      const answers = await waitFor(
        `movie ${id} answered by its owner on both instances`,
        async () => {
          const got = await Promise.all(
            apps.map(async (app) => (await app.inject(`/averages/${id}`)).json() as { rating: number; source: string })
          )
          return got
            .map((g) => g.source)
            .sort()
            .join() === 'owner,store'
            ? got
            : undefined
        },
        30_000
      )
      for (const a of answers) assert.equal(a.rating, avg, `movie ${id}`)
    }
    for (const app of apps) {
      const all = (await app.inject('/averages')).json() as Array<{ movieId: number; rating: number; source: string }>
      assert.deepEqual(
        all.map((a) => [a.movieId, a.rating]),
        [...expected]
      )
      assert.ok(
        all.every((a) => a.source === 'store' || a.source === 'owner'),
        JSON.stringify(all)
      )
      const local = (await app.inject('/averages?local=true')).json() as Array<{ source: string }>
      assert.ok(local.length >= 1 && local.length < 3, 'the movies are split between the instances')
    }
  }
)
