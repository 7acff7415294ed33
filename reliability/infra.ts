// The moving parts a scenario drives: infra/kafka.sh (brokers on the reliability ports), the ratings service as a
// child process (node --conditions=source src/server.ts, as it runs in production), and small HTTP helpers.
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createWriteStream, mkdirSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
export const ARTIFACTS = join(ROOT, 'test-artifacts', 'reliability')

/** Ports and folders; defaults keep clear of the demo (9092/8081) and of scripts/test.sh (19092/18081). */
export const PORTS = {
  clusterBase: Number(process.env.KAFKA_CLUSTER_PORT_BASE ?? 39090),
  clusterControllerBase: Number(process.env.KAFKA_CLUSTER_CONTROLLER_PORT_BASE ?? 39190),
  clusterDir: process.env.KAFKA_CLUSTER_DIR ?? join(ROOT, '.data', 'kafka-cluster-reliability'),
  single: Number(process.env.KAFKA_PORT ?? 39096),
  singleController: Number(process.env.KAFKA_CONTROLLER_PORT ?? 39097),
  singleDir: process.env.KAFKA_DATA_DIR ?? join(ROOT, '.data', 'kafka-reliability'),
  serviceA: Number(process.env.RELIABILITY_SERVICE_PORT_A ?? 38080),
  serviceB: Number(process.env.RELIABILITY_SERVICE_PORT_B ?? 38083)
}

const kafkaEnv = (): NodeJS.ProcessEnv => ({
  ...process.env,
  KAFKA_CLUSTER_PORT_BASE: String(PORTS.clusterBase),
  KAFKA_CLUSTER_CONTROLLER_PORT_BASE: String(PORTS.clusterControllerBase),
  KAFKA_CLUSTER_DIR: PORTS.clusterDir,
  KAFKA_PORT: String(PORTS.single),
  KAFKA_CONTROLLER_PORT: String(PORTS.singleController),
  KAFKA_DATA_DIR: PORTS.singleDir,
  // Four JVM brokers may share two cores with other jobs: small heaps, and patience when starting.
  KAFKA_HEAP_OPTS: process.env.KAFKA_HEAP_OPTS ?? '-Xms128m -Xmx384m',
  KAFKA_START_TIMEOUT: process.env.KAFKA_START_TIMEOUT ?? '180'
})

/** Runs `infra/kafka.sh ARGS`; resolves with its stdout, rejects with its stderr when it exits non-zero. */
export function kafkaSh(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(ROOT, 'infra', 'kafka.sh'), args, { env: kafkaEnv(), stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (err += d.toString()))
    child.on('error', reject)
    child.on('close', (code) => {
      if (code === 0) resolve(out.trim())
      else {
        reject(
          new Error(`infra/kafka.sh ${args.join(' ')} exited ${code}: ${err.trim().split('\n').slice(-5).join(' | ')}`)
        )
      }
    })
  })
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Thrown by a probe to stop waiting at once (a condition that can no longer come true). */
export class WaitAborted extends Error {}

/**
 * Polls `probe` until it returns a value other than undefined; throws naming `what` past the deadline. A probe that
 * throws is asked again (the service may be restarting), unless it throws {@link WaitAborted}.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  intervalMs = 250
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const v = await probe()
      if (v !== undefined) return v
    } catch (e) {
      if (e instanceof WaitAborted) throw e
      last = e
    }
    if (Date.now() >= deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last === undefined ? '' : `: ${String(last)}`}`
      )
    }
    await sleep(intervalMs)
  }
}

/** GET `url` as JSON with a timeout; `undefined` body when the answer is not JSON. */
export async function getJson(url: string, timeoutMs = 5000): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) })
  const text = await res.text()
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    body = undefined
  }
  return { status: res.status, body }
}

export interface ServiceOptions {
  readonly name: string
  readonly port: number
  readonly bootstrap: string
  readonly registryUrl: string
  readonly replicationFactor: number
  readonly runId: string
  readonly extraEnv?: Record<string, string>
}

/** The ratings service as a child process with its own topics, application id and state directory. */
export class ServiceProcess {
  readonly options: ServiceOptions
  readonly url: string
  readonly logFile: string
  readonly topics: { ratings: string; averages: string; stats: string }
  readonly applicationId: string
  #child: ChildProcess | undefined
  #exit: Promise<number | null> = Promise.resolve(null)
  #exitCode: number | null | undefined

  constructor(options: ServiceOptions) {
    this.options = options
    this.url = `http://127.0.0.1:${options.port}`
    this.logFile = join(ARTIFACTS, `${options.name}-service.log`)
    const id = `${options.name}-${options.runId}`
    this.applicationId = `reliability-${id}`
    this.topics = { ratings: `ratings-${id}`, averages: `rating-averages-${id}`, stats: `rating-stats-${id}` }
  }

  async start(): Promise<void> {
    mkdirSync(ARTIFACTS, { recursive: true })
    const o = this.options
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: String(o.port),
      HOST: '127.0.0.1',
      APPLICATION_ID: this.applicationId,
      APPLICATION_SERVER: `127.0.0.1:${o.port}`,
      KAFKA_BOOTSTRAP: o.bootstrap,
      SCHEMA_REGISTRY_URL: o.registryUrl,
      PROCESSING_GUARANTEE: 'exactly_once_v2',
      TOPIC_REPLICATION_FACTOR: String(o.replicationFactor),
      RATINGS_TOPIC: this.topics.ratings,
      RATING_AVERAGES_TOPIC: this.topics.averages,
      RATING_STATS_TOPIC: this.topics.stats,
      STATE_DIR: join(ROOT, '.data', 'reliability-state', this.applicationId),
      // info: the engine's rebalance, restore and rewind steps, so that a stall can be read from the log (successful
      // requests are logged at debug, so they do not bury it).
      LOG_LEVEL: 'info',
      ...o.extraEnv
    }
    const log = createWriteStream(this.logFile)
    await new Promise((resolve) => log.once('open', resolve))
    const child = spawn(process.execPath, ['--conditions=source', 'packages/ratings-service/src/server.ts'], {
      cwd: ROOT,
      env,
      stdio: ['ignore', log, log]
    })
    this.#child = child
    this.#exit = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.#exitCode = code ?? (signal === null ? null : -1)
        resolve(this.#exitCode)
      })
    )
    await waitFor(
      `${o.name} service ready on ${this.url} (log ${this.logFile})`,
      async () => {
        if (this.#exitCode !== undefined) throw new Error(`service exited with ${this.#exitCode}; see ${this.logFile}`)
        const h = await getJson(`${this.url}/health`, 3000).catch(() => undefined)
        return h?.status === 200 ? true : undefined
      },
      180_000,
      500
    )
  }

  /** The exit code so far: undefined while it runs. */
  get exitCode(): number | null | undefined {
    return this.#exitCode
  }

  get pid(): number | undefined {
    return this.#child?.pid
  }

  /** SIGTERM, then SIGKILL after `timeoutMs`; resolves with the exit code (0 = clean shutdown). */
  async stop(timeoutMs = 40_000): Promise<number | null> {
    const child = this.#child
    if (child === undefined || this.#exitCode !== undefined) return this.#exitCode ?? null
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    const code = await this.#exit
    clearTimeout(timer)
    return code
  }
}
