// Health: /health/live says the process serves HTTP and its engine has not failed for good; /health/ready (and
// /health) say whether it can do its job: the engine RUNNING (or in a rebalance of a running service, for a while)
// and making progress, the producer connected, the feed caught up and the Kafka cluster answering. The clients keep their connection state through a broker outage (librdkafka reconnects
// by itself and the engine stays RUNNING while it retries), so the cluster is asked directly: a metadata request
// every couple of seconds from a client of its own, whose last answer the routes read without waiting.
import { createRequire } from 'node:module'
import type * as Rdkafka from '@confluentinc/kafka-javascript'
import type { FastifyInstance, FastifyReply } from 'fastify'
import { RatingProducer } from '../kafka.ts'

/** What the last metadata request told about the cluster. */
export interface BrokerStatus {
  /** `unknown` until the first answer (or timeout). */
  readonly state: 'reachable' | 'unreachable' | 'unknown'
  /** Brokers in the metadata (live, unfenced ones), when reachable. */
  readonly brokers?: number
  /** Why the last request failed, when unreachable. */
  readonly error?: string
  /** When the state last changed (ms since the epoch). */
  readonly since: number
}

/** Source of {@link BrokerStatus}; `status()` must answer at once (no I/O). */
export interface BrokerProbe {
  status(): BrokerStatus
  close(): Promise<void>
}

/**
 * Tells a stuck engine from a busy or idle one: stalled once it has been behind its input (consumer lag > 0, no
 * restore under way) without processing a record for `stallAfterMs`. Sampled every second from the engine's metrics.
 */
export class StallWatch {
  readonly #stallAfterMs: number
  #processed = -1
  #since = Date.now()
  #stalled = false

  constructor(stallAfterMs: number) {
    this.#stallAfterMs = stallAfterMs
  }

  /** Feeds one observation; `now` is for tests. */
  observe(
    m: { recordsProcessedTotal: number; consumerLagTotal: number; restoringStores: number },
    state: string,
    now = Date.now()
  ): void {
    const behind = state === 'RUNNING' && m.consumerLagTotal > 0 && m.restoringStores === 0
    const progress = m.recordsProcessedTotal !== this.#processed
    if (!behind || progress) this.#since = now
    this.#processed = m.recordsProcessedTotal
    this.#stalled = behind && !progress && now - this.#since >= this.#stallAfterMs
  }

  get stalled(): boolean {
    return this.#stalled
  }
}

/**
 * Readiness through rebalances. Every instance of the group goes REBALANCING at once when one joins or leaves; if
 * that made them all not ready, a load balancer would drop every instance on each scale-out or rolling restart, while
 * POST /rating, the live feed and most queries keep working. So an engine that has been RUNNING stays ready through a
 * rebalance for `graceMs`; before its first RUNNING (start-up, restoring its stores) it is not ready.
 */
export class RebalanceGrace {
  readonly #graceMs: number
  #everRunning = false
  #rebalancingSince: number | undefined

  constructor(graceMs: number) {
    this.#graceMs = graceMs
  }

  /** Whether the engine in `state` counts as serving; `now` is for tests. */
  serving(state: string, now = Date.now()): boolean {
    if (state === 'RUNNING') {
      this.#everRunning = true
      this.#rebalancingSince = undefined
      return true
    }
    if (state !== 'REBALANCING') {
      this.#rebalancingSince = undefined
      return false
    }
    this.#rebalancingSince ??= now
    return this.#everRunning && now - this.#rebalancingSince < this.#graceMs
  }
}

export interface HealthOptions {
  /**
   * Where the broker check comes from. Default: a {@link metadataProbe} on the service's Kafka settings when the
   * services are the real Kafka clients; no broker check with test doubles. `null`: no broker check.
   */
  readonly brokerProbe?: BrokerProbe | null
  /**
   * Readiness fails once the engine has been behind its input without processing anything for this long (ms).
   * Default: 60 s with the real services, no such check with test doubles; `null`: no check.
   */
  readonly stallAfterMs?: number | null
  /** How long a rebalance of a running engine keeps the service ready (ms; see {@link RebalanceGrace}); 0: never. */
  readonly rebalanceGraceMs?: number
}

const DEFAULT_STALL_AFTER_MS = 60_000
const DEFAULT_REBALANCE_GRACE_MS = 120_000

type Props = Readonly<Record<string, string | number | boolean>>

/**
 * Asks the cluster for its metadata every `intervalMs` (at most one request in flight, each bounded by `timeoutMs`).
 * Resolves after the first answer, so the status is known when the server starts listening.
 */
export async function metadataProbe(
  props: Props,
  { intervalMs = 2000, timeoutMs = 2000 }: { intervalMs?: number; timeoutMs?: number } = {}
): Promise<BrokerProbe> {
  const native = createRequire(import.meta.url)('@confluentinc/kafka-javascript') as typeof Rdkafka
  // A producer handle that never produces: the cheapest public client with getMetadata.
  const client = new native.Producer({
    ...props,
    'client.id': 'ratings-service-health'
  } as Rdkafka.ProducerGlobalConfig)
  // Connection failures are what this probe reports; without a listener Node would throw on them.
  client.on('event.error', () => {})
  let status: BrokerStatus = { state: 'unknown', since: Date.now() }
  const set = (next: Omit<BrokerStatus, 'since'>): void => {
    status = { ...next, since: next.state === status.state ? status.since : Date.now() }
  }
  let connected = false
  let inFlight: Promise<void> | undefined
  const check = (): Promise<void> =>
    (inFlight ??= new Promise<void>((resolve) => {
      const done = (next: Omit<BrokerStatus, 'since'>): void => {
        set(next)
        inFlight = undefined
        resolve()
      }
      if (!connected) {
        client.connect({ timeout: timeoutMs }, (err) => {
          if (err) done({ state: 'unreachable', error: err.message })
          else {
            connected = true
            done({ state: 'reachable' })
          }
        })
        return
      }
      client.getMetadata({ timeout: timeoutMs }, (err, md) => {
        if (err || md === undefined) done({ state: 'unreachable', error: err?.message ?? 'no metadata' })
        else done({ state: 'reachable', brokers: md.brokers.length })
      })
    }))
  await check()
  if (status.state === 'reachable') await check() // the first answer of a fresh connect carries no broker count
  const timer = setInterval(() => {
    check().catch(() => {})
  }, intervalMs)
  timer.unref()
  return {
    status: () => status,
    close: async () => {
      clearInterval(timer)
      await inFlight
      if (connected) await new Promise<void>((resolve) => client.disconnect(() => resolve()))
    }
  }
}

export async function healthRoutes(app: FastifyInstance, opts: HealthOptions = {}): Promise<void> {
  const real = app.services.sink instanceof RatingProducer
  let probe = opts.brokerProbe ?? null
  if (opts.brokerProbe === undefined && real) {
    probe = await metadataProbe(app.config.kafka)
    const owned = probe
    app.addHook('onClose', async () => await owned.close())
  }
  // An engine can keep the state RUNNING while its loop waits forever (seen after a cluster lost its quorum, see
  // docs/reliability.md); its metrics still arrive, so the absence of progress is what gives it away.
  const stallAfterMs = opts.stallAfterMs === undefined ? (real ? DEFAULT_STALL_AFTER_MS : null) : opts.stallAfterMs
  const stall = stallAfterMs === null ? undefined : new StallWatch(stallAfterMs)
  const rebalance = new RebalanceGrace(opts.rebalanceGraceMs ?? DEFAULT_REBALANCE_GRACE_MS)
  // Sampled every second, so a stall and the start of a rebalance are seen without a health request.
  const sample = (): void => {
    const { engine } = app.services
    rebalance.serving(engine.state)
    if (stall === undefined) return
    try {
      stall.observe(engine.metrics(), engine.state)
    } catch {
      // metrics not available yet (engine starting): nothing to judge
    }
  }
  sample()
  const timer = setInterval(sample, 1000)
  timer.unref()
  app.addHook('onClose', async () => clearInterval(timer))

  const readiness = (): { ready: boolean; body: Record<string, unknown> } => {
    const { engine, sink, feed } = app.services
    const broker = probe?.status()
    const checks: Record<string, string> = {
      engine: engine.state,
      producer: sink.connected ? 'connected' : 'disconnected',
      feed: !feed.connected ? 'disconnected' : feed.caughtUp ? 'caught-up' : 'catching-up'
    }
    if (broker !== undefined) checks.broker = broker.state
    if (stall !== undefined) checks.processing = stall.stalled ? 'stalled' : 'progressing'
    const ready =
      rebalance.serving(engine.state) &&
      stall?.stalled !== true &&
      sink.connected &&
      feed.connected &&
      feed.caughtUp &&
      (broker === undefined || broker.state === 'reachable')
    const body: Record<string, unknown> = { status: ready ? 'ready' : 'not-ready', checks }
    if (broker !== undefined) {
      body.broker = {
        ...(broker.brokers === undefined ? {} : { brokers: broker.brokers }),
        ...(broker.error === undefined ? {} : { error: broker.error }),
        since: new Date(broker.since).toISOString()
      }
    }
    return { ready, body }
  }

  // An engine in ERROR never recovers by itself (as in Kafka Streams): liveness fails so the process is restarted.
  // A broker outage is not a reason to restart: it only makes the service not ready.
  app.get('/health/live', async (_request, reply) => {
    const state = app.services.engine.state
    const dead = state === 'ERROR' || state === 'PENDING_ERROR'
    return await reply.code(dead ? 503 : 200).send({ status: dead ? 'dead' : 'live', engine: state })
  })

  const ready = async (_request: unknown, reply: FastifyReply): Promise<unknown> => {
    const r = readiness()
    return await reply.code(r.ready ? 200 : 503).send(r.body)
  }
  app.get('/health/ready', ready)
  app.get('/health', ready)
}
