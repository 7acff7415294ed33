// /health's broker check: a broker outage makes the service not ready (live stays 200) and its end makes it ready
// again; the metadata probe reports a cluster nobody listens for as unreachable. No broker needed.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import Fastify from 'fastify'
import type { FastifyInstance } from 'fastify'
import { healthRoutes, metadataProbe } from '../../src/routes/health.ts'
import type { BrokerProbe, BrokerStatus, HealthOptions } from '../../src/routes/health.ts'
import { fakeServices, testConfig } from '../helpers.ts'

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

test('no broker check with test doubles for the services, or when switched off', async (t) => {
  for (const opts of [{}, { brokerProbe: null }]) {
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
