// Starts what the routes depend on (topics, producer, averages feed, streams engine) and stops it in onClose, in
// the order that loses nothing: stop the engine, flush the producer, then close the feed. The engine runs in a child
// process by default (see child-engine.ts); ENGINE_MODE=inline keeps it in this process. Tests pass their own
// services (test doubles or pre-started ones) through build({ services }).
import type { FastifyInstance } from 'fastify'
import { createSchemaRegistryClient } from 'kstreams-ts'
import type { ServiceConfig } from '../config.ts'
import { ChildProcessEngine } from '../child-engine.ts'
import { StreamsEngine } from '../engine.ts'
import type { RatingsEngine } from '../engine.ts'
import { RatingProducer, StatsFeed, ensureTopics } from '../kafka.ts'
import type { AveragesFeed, RatingSink } from '../kafka.ts'
import { countAndSumSerde, ratingSerde } from '../topology.ts'

export interface Services {
  readonly sink: RatingSink
  readonly feed: AveragesFeed
  readonly engine: RatingsEngine
}

declare module 'fastify' {
  interface FastifyInstance {
    services: Services
    config: ServiceConfig
  }
}

/** Where the streams engine runs: `process` (default) in a child process of its own, `inline` in this one. */
export type EngineMode = 'process' | 'inline'

/** `ENGINE_MODE` from the environment (default `process`). */
export function engineMode(env: Readonly<Record<string, string | undefined>> = process.env): EngineMode {
  const mode = env.ENGINE_MODE ?? 'process'
  if (mode !== 'process' && mode !== 'inline') {
    throw Object.assign(new Error(`expected process or inline, got ${JSON.stringify(mode)}`), {
      setting: 'ENGINE_MODE'
    })
  }
  return mode
}

/**
 * `ENGINE_NICE` from the environment: the niceness (0 to 19, default 10) of the engine process. Above 0, the engine
 * yields the cores to the server when both want them: POST /rating keeps its pace through a burst and the engine
 * catches up afterwards (its lag shows in `kstreams_consumer_lag_total`); an engine that waits for records is still
 * woken at once, so the POST-to-WebSocket latency of a rating does not change. Nothing changes while cores are free.
 */
export function engineNice(env: Readonly<Record<string, string | undefined>> = process.env): number {
  const raw = env.ENGINE_NICE ?? '10'
  const nice = Number(raw)
  if (!/^[0-9]{1,2}$/.test(raw) || nice > 19) {
    throw Object.assign(new Error(`expected an integer from 0 to 19, got ${JSON.stringify(raw)}`), {
      setting: 'ENGINE_NICE'
    })
  }
  return nice
}

/** Starts the real services against Kafka and the registry named in `config`. */
export async function startServices(
  app: FastifyInstance,
  config: ServiceConfig,
  mode: EngineMode = engineMode(),
  nice: number = engineNice()
): Promise<Services> {
  const log = app.log.child({ component: 'kafka' })
  const { topics } = config
  // The averages and stats topics are tables (latest value per movie): compaction keeps them small.
  await ensureTopics(
    config.kafka,
    [
      { name: topics.ratings, partitions: topics.partitions, replicationFactor: topics.replicationFactor },
      {
        name: topics.averages,
        partitions: topics.partitions,
        replicationFactor: topics.replicationFactor,
        config: { 'cleanup.policy': 'compact' }
      },
      {
        name: topics.stats,
        partitions: topics.partitions,
        replicationFactor: topics.replicationFactor,
        config: { 'cleanup.policy': 'compact' }
      },
      // One partition is plenty for poison records; kept as long as the broker's default retention.
      { name: topics.deadLetter, partitions: 1, replicationFactor: topics.replicationFactor }
    ],
    log
  )
  const registry = createSchemaRegistryClient({
    url: config.registry.url,
    ...(config.registry.basicAuth === undefined ? {} : { basicAuth: config.registry.basicAuth })
  })
  // One serde per schema for the producer and the feed (and the topology when it runs here): one registry lookup
  // per schema.
  const serdes = { rating: ratingSerde(registry), countAndSum: countAndSumSerde(registry) }
  const engineLog = app.log.child({ component: 'kstreams' })
  const started: Array<{ close: (ms: number) => Promise<void> }> = []
  const closeStarted = async (): Promise<void> => {
    for (const s of started.reverse()) await s.close(config.shutdownTimeoutMs).catch(() => {})
  }
  try {
    const sink = await RatingProducer.create(config.kafka, topics.ratings, serdes.rating, config.produceTimeoutMs, log)
    started.push(sink)
    // The engine process starts while this one connects the feed; it needs the ratings schema registered (above).
    const engineStarting: Promise<RatingsEngine> =
      mode === 'process'
        ? ChildProcessEngine.start(config, engineLog, nice)
        : (async () => {
            const inline = new StreamsEngine(config, serdes, {
              log: (level, message, fields) => engineLog[level](fields ?? {}, message)
            })
            try {
              await inline.start()
            } catch (err) {
              await inline.close(config.shutdownTimeoutMs).catch(() => {})
              throw err
            }
            return inline
          })()
    // Awaited below; until then a failure must not count as an unhandled rejection.
    engineStarting.catch(() => {})
    let feed: StatsFeed
    try {
      feed = await StatsFeed.create(config.kafka, topics.stats, serdes.countAndSum, log)
    } catch (err) {
      await engineStarting.then((e) => e.close(config.shutdownTimeoutMs)).catch(() => {})
      throw err
    }
    started.push({ close: async () => await feed.close() })
    const engine = await engineStarting
    return { sink, feed, engine }
  } catch (err) {
    await closeStarted()
    throw err
  }
}

/** Decorates the app with `services` (started here unless given) and closes them when the app closes. */
export async function servicesPlugin(
  app: FastifyInstance,
  opts: { config: ServiceConfig; services?: Services }
): Promise<void> {
  const services = opts.services ?? (await startServices(app, opts.config))
  app.decorate('services', services)
  app.decorate('config', opts.config)
  app.addHook('onClose', async () => {
    const ms = opts.config.shutdownTimeoutMs
    app.log.info('closing the streams engine, flushing the producer')
    await services.engine.close(ms)
    await services.sink.close(ms)
    await services.feed.close()
  })
}
// Decorations must be visible to sibling plugins (what fastify-plugin does).
Object.assign(servicesPlugin, { [Symbol.for('skip-override')]: true })
