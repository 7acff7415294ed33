// The streams engine in a child process (engine-process.ts), seen from the server as a RatingsEngine. Processing a
// rating costs several times what accepting it costs (a repartition round trip, two changelog writes, two output
// writes), and on one event loop that work delays every POST /rating; in its own process it has its own event loop
// and the operating system shares the cores. The child reports its state as it changes and its metrics once a
// second; interactive queries are requests over the IPC channel. A worker thread would be cheaper, but the native
// Kafka client crashed when a worker exited, and a process also keeps a crash of the engine away from the server.
import { fork } from 'node:child_process'
import { setPriority } from 'node:os'
import { extname } from 'node:path'
import type { ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { KafkaStreamsState, StreamsMetrics } from 'kstreams-ts'
import type { ServiceConfig } from './config.ts'
import type { AverageLookup, RatingsEngine } from './engine.ts'
import type { MovieAverage } from './kafka.ts'

/** Level, message and fields of a log line from the child, logged by the server's logger. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

export interface EngineQueries {
  lookup: { args: [movieId: number]; result: AverageLookup }
  localAverages: { args: []; result: MovieAverage[] }
  otherHosts: { args: []; result: string[] }
}
export type QueryName = keyof EngineQueries

/** An error as it crosses the channel: the message, and the fields the routes and server.ts read. */
export interface ErrorInfo {
  readonly message: string
  readonly code?: string
  readonly setting?: string
}

/** Server → engine process. */
export type ToEngine =
  | { readonly type: 'start'; readonly config: ServiceConfig; readonly logLevel: string }
  | { readonly type: 'query'; readonly id: number; readonly name: QueryName; readonly args: readonly unknown[] }
  | { readonly type: 'close'; readonly timeoutMs: number }

/** Engine process → server. */
export type FromEngine =
  | { readonly type: 'started'; readonly metrics: StreamsMetrics }
  | { readonly type: 'failed'; readonly error: ErrorInfo }
  | { readonly type: 'state'; readonly state: KafkaStreamsState }
  | { readonly type: 'metrics'; readonly metrics: StreamsMetrics }
  | { readonly type: 'answer'; readonly id: number; readonly result?: unknown; readonly error?: ErrorInfo }
  | {
      readonly type: 'log'
      readonly level: LogLevel
      readonly message: string
      readonly fields?: Record<string, unknown>
    }
  | { readonly type: 'closed' }

export interface EngineLog {
  /** The lowest level logged (pino's level name); the engine process does not send lines below it. */
  readonly level?: string
  debug(obj: object, msg?: string): void
  info(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
  error(obj: object, msg?: string): void
}

// Next to this module, with its extension: .ts when run from the sources, .js once compiled (tsc rewrites imports,
// not this path).
const ENTRY = fileURLToPath(new URL(`./engine-process${extname(import.meta.url)}`, import.meta.url))
// A query the engine does not answer in this time fails as not queryable (503) rather than hanging the request.
const QUERY_TIMEOUT_MS = 5000

/** An Error carrying the code (and setting) the engine reported, so the routes map it as they would in process. */
function toError(info: ErrorInfo): Error {
  return Object.assign(new Error(info.message), {
    ...(info.code === undefined ? {} : { code: info.code }),
    ...(info.setting === undefined ? {} : { setting: info.setting })
  })
}

// The child runs the same sources the same way: it gets the parent's export conditions (`--conditions=source`) and
// CPU-profiling flags, but not the test runner's or the inspector's options.
function childExecArgv(): string[] {
  const out: string[] = []
  const argv = process.execArgv
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (a.startsWith('--conditions=') || a === '--cpu-prof' || a.startsWith('--cpu-prof-dir=')) out.push(a)
    else if ((a === '--conditions' || a === '-C') && i + 1 < argv.length) out.push(a, argv[++i]!)
  }
  return out
}

/**
 * The engine process, started by {@link ChildProcessEngine.start} and stopped by `close`. If the child dies, the state
 * becomes ERROR (liveness fails, as for an engine that failed in process) and queries fail as not queryable.
 */
export class ChildProcessEngine implements RatingsEngine {
  readonly #child: ChildProcess
  readonly #log: EngineLog
  readonly #pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }
  >()
  #next = 0
  #state: KafkaStreamsState = 'CREATED'
  #metrics: StreamsMetrics | undefined
  #exited: Promise<void>
  #closing = false

  private constructor(child: ChildProcess, log: EngineLog) {
    this.#child = child
    this.#log = log
    this.#exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        if (!this.#closing || (code !== 0 && code !== null)) {
          log.error({ code, signal }, 'the streams engine process exited')
          this.#state = 'ERROR'
        }
        for (const p of this.#pending.values()) {
          clearTimeout(p.timer)
          p.reject(toError({ message: 'the streams engine process is not running', code: 'ILLEGAL_STATE' }))
        }
        this.#pending.clear()
        resolve()
      })
    })
    child.on('message', (m: FromEngine) => this.#receive(m))
    // A send after the child died reports through 'error'; the exit handler above already covers that case.
    child.on('error', (err) => log.warn({ err }, 'streams engine process channel error'))
  }

  /**
   * Forks the engine process and resolves once its engine joined the group; rejects with the engine's error. A
   * `nice` above 0 lowers the process' scheduling priority (see {@link engineNice}).
   */
  static async start(config: ServiceConfig, log: EngineLog, nice = 0): Promise<ChildProcessEngine> {
    const child = fork(ENTRY, [], {
      execArgv: childExecArgv(),
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc']
    })
    const engine = new ChildProcessEngine(child, log)
    if (nice !== 0 && child.pid !== undefined) {
      try {
        setPriority(child.pid, nice)
      } catch (err) {
        log.warn({ err, nice }, 'cannot lower the priority of the streams engine process; it runs at normal priority')
      }
    }
    const started = new Promise<void>((resolve, reject) => {
      const onMessage = (m: FromEngine): void => {
        if (m.type === 'started') {
          child.off('message', onMessage)
          resolve()
        } else if (m.type === 'failed') {
          child.off('message', onMessage)
          reject(toError(m.error))
        }
      }
      child.on('message', onMessage)
      child.once('exit', (code, signal) =>
        reject(new Error(`the streams engine process exited during start-up (code ${code}, signal ${signal})`))
      )
    })
    child.send({ type: 'start', config, logLevel: log.level ?? config.logLevel } satisfies ToEngine)
    try {
      await started
    } catch (err) {
      await engine.close(config.shutdownTimeoutMs)
      throw err
    }
    return engine
  }

  #receive(m: FromEngine): void {
    switch (m.type) {
      case 'state':
        if (this.#state !== 'ERROR' || m.state === 'ERROR') this.#state = m.state
        return
      case 'started':
      case 'metrics':
        this.#metrics = m.metrics
        if (m.type === 'started' && this.#state === 'CREATED') this.#state = m.metrics.state
        return
      case 'answer': {
        const p = this.#pending.get(m.id)
        if (p === undefined) return
        this.#pending.delete(m.id)
        clearTimeout(p.timer)
        if (m.error !== undefined) p.reject(toError(m.error))
        else p.resolve(m.result)
        return
      }
      case 'log':
        this.#log[m.level](m.fields ?? {}, m.message)
    }
  }

  #query<N extends QueryName>(name: N, ...args: EngineQueries[N]['args']): Promise<EngineQueries[N]['result']> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null || !this.#child.connected) {
      return Promise.reject(toError({ message: 'the streams engine process is not running', code: 'ILLEGAL_STATE' }))
    }
    const id = this.#next++
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id)
        reject(
          toError({ message: `the streams engine did not answer within ${QUERY_TIMEOUT_MS} ms`, code: 'ILLEGAL_STATE' })
        )
      }, QUERY_TIMEOUT_MS)
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer })
      this.#child.send({ type: 'query', id, name, args } satisfies ToEngine)
    })
  }

  /** Process id of the engine process. */
  get pid(): number | undefined {
    return this.#child.pid
  }

  get state(): KafkaStreamsState {
    return this.#state
  }

  get queryable(): boolean {
    return this.#state === 'RUNNING' || this.#state === 'REBALANCING'
  }

  metrics(): StreamsMetrics {
    if (this.#metrics === undefined) throw new Error('the streams engine has not started')
    // The state is reported as it changes, the rest about once a second.
    return { ...this.#metrics, state: this.#state }
  }

  lookup(movieId: number): Promise<AverageLookup> {
    return this.#query('lookup', movieId)
  }

  localAverages(): Promise<MovieAverage[]> {
    return this.#query('localAverages')
  }

  otherHosts(): Promise<string[]> {
    return this.#query('otherHosts')
  }

  /** Closes the engine (commit, checkpoints, leave the group) and waits for the process to exit; kills it past the deadline. */
  async close(timeoutMs: number): Promise<void> {
    this.#closing = true
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      if (this.#child.connected) this.#child.send({ type: 'close', timeoutMs } satisfies ToEngine)
      let timer: NodeJS.Timeout | undefined
      const inTime = await Promise.race([
        this.#exited.then(() => true),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), timeoutMs + 2000)
        })
      ])
      clearTimeout(timer)
      if (!inTime) {
        this.#log.error({ timeoutMs }, 'the streams engine process did not exit in time; killing it')
        this.#child.kill('SIGKILL')
      }
    }
    await this.#exited
    if (this.#state !== 'ERROR') this.#state = 'NOT_RUNNING'
  }
}
