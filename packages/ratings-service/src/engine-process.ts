// Entry point of the streams engine process (forked by child-engine.ts): runs KafkaStreams with the running-average
// topology and answers the server over the IPC channel. It has no HTTP side; its clients, serdes and registry client
// are its own. It stops when the server asks (close), and also when the server goes away (the channel closes), so
// it never outlives it.
import { createSchemaRegistryClient } from 'kstreams-ts'
import type { ServiceConfig } from './config.ts'
import type { EngineQueries, ErrorInfo, FromEngine, LogLevel, QueryName, ToEngine } from './child-engine.ts'
import { StreamsEngine } from './engine.ts'
import { countAndSumSerde, ratingSerde } from './topology.ts'

const METRICS_INTERVAL_MS = 1000

process.title = 'ratings-engine'

function send(message: FromEngine, then?: () => void): void {
  if (!process.connected) {
    then?.()
    return
  }
  process.send!(message, undefined, {}, () => then?.())
}

// pino's numbers for the levels; lines below the configured level are not sent to the server at all.
const LEVELS: Readonly<Record<string, number>> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 }
let minLevel = LEVELS.info!

function log(level: LogLevel, message: string, fields?: Record<string, unknown>): void {
  if (LEVELS[level]! < minLevel) return
  send({ type: 'log', level, message, ...(fields === undefined ? {} : { fields }) })
}

function errorInfo(err: unknown): ErrorInfo {
  const e = err as { message?: unknown; code?: unknown; setting?: unknown }
  return {
    message: typeof e?.message === 'string' ? e.message : String(err),
    ...(typeof e?.code === 'string' ? { code: e.code } : {}),
    ...(typeof e?.setting === 'string' ? { setting: e.setting } : {})
  }
}

let engine: StreamsEngine | undefined
let metricsTimer: NodeJS.Timeout | undefined
let closing: Promise<void> | undefined

async function start(config: ServiceConfig, logLevel: string): Promise<void> {
  minLevel = LEVELS[logLevel] ?? Number.POSITIVE_INFINITY // 'silent'
  const registry = createSchemaRegistryClient({
    url: config.registry.url,
    ...(config.registry.basicAuth === undefined ? {} : { basicAuth: config.registry.basicAuth })
  })
  const serdes = { rating: ratingSerde(registry), countAndSum: countAndSumSerde(registry) }
  // The server's producer registered the ratings schema; learning its id here saves the engine a fetch on the first
  // record.
  await serdes.rating.prepare?.(config.topics.ratings, false, 'write')
  engine = new StreamsEngine(
    config,
    serdes,
    { log: (level, message, fields) => log(level, message, fields) },
    (state) => send({ type: 'state', state })
  )
  await engine.start()
  send({ type: 'started', metrics: engine.metrics() })
  metricsTimer = setInterval(() => {
    if (engine !== undefined) send({ type: 'metrics', metrics: engine.metrics() })
  }, METRICS_INTERVAL_MS)
}

function close(timeoutMs: number): Promise<void> {
  closing ??= (async () => {
    clearInterval(metricsTimer)
    try {
      await engine?.close(timeoutMs)
    } catch (err) {
      log('error', 'closing the streams engine failed', { err: errorInfo(err) })
    }
    send({ type: 'closed' }, () => process.exit(0))
  })()
  return closing
}

async function answer(id: number, name: QueryName, args: readonly unknown[]): Promise<void> {
  try {
    if (engine === undefined) {
      throw Object.assign(new Error('the streams engine has not started'), { code: 'ILLEGAL_STATE' })
    }
    let result: EngineQueries[QueryName]['result']
    if (name === 'lookup') result = await engine.lookup(args[0] as number)
    else if (name === 'localAverages') result = await engine.localAverages()
    else result = await engine.otherHosts()
    send({ type: 'answer', id, result })
  } catch (err) {
    send({ type: 'answer', id, error: errorInfo(err) })
  }
}

process.on('message', (m: ToEngine) => {
  switch (m.type) {
    case 'start':
      start(m.config, m.logLevel).catch((err: unknown) => {
        send({ type: 'failed', error: errorInfo(err) }, () => {
          ;(engine?.close(m.config.shutdownTimeoutMs) ?? Promise.resolve()).finally(() => process.exit(1))
        })
      })
      return
    case 'query':
      answer(m.id, m.name, m.args).catch(() => {})
      return
    case 'close':
      close(m.timeoutMs).catch(() => {})
  }
})

// The server coordinates shutdown: a Ctrl-C reaches the whole process group, and the engine must close after the
// server stopped taking requests, when the server says so. If the server is gone, the engine closes on its own.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (!process.connected) close(10_000).catch(() => {})
  })
}
process.on('disconnect', () => {
  close(10_000).catch(() => {})
})
