// GET /metrics: Prometheus text from prom-client: process and HTTP metrics, the engine's metrics (read when
// scraped, not copied on a timer), the producer's outcomes and the WebSocket broadcaster.
import type { FastifyInstance } from 'fastify'
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

declare module 'fastify' {
  interface FastifyInstance {
    metrics: { readonly ratings: Counter<'result'> }
  }
}

const ENGINE_STATES = [
  'CREATED',
  'REBALANCING',
  'RUNNING',
  'PENDING_SHUTDOWN',
  'NOT_RUNNING',
  'PENDING_ERROR',
  'ERROR'
] as const

export async function metricsRoutes(app: FastifyInstance): Promise<void> {
  // One registry per app, so several apps in one process (tests) do not clash on metric names.
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const engine = (): ReturnType<FastifyInstance['services']['engine']['metrics']> => app.services.engine.metrics()

  const http = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry]
  })
  // Callback style, not async: no promise per request. The labelled children are kept per method, route and status,
  // since a labelled observe() sorts and joins its labels on every call.
  const children = new Map<string, ReturnType<typeof http.labels>>()
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched'
    const key = `${request.method} ${reply.statusCode} ${route}`
    let child = children.get(key)
    if (child === undefined) {
      child = http.labels({ method: request.method, route, status: String(reply.statusCode) })
      // Routes are the app's own (unmatched URLs share one label), so the combinations are few; bounded anyway.
      if (children.size < 1000) children.set(key, child)
    }
    child.observe(reply.elapsedTime / 1000)
    done()
  })
  const ratings = new Counter({
    name: 'ratings_submitted_total',
    help: 'POST /rating outcomes',
    labelNames: ['result'],
    registers: [registry]
  })
  app.decorate('metrics', { ratings })

  registry.registerMetric(
    new Gauge({
      name: 'kstreams_state',
      help: 'Streams engine state (1 for the current state)',
      labelNames: ['state'],
      registers: [],
      collect() {
        const current = app.services.engine.state
        for (const s of ENGINE_STATES) this.set({ state: s }, s === current ? 1 : 0)
      }
    })
  )
  const fromEngine = (name: string, help: string, read: (m: ReturnType<typeof engine>) => number): void => {
    registry.registerMetric(
      new Gauge({
        name,
        help,
        registers: [],
        collect() {
          this.set(read(engine()))
        }
      })
    )
  }
  fromEngine(
    'kstreams_records_processed_total',
    'Records processed by the engine since start',
    (m) => m.recordsProcessedTotal
  )
  fromEngine(
    'kstreams_records_processed_rate',
    'Records processed per second since start',
    (m) => m.recordsProcessedPerSecond
  )
  fromEngine('kstreams_commit_total', 'Commits since start', (m) => m.commitTotal)
  fromEngine('kstreams_commit_latency_avg_ms', 'Average commit latency', (m) => m.commitLatencyAvgMs)
  fromEngine('kstreams_commit_latency_max_ms', 'Maximum commit latency', (m) => m.commitLatencyMaxMs)
  fromEngine('kstreams_restored_records_total', 'Records restored from changelogs', (m) => m.restoredRecordsTotal)
  fromEngine('kstreams_restoring_stores', 'Stores being restored now', (m) => m.restoringStores)
  fromEngine(
    'kstreams_dropped_records_total',
    'Records dropped (bad input, handlers returned continue)',
    (m) => m.droppedRecordsTotal
  )
  fromEngine(
    'kstreams_consumer_lag_total',
    'Records behind the end of the source partitions',
    (m) => m.consumerLagTotal
  )
  fromEngine(
    'kstreams_aborted_transactions_total',
    'Exactly-once transactions aborted',
    (m) => m.abortedTransactionsTotal
  )
  fromEngine(
    'kstreams_producer_replacements_total',
    'Exactly-once producers replaced after they were fenced or could not abort',
    (m) => m.producerReplacementsTotal
  )
  fromEngine(
    'kstreams_transaction_retries_total',
    'Exactly-once transactional calls retried after a retriable error',
    (m) => m.transactionRetriesTotal
  )
  fromEngine('kstreams_tasks', 'Tasks assigned to this instance', (m) => m.tasks.length)
  registry.registerMetric(
    new Gauge({
      name: 'websocket_clients',
      help: 'Open /kafka sockets',
      registers: [],
      collect() {
        this.set(app.live.clients)
      }
    })
  )
  registry.registerMetric(
    new Gauge({
      name: 'websocket_closed_slow_total',
      help: 'Sockets closed because they did not keep up',
      registers: [],
      collect() {
        this.set(app.live.closedSlow)
      }
    })
  )
  registry.registerMetric(
    new Gauge({
      name: 'websocket_messages_sent_total',
      help: 'Messages sent to sockets',
      registers: [],
      collect() {
        this.set(app.live.sent)
      }
    })
  )

  app.get('/metrics', async (_request, reply) => {
    return await reply.type(registry.contentType).send(await registry.metrics())
  })
}
// The onResponse hook and the `metrics` decoration must reach every route (what fastify-plugin does).
Object.assign(metricsRoutes, { [Symbol.for('skip-override')]: true })
