// Every route through inject() (and the WebSocket through injectWS), with test doubles for Kafka, the feed and the
// engine: each class of bad input gets its status and a JSON error, never a 500.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { build } from '../src/app.ts'
import { fakeServices, testConfig, waitFor } from './helpers.ts'

async function app(t: import('node:test').TestContext, env: Record<string, string> = {}) {
  const services = fakeServices()
  const instance = await build({ config: testConfig(env), services, logger: false })
  t.after(() => instance.close())
  return { app: instance, ...services }
}

function post(
  app: FastifyInstance,
  payload: string | object,
  headers: Record<string, string> = { 'content-type': 'application/json' }
) {
  return app.inject({
    method: 'POST',
    url: '/rating',
    headers,
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload)
  })
}

test('GET / serves the page: form, movies, ratings 10..1, alert, live table, local assets only', async (t) => {
  const { app: a } = await app(t)
  const res = await a.inject('/')
  assert.equal(res.statusCode, 200)
  assert.match(res.headers['content-type'] as string, /^text\/html/)
  const html = res.body
  for (const [id, title] of [
    [362, 'Lethal Weapon'],
    [363, 'Guardians of the Galaxy'],
    [364, 'Se7en']
  ]) {
    assert.match(html, new RegExp(`<option value="${id}">${title}</option>`))
    assert.match(html, new RegExp(`<tr data-movie-id="${id}">\\s*<th scope="row">${title}</th>`))
  }
  const ratings = [...html.matchAll(/<option value="(\d+)">\1<\/option>/g)].map((m) => Number(m[1]))
  assert.deepEqual(ratings, [10, 9, 8, 7, 6, 5, 4, 3, 2, 1])
  assert.match(html, /<label for="movieId">/)
  assert.match(html, /<label for="rating">/)
  assert.match(html, /<button type="submit"/)
  assert.match(html, /Thank you for submitting your rating/)
  assert.match(html, /aria-label="Dismiss"/)
  assert.doesNotMatch(html, /https?:\/\//, 'no external (CDN) URLs')
  const again = await a.inject({ url: '/', headers: { 'if-none-match': res.headers.etag as string } })
  assert.equal(again.statusCode, 304)
})

test('assets are served with their types', async (t) => {
  const { app: a } = await app(t)
  const js = await a.inject('/assets/app.js')
  assert.equal(js.statusCode, 200)
  assert.match(js.headers['content-type'] as string, /^text\/javascript/)
  assert.match(js.body, /new WebSocket/)
  const css = await a.inject('/assets/app.css')
  assert.equal(css.statusCode, 200)
  assert.match(css.headers['content-type'] as string, /^text\/css/)
  assert.equal((await a.inject('/assets/nope.js')).statusCode, 404)
})

test('POST /rating: 202 {"message":"Accepted"} after the write, with the rating as sent', async (t) => {
  const { app: a, sink } = await app(t)
  const res = await post(a, { movieId: 362, rating: 8 })
  assert.equal(res.statusCode, 202)
  assert.deepEqual(res.json(), { message: 'Accepted' })
  assert.deepEqual(sink.sent, [{ movieId: 362, rating: 8 }])
  assert.equal((await post(a, '{"movieId":364,"rating":10.0}')).statusCode, 202, '10.0 is the integer 10 in JSON')
  assert.equal(
    (await post(a, { movieId: 363, rating: 1 }, { 'content-type': 'application/json; charset=utf-8' })).statusCode,
    202
  )
})

test('POST /rating: 400 for bad JSON, missing, mistyped, out-of-range and unknown fields', async (t) => {
  const { app: a, sink } = await app(t)
  const cases: Array<[string, string | object]> = [
    ['bad JSON', '{"movieId":362,'],
    ['not JSON at all', 'rating=8'],
    ['empty body', ''],
    ['JSON array', [362, 8]],
    ['JSON null', 'null'],
    ['JSON string', '"362"'],
    ['missing rating', { movieId: 362 }],
    ['missing movieId', { rating: 8 }],
    ['string rating', { movieId: 362, rating: '8' }],
    ['string movieId', { movieId: '362', rating: 8 }],
    ['null rating', { movieId: 362, rating: null }],
    ['boolean rating', { movieId: 362, rating: true }],
    ['rating 0', { movieId: 362, rating: 0 }],
    ['rating 11', { movieId: 362, rating: 11 }],
    ['rating -3', { movieId: 362, rating: -3 }],
    ['decimal rating', { movieId: 362, rating: 8.5 }],
    ['huge rating', '{"movieId":362,"rating":1e400}'],
    ['negative movieId', { movieId: -362, rating: 8 }],
    ['decimal movieId', { movieId: 362.5, rating: 8 }],
    ['unknown movieId', { movieId: 999, rating: 8 }],
    ['unknown field', { movieId: 362, rating: 8, user: 'x' }],
    ['prototype pollution', '{"movieId":362,"rating":8,"__proto__":{"x":1}}']
  ]
  for (const [name, payload] of cases) {
    const res = await post(a, payload)
    assert.equal(res.statusCode, 400, `${name}: ${res.body}`)
    const body = res.json()
    assert.equal(body.statusCode, 400, name)
    assert.equal(typeof body.message, 'string', name)
  }
  assert.deepEqual(sink.sent, [])
})

test('POST /rating: 415 for a content type other than JSON, 413 for an oversized body', async (t) => {
  const { app: a } = await app(t)
  for (const type of [
    'text/plain',
    'application/x-www-form-urlencoded',
    'application/xml',
    'multipart/form-data; boundary=x'
  ]) {
    const res = await post(a, '{"movieId":362,"rating":8}', { 'content-type': type })
    assert.equal(res.statusCode, 415, `${type}: ${res.body}`)
    assert.equal(res.json().statusCode, 415)
  }
  const none = await a.inject({ method: 'POST', url: '/rating', payload: Buffer.from('{"movieId":362,"rating":8}') })
  assert.equal(none.statusCode, 415, `no content type: ${none.body}`)
  const big = await post(a, JSON.stringify({ movieId: 362, rating: 8, pad: 'x'.repeat(5000) }))
  assert.equal(big.statusCode, 413)
  assert.equal(big.json().statusCode, 413)
})

test('POST /rating: 503 with Retry-After when Kafka cannot take the write', async (t) => {
  const { app: a, sink } = await app(t)
  sink.fail = true
  const res = await post(a, { movieId: 362, rating: 8 })
  assert.equal(res.statusCode, 503)
  assert.equal(res.headers['retry-after'], '5')
  assert.equal(res.json().code, 'KAFKA_UNAVAILABLE')
  assert.doesNotMatch(res.body, /broker down/, 'internal detail is logged, not returned')
})

test(
  'POST /rating: 503 from its own timer when the broker does not acknowledge within PRODUCE_TIMEOUT_MS',
  { timeout: 5000 },
  async (t) => {
    const { app: a, sink } = await app(t, { PRODUCE_TIMEOUT_MS: '200' })
    sink.hang = true
    const started = Date.now()
    const res = await post(a, { movieId: 362, rating: 8 })
    assert.equal(res.statusCode, 503)
    assert.equal(res.headers['retry-after'], '5')
    assert.equal(res.json().code, 'KAFKA_UNAVAILABLE')
    assert.ok(Date.now() - started >= 200, 'answered after the timeout, not before')
    // The late acknowledgement of that write changes nothing; the next write is answered 202 as usual.
    sink.hang = false
    sink.release()
    assert.equal((await post(a, { movieId: 362, rating: 7 })).statusCode, 202)
  }
)

test('GET /averages and /averages/:movieId answer from the local store, the owner or the feed', async (t) => {
  const { app: a, engine, feed } = await app(t)
  engine.local.set(362, { movieId: 362, rating: 9, count: 2 })
  feed.push({ movieId: 363, rating: 4, count: 1 })
  engine.remote.set(363, undefined)
  assert.deepEqual((await a.inject('/averages')).json(), [
    { movieId: 362, rating: 9, count: 2, source: 'store' },
    { movieId: 363, rating: 4, count: 1, source: 'feed' }
  ])
  assert.deepEqual((await a.inject('/averages/362')).json(), { movieId: 362, rating: 9, count: 2, source: 'store' })
  assert.deepEqual((await a.inject('/averages/363')).json(), { movieId: 363, rating: 4, count: 1, source: 'feed' })
  assert.deepEqual((await a.inject('/averages/364')).json(), { movieId: 364, rating: null, count: 0, source: 'store' })
  assert.equal((await a.inject('/averages/363?local=true')).statusCode, 421, 'an owner query never bounces on')
})

test('GET /averages and /averages/:movieId forward to the owning instance', async (t) => {
  const owner = await app(t)
  owner.engine.local.set(363, { movieId: 363, rating: 7, count: 3 })
  await owner.app.listen({ host: '127.0.0.1', port: 0 })
  const address = owner.app.server.address() as import('node:net').AddressInfo
  const { app: a, engine, feed } = await app(t)
  engine.remote.set(363, `127.0.0.1:${address.port}`)
  engine.others.push(`127.0.0.1:${address.port}`, '127.0.0.1:1')
  engine.local.set(362, { movieId: 362, rating: 9, count: 2 })
  feed.push({ movieId: 364, rating: 2, count: 1 })
  assert.deepEqual((await a.inject('/averages/363')).json(), { movieId: 363, rating: 7, count: 3, source: 'owner' })
  assert.deepEqual(
    (await a.inject('/averages')).json(),
    [
      { movieId: 362, rating: 9, count: 2, source: 'store' },
      { movieId: 363, rating: 7, count: 3, source: 'owner' },
      { movieId: 364, rating: 2, count: 1, source: 'feed' }
    ],
    'an unreachable instance (127.0.0.1:1) falls back to the feed'
  )
  assert.deepEqual((await a.inject('/averages?local=true')).json(), [
    { movieId: 362, rating: 9, count: 2, source: 'store' }
  ])
})

test('GET /averages/:movieId: 400 for a malformed id, 404 for an unknown movie, 503 while the engine is down', async (t) => {
  const { app: a, engine } = await app(t)
  for (const bad of ['abc', '0', '-1', '3.5', '1e3', '99999999999999999999']) {
    assert.equal((await a.inject(`/averages/${bad}`)).statusCode, 400, bad)
  }
  assert.equal((await a.inject('/averages/362?local=maybe')).statusCode, 400)
  assert.equal((await a.inject('/averages/999')).statusCode, 404)
  engine.state = 'ERROR'
  const res = await a.inject('/averages/362')
  assert.equal(res.statusCode, 503)
  assert.equal(res.json().code, 'NOT_QUERYABLE')
  assert.equal((await a.inject('/averages')).statusCode, 503)
})

test('GET /averages: 503 (not 500) while the engine refuses a query because a store is restoring', async (t) => {
  const { app: a, engine } = await app(t)
  engine.localAverages = () => {
    throw Object.assign(new Error('store average-ratings is restoring'), { code: 'ILLEGAL_STATE' })
  }
  engine.lookup = () => {
    throw Object.assign(new Error('store average-ratings is restoring'), { code: 'ILLEGAL_STATE' })
  }
  for (const url of ['/averages', '/averages/362']) {
    const res = await a.inject(url)
    assert.equal(res.statusCode, 503, url)
    assert.equal(res.json().code, 'NOT_QUERYABLE')
    assert.equal(res.headers['retry-after'], '2')
  }
})

test('health: live unless the engine failed; ready with the engine RUNNING (or rebalancing after that), the producer connected and the feed caught up', async (t) => {
  const { app: a, engine, sink, feed } = await app(t)
  assert.equal((await a.inject('/health/live')).statusCode, 200)
  const ready = await a.inject('/health')
  assert.equal(ready.statusCode, 200)
  assert.deepEqual(ready.json(), {
    status: 'ready',
    checks: { engine: 'RUNNING', producer: 'connected', feed: 'caught-up' }
  })
  engine.state = 'REBALANCING'
  const rebalancing = await a.inject('/health/ready')
  assert.equal(rebalancing.statusCode, 200, 'a rebalance of a running service keeps it ready')
  assert.equal(rebalancing.json().checks.engine, 'REBALANCING')
  engine.state = 'RUNNING'
  feed.caughtUp = false
  assert.equal((await a.inject('/health/ready')).json().checks.feed, 'catching-up')
  feed.caughtUp = true
  sink.connected = false
  const down = await a.inject('/health')
  assert.equal(down.statusCode, 503)
  assert.equal(down.json().checks.producer, 'disconnected')
  assert.equal((await a.inject('/health/live')).statusCode, 200, 'not ready is not dead')
  engine.state = 'ERROR'
  const dead = await a.inject('/health/live')
  assert.equal(dead.statusCode, 503)
  assert.deepEqual(dead.json(), { status: 'dead', engine: 'ERROR' })
})

test('health: not ready while the engine has not been RUNNING yet (start-up, stores restoring)', async (t) => {
  const services = fakeServices()
  services.engine.state = 'REBALANCING'
  const a = await build({ config: testConfig(), services, logger: false })
  t.after(() => a.close())
  const starting = await a.inject('/health/ready')
  assert.equal(starting.statusCode, 503)
  assert.equal(starting.json().checks.engine, 'REBALANCING')
  services.engine.state = 'RUNNING'
  assert.equal((await a.inject('/health/ready')).statusCode, 200)
})

test('GET /metrics: Prometheus text with process, HTTP, rating and engine metrics', async (t) => {
  const { app: a } = await app(t)
  await post(a, { movieId: 362, rating: 8 })
  await post(a, { movieId: 999, rating: 8 })
  const res = await a.inject('/metrics')
  assert.equal(res.statusCode, 200)
  assert.match(res.headers['content-type'] as string, /^text\/plain; version=0\.0\.4/)
  for (const line of [
    'ratings_submitted_total{result="accepted"} 1',
    'ratings_submitted_total{result="rejected"} 1',
    'kstreams_state{state="RUNNING"} 1',
    'kstreams_state{state="ERROR"} 0',
    'kstreams_records_processed_total 42',
    'kstreams_consumer_lag_total 7',
    'kstreams_tasks 2',
    'kstreams_producer_replacements_total 1',
    'kstreams_transaction_retries_total 4',
    'websocket_clients 0'
  ]) {
    assert.ok(res.body.includes(line), line)
  }
  assert.match(res.body, /http_request_duration_seconds_count\{method="POST",route="\/rating",status="202"\} 1/)
  assert.match(res.body, /process_cpu_seconds_total/)
})

test('WS /kafka: a snapshot of every average first, then updates, from one subscription for all sockets', async (t) => {
  const { app: a, feed } = await app(t)
  await a.ready()
  feed.push({ movieId: 362, rating: 8, count: 1 })
  feed.push({ movieId: 364, rating: 5, count: 2 })
  assert.equal(feed.listeners, 1, 'the app subscribes once, before any socket')

  const received: unknown[][] = [[], []]
  const sockets = await Promise.all(
    [0, 1].map(async (i) => {
      // Listening once open is early enough: the snapshot goes out on the server's next turn after the upgrade.
      const ws = await a.injectWS('/kafka')
      ws.on('message', (data) => received[i]!.push(JSON.parse(String(data))))
      t.after(() => ws.terminate())
      return ws
    })
  )
  assert.equal(sockets.length, 2)
  await waitFor('both snapshots', () => (received.every((r) => r.length >= 2) ? true : undefined))
  assert.equal(feed.listeners, 1, 'sockets do not add subscriptions')
  feed.push({ movieId: 362, rating: 9, count: 2 })
  await waitFor('the update on both sockets', () => (received.every((r) => r.length >= 3) ? true : undefined))
  for (const r of received) {
    assert.deepEqual(r, [
      { movieId: 362, rating: 8, count: 1, type: 'snapshot' },
      { movieId: 364, rating: 5, count: 2, type: 'snapshot' },
      { movieId: 362, rating: 9, count: 2, type: 'update' }
    ])
  }
  assert.match((await a.inject('/metrics')).body, /websocket_clients 2/)
  // Closed before the app: otherwise the app's close waits out the sockets' 30 s close handshake.
  for (const ws of sockets) ws.terminate()
})

test('logs are JSON lines and never hold secrets: configuration, request headers', async (t) => {
  const lines: string[] = []
  const { writeFileSync, mkdtempSync } = await import('node:fs')
  const { join } = await import('node:path')
  const { tmpdir } = await import('node:os')
  const file = join(mkdtempSync(join(tmpdir(), 'ratings-log-')), 'client.properties')
  writeFileSync(
    file,
    [
      'bootstrap.servers=127.0.0.1:9092',
      'security.protocol=SASL_SSL',
      'sasl.mechanism=PLAIN',
      "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username='kuser' password='kafka-s3cret';",
      'schema.registry.url=http://127.0.0.1:8081',
      'basic.auth.credentials.source=USER_INFO',
      'basic.auth.user.info=sruser:registry-s3cret'
    ].join('\n')
  )
  const config = testConfig({ LOG_LEVEL: 'debug', KAFKA_CONFIG_FILE: file })
  const a = await build({ config, services: fakeServices(), logStream: { write: (line) => lines.push(line) } })
  t.after(() => a.close())
  await a.inject({
    url: '/health',
    headers: { authorization: 'Bearer header-s3cret', cookie: 'session=cookie-s3cret' }
  })
  const text = lines.join('')
  assert.ok(lines.length >= 3, 'configuration and request lines were logged')
  for (const line of lines) JSON.parse(line)
  assert.match(text, /"msg":"configuration"/)
  assert.match(text, /kuser/, 'the user name is logged, it is not a secret')
  for (const secret of ['kafka-s3cret', 'registry-s3cret', 'sruser', 'header-s3cret', 'cookie-s3cret']) {
    assert.ok(!text.includes(secret), `${secret} leaked into the logs`)
  }
})

test('request logs: failed requests at info, accepted ones only at debug', async (t) => {
  const logged = async (
    level: string
  ): Promise<Array<{ level: number; msg: string; res?: { statusCode: number } }>> => {
    const lines: string[] = []
    const a = await build({
      config: testConfig({ LOG_LEVEL: level }),
      services: fakeServices(),
      logStream: { write: (line) => lines.push(line) }
    })
    t.after(() => a.close())
    assert.equal((await post(a, { movieId: 362, rating: 8 })).statusCode, 202)
    assert.equal((await post(a, { movieId: 362, rating: 11 })).statusCode, 400)
    return lines
      .map((line) => JSON.parse(line))
      .filter((l) => l.msg === 'request completed' || l.msg === 'incoming request')
  }
  const info = await logged('info')
  assert.deepEqual(
    info.map((l) => [l.level, l.msg, l.res?.statusCode]),
    [[30, 'request completed', 400]]
  )
  const debug = await logged('debug')
  assert.deepEqual(
    debug.map((l) => [l.level, l.msg, l.res?.statusCode]),
    [
      [20, 'incoming request', undefined],
      [20, 'request completed', 202],
      [20, 'incoming request', undefined],
      [30, 'request completed', 400]
    ]
  )
})
