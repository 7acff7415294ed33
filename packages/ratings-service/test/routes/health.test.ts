// /health's broker check: a broker outage makes the service not ready (live stays 200) and its end makes it ready
// again; the metadata probe reports a cluster nobody listens for as unreachable. No broker needed.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import Fastify from 'fastify'
import type { FastifyInstance } from 'fastify'
import { RebalanceGrace, StallWatch, healthRoutes, metadataProbe } from '../../src/routes/health.ts'
import type { BrokerProbe, BrokerStatus, HealthOptions } from '../../src/routes/health.ts'
import { fakeServices, testConfig, waitFor } from '../helpers.ts'

class FakeProbe implements BrokerProbe {
  current: BrokerStatus = { state: 'reachable', brokers: 3, since: Date.UTC(2026, 10, 27) }
  closed = false
  status(): BrokerStatus {
    return this.current
  }

  async close(): Promise<void> {
    this.closed = true
  }
}

async function app(t: import('node:test').TestContext, opts: HealthOptions) {
  const services = fakeServices()
  const a: FastifyInstance = Fastify({ logger: false })
  a.decorate('services', services)
  a.decorate('config', testConfig())
  await a.register(healthRoutes, opts)
  t.after(() => a.close())
  return { app: a, ...services }
}

test('a broker outage makes the service not ready, and ready again once the broker answers', async (t) => {
  const probe = new FakeProbe()
  const { app: a } = await app(t, { brokerProbe: probe })
  const up = await a.inject('/health')
  assert.equal(up.statusCode, 200)
  assert.deepEqual(up.json(), {
    status: 'ready',
    checks: { engine: 'RUNNING', producer: 'connected', feed: 'caught-up', broker: 'reachable' },
    broker: { brokers: 3, since: '2026-11-27T00:00:00.000Z' }
  })

  probe.current = { state: 'unreachable', error: 'Local: Broker transport failure', since: Date.UTC(2026, 10, 27, 1) }
  for (const url of ['/health', '/health/ready']) {
    const down = await a.inject(url)
    assert.equal(down.statusCode, 503, url)
    assert.equal(down.json().status, 'not-ready')
    assert.equal(down.json().checks.broker, 'unreachable')
    assert.equal(down.json().checks.engine, 'RUNNING', 'the engine keeps its state through the outage')
    assert.deepEqual(down.json().broker, {
      error: 'Local: Broker transport failure',
      since: '2026-11-27T01:00:00.000Z'
    })
  }
  assert.equal((await a.inject('/health/live')).statusCode, 200, 'an outage is no reason to restart the process')

  probe.current = { state: 'unknown', since: Date.now() }
  assert.equal((await a.inject('/health')).statusCode, 503, 'not known to be reachable is not ready')

  probe.current = { state: 'reachable', brokers: 1, since: Date.now() }
  const back = await a.inject('/health')
  assert.equal(back.statusCode, 200)
  assert.equal(back.json().checks.broker, 'reachable')
  assert.equal(probe.closed, false, 'a probe passed in belongs to the caller')
})

test('no broker or progress check with test doubles for the services, or when switched off', async (t) => {
  for (const opts of [{}, { brokerProbe: null, stallAfterMs: null }]) {
    const { app: a } = await app(t, opts)
    const res = await a.inject('/health')
    assert.equal(res.statusCode, 200)
    assert.deepEqual(res.json(), {
      status: 'ready',
      checks: { engine: 'RUNNING', producer: 'connected', feed: 'caught-up' }
    })
  }
})

test('the metadata probe reports a cluster nobody listens for as unreachable', async () => {
  // A port that was free a moment ago: nothing accepts connections there.
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => resolve()))

  const probe = await metadataProbe({ 'bootstrap.servers': `127.0.0.1:${port}` }, { intervalMs: 100, timeoutMs: 500 })
  try {
    const status = probe.status()
    assert.equal(status.state, 'unreachable')
    assert.equal(typeof status.error, 'string')
    assert.equal(status.brokers, undefined)
  } finally {
    await probe.close()
  }
})

test('an engine behind its input that processes nothing is stalled; busy, idle or restoring is not', () => {
  const watch = new StallWatch(60_000)
  const t0 = 1_000_000
  const m = (processed: number, lag: number, restoring = 0) => ({
    recordsProcessedTotal: processed,
    consumerLagTotal: lag,
    restoringStores: restoring
  })
  watch.observe(m(10, 5), 'RUNNING', t0)
  watch.observe(m(20, 5), 'RUNNING', t0 + 59_000)
  watch.observe(m(20, 5), 'RUNNING', t0 + 110_000)
  assert.equal(watch.stalled, false, 'processed at 59 s: the minute counts from there')
  watch.observe(m(20, 5), 'RUNNING', t0 + 119_000)
  assert.equal(watch.stalled, true, 'behind and no record processed for 60 s')
  watch.observe(m(21, 5), 'RUNNING', t0 + 120_000)
  assert.equal(watch.stalled, false, 'progress again')

  const idle = new StallWatch(60_000)
  idle.observe(m(20, 0), 'RUNNING', t0)
  idle.observe(m(20, 0), 'RUNNING', t0 + 600_000)
  assert.equal(idle.stalled, false, 'nothing to do is not stuck')
  const restoring = new StallWatch(60_000)
  restoring.observe(m(20, 9, 2), 'RUNNING', t0)
  restoring.observe(m(20, 9, 2), 'RUNNING', t0 + 600_000)
  assert.equal(restoring.stalled, false, 'a long restore is not a stall')
  const rebalancing = new StallWatch(60_000)
  rebalancing.observe(m(20, 9), 'REBALANCING', t0)
  rebalancing.observe(m(20, 9), 'REBALANCING', t0 + 600_000)
  assert.equal(rebalancing.stalled, false, 'the engine check already reports a rebalance')
})

test('a stalled engine makes the service not ready until it processes again', async (t) => {
  // 0 ms: behind and not processing counts as stalled at once, so the test needs no minute of waiting.
  const { app: a, engine } = await app(t, { brokerProbe: null, stallAfterMs: 0 })
  let processed = 42
  engine.metrics = () =>
    ({
      state: 'RUNNING',
      recordsProcessedTotal: processed,
      consumerLagTotal: 7,
      restoringStores: 0
    }) as ReturnType<typeof engine.metrics>
  const stalled = await waitFor('the stall to show', async () => {
    const res = await a.inject('/health')
    return res.json().checks.processing === 'stalled' ? res : undefined
  })
  assert.equal(stalled.statusCode, 503)
  assert.equal(stalled.json().checks.engine, 'RUNNING')
  assert.equal((await a.inject('/health/live')).statusCode, 200)

  engine.metrics = () =>
    ({ state: 'RUNNING', recordsProcessedTotal: processed, consumerLagTotal: 0, restoringStores: 0 }) as ReturnType<
      typeof engine.metrics
    >
  processed++
  const ready = await waitFor('readiness to come back', async () => {
    const res = await a.inject('/health')
    return res.statusCode === 200 ? res : undefined
  })
  assert.equal(ready.json().checks.processing, 'progressing')
})

test('a rebalance keeps a running engine serving for the grace period, never one that has not run yet', () => {
  const grace = new RebalanceGrace(120_000)
  const t0 = Date.UTC(2026, 10, 28)
  assert.equal(grace.serving('CREATED', t0), false)
  assert.equal(grace.serving('REBALANCING', t0), false, 'start-up: not RUNNING yet')
  assert.equal(grace.serving('REBALANCING', t0 + 500_000), false)
  assert.equal(grace.serving('RUNNING', t0 + 600_000), true)
  assert.equal(grace.serving('REBALANCING', t0 + 700_000), true, 'a rebalance starts')
  assert.equal(grace.serving('REBALANCING', t0 + 819_999), true)
  assert.equal(grace.serving('REBALANCING', t0 + 820_000), false, 'longer than the grace')
  assert.equal(grace.serving('RUNNING', t0 + 900_000), true)
  assert.equal(grace.serving('REBALANCING', t0 + 1_000_000), true, 'a new rebalance gets a new grace period')
  assert.equal(grace.serving('REBALANCING', t0 + 1_119_999), true)
  assert.equal(grace.serving('ERROR', t0 + 1_120_000), false)
  assert.equal(grace.serving('PENDING_SHUTDOWN', t0 + 1_120_001), false)

  const none = new RebalanceGrace(0)
  none.serving('RUNNING', t0)
  assert.equal(none.serving('REBALANCING', t0 + 1), false, 'grace 0: only RUNNING is ready')
})

test('readiness through a rebalance ends with the grace period (sampled without health requests)', async (t) => {
  const { app: a, engine } = await app(t, { rebalanceGraceMs: 1500 })
  assert.equal((await a.inject('/health')).statusCode, 200)
  engine.state = 'REBALANCING'
  assert.equal((await a.inject('/health')).statusCode, 200)
  await waitFor('the grace to run out', async () => ((await a.inject('/health')).statusCode === 503 ? true : undefined))
  engine.state = 'RUNNING'
  assert.equal((await a.inject('/health')).statusCode, 200)
})
