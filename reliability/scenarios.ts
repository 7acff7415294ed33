// The broker-failure scenarios. A: a 3-node KRaft cluster (RF 3, min.insync.replicas 2) loses a broker, then its
// active controller, to kill -9, each restarted; B: a single broker is stopped and started again. In both, the
// ratings service runs as a child process under exactly_once_v2 while the load client POSTs ratings throughout; at
// the end the acknowledgements, the ratings topic and the engine's counts must agree.
import { readFileSync, rmSync } from 'node:fs'
import { LoadClient, Observer, faultFigures } from './load.ts'
import type { FaultFigures, FaultWindow, Post, Sample } from './load.ts'
import { ARTIFACTS, PORTS, ServiceProcess, WaitAborted, kafkaSh, sleep, waitFor } from './infra.ts'
import { account, engineCounts, perMovie, readRatingsTopic, sameCounts } from './verify.ts'
import type { Accounting } from './verify.ts'

export interface Variant {
  readonly name: 'short' | 'long'
  readonly concurrency: number
  readonly ratePerSecond: number
  /** Load before the first fault. */
  readonly warmupMs: number
  /** Scenario A: each fault in turn ('two' kills two nodes together: no quorum and no ISR of 2 until one is back). */
  readonly clusterFaults: ReadonlyArray<'broker' | 'controller' | 'two'>
  /** How long a killed node (or the stopped single broker) stays down. */
  readonly downMs: number
  /** Load after a restart before the next fault. */
  readonly settleMs: number
  readonly singleRestarts: number
}

export const VARIANTS: Record<'short' | 'long', Variant> = {
  short: {
    name: 'short',
    concurrency: 8,
    ratePerSecond: 100,
    warmupMs: 8000,
    clusterFaults: ['broker', 'controller'],
    downMs: 8000,
    settleMs: 8000,
    singleRestarts: 1
  },
  long: {
    name: 'long',
    concurrency: 16,
    ratePerSecond: 150,
    warmupMs: 20_000,
    clusterFaults: ['broker', 'controller', 'broker', 'controller', 'two', 'controller'],
    downMs: 20_000,
    settleMs: 20_000,
    singleRestarts: 3
  }
}

export interface ScenarioResult {
  readonly scenario: string
  readonly variant: string
  readonly startedAt: string
  readonly durationS: number
  readonly faults: readonly FaultFigures[]
  readonly accounting: Accounting
  /** From the end of the load until GET /averages equals the ratings topic, per movie count and sum. */
  readonly finalCatchUpS: number | undefined
  readonly topicPerMovie: Record<number, { count: number; sum: number }>
  readonly enginePerMovie: Record<number, { count: number; sum: number }> | undefined
  /** Transactional ids of this application known to the cluster (exactly-once in effect when > 0). */
  readonly transactionalIds: number
  readonly serviceExitCode: number | null
  /** The engine's state in the last /health answer before the service was stopped. */
  readonly finalEngineState: string | undefined
  /** Error-level lines of the service's log (first 10). */
  readonly errorLines: readonly string[]
  readonly events: ReadonlyArray<{ readonly at: string; readonly what: string }>
  /** Scenario B: what /health said during the outage. */
  readonly health?: {
    readonly outageReportedAfterS: number | undefined
    readonly outageBody: unknown
    readonly readyAgainAfterS: number | undefined
  }
  readonly ok: boolean
  readonly problems: readonly string[]
}

type Log = (line: string) => void

class Events {
  readonly list: Array<{ at: string; what: string; t: number }> = []
  readonly #log: Log
  readonly #t0 = Date.now()
  constructor(log: Log) {
    this.#log = log
  }

  add(what: string): number {
    const t = Date.now()
    this.list.push({ at: new Date(t).toISOString(), what, t })
    this.#log(`[${((t - this.#t0) / 1000).toFixed(1)} s] ${what}`)
    return t
  }
}

const ackedBy = (posts: readonly Post[], t: number): number =>
  posts.filter((p) => p.status === 202 && p.end <= t).length

const latestTotal = (samples: readonly Sample[]): number | undefined => {
  for (let i = samples.length - 1; i >= 0; i--) {
    if (samples[i]!.engineTotal !== undefined) return samples[i]!.engineTotal
  }
  return undefined
}

/** The engine's state in the last /health answer. */
const engineState = (samples: readonly Sample[]): string | undefined => {
  for (let i = samples.length - 1; i >= 0; i--) {
    const checks = (samples[i]!.health as { checks?: { engine?: string } } | undefined)?.checks
    if (checks?.engine !== undefined) return checks.engine
  }
  return undefined
}

// An engine in ERROR never recovers by itself: waiting for it to catch up would only burn the deadline.
const abortIfFailed = (samples: readonly Sample[]): void => {
  const state = engineState(samples)
  if (state === 'ERROR' || state === 'PENDING_ERROR') throw new WaitAborted(`the streams engine is in ${state}`)
}

/** Error-level lines of the service's log (pino level 50+), for the report. */
function errorLines(file: string): string[] {
  const out: string[] = []
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.startsWith('{')) continue
    try {
      const entry = JSON.parse(line) as { level?: number; time?: number; msg?: string; err?: { message?: string } }
      if ((entry.level ?? 0) >= 50) {
        out.push(`${new Date(entry.time ?? 0).toISOString()} ${entry.msg ?? ''} ${entry.err?.message ?? ''}`.trim())
      }
    } catch {
      // not a log line of the service
    }
  }
  return out.slice(0, 10)
}

/** Waits until the engine counts at least what was acknowledged by `t` (the averages caught up with the fault). */
/**
 * Stops a wait when the engine's count has not moved for `stallMs` although it is still behind: a slow engine is
 * waited for (up to the caller's cap), a stuck one is reported as such.
 */
class StallGuard {
  readonly #stallMs: number
  #last = -1
  #since = Date.now()
  constructor(stallMs: number) {
    this.#stallMs = stallMs
  }

  check(total: number | undefined, target: string): void {
    const now = Date.now()
    if (total !== undefined && total !== this.#last) {
      this.#last = total
      this.#since = now
    } else if (now - this.#since > this.#stallMs) {
      throw new WaitAborted(
        `the engine made no progress for ${Math.round(this.#stallMs / 1000)} s (averages count ${this.#last}, ${target})`
      )
    }
  }
}

/** Waits until the engine counts at least what was acknowledged by `t` (the averages caught up with the fault). */
async function engineCaughtUp(posts: readonly Post[], samples: readonly Sample[], t: number, timeoutMs: number) {
  const target = ackedBy(posts, t)
  const guard = new StallGuard(STALL_MS)
  await waitFor(
    `the averages to count the ${target} ratings acknowledged so far`,
    () => {
      abortIfFailed(samples)
      const total = latestTotal(samples)
      if ((total ?? -1) >= target) return true
      guard.check(total, `expected at least ${target}`)
      return undefined
    },
    timeoutMs
  )
}

/** No change of the averages for this long while they are behind: the engine is stuck, not slow. */
const STALL_MS = 120_000
/** Upper bound of any wait for the engine (a slow engine on a busy machine gets this long). */
const CATCH_UP_CAP_MS = 15 * 60_000

async function finish(
  scenario: string,
  variant: Variant,
  service: ServiceProcess,
  bootstrap: string,
  load: LoadClient,
  observer: Observer,
  windows: FaultWindow[],
  events: Events,
  transactionsCmd: string[],
  started: number,
  health?: ScenarioResult['health']
): Promise<ScenarioResult> {
  await load.stop()
  const loadEnd = events.add(`load stopped: ${load.posts.length} POSTs`)
  const topic = await readRatingsTopic(bootstrap, service.topics.ratings)
  events.add(`ratings topic read (read_committed): ${topic.records} records`)
  const topicMovies = perMovie(topic.tally)
  let engine = await engineCounts(service.url)
  let finalCatchUpS: number | undefined
  const guard = new StallGuard(STALL_MS)
  try {
    engine = await waitFor(
      'GET /averages to equal the ratings topic (count and sum per movie)',
      async () => {
        abortIfFailed(observer.samples)
        const e = await engineCounts(service.url)
        if (e !== undefined) engine = e
        if (e !== undefined && sameCounts(e, topicMovies)) return e
        guard.check(
          e === undefined ? undefined : [...e.values()].reduce((n, m) => n + m.count, 0),
          `topic ${topic.records}`
        )
        return undefined
      },
      CATCH_UP_CAP_MS,
      500
    )
    finalCatchUpS = (Date.now() - loadEnd) / 1000
    // Stable, not passing through: counting on past the topic would show up as counted twice.
    await sleep(3000)
    engine = (await engineCounts(service.url)) ?? engine
  } catch (e) {
    events.add(String(e))
  }
  await observer.stop()
  let transactionalIds = 0
  try {
    const list = await kafkaSh(...transactionsCmd)
    transactionalIds = list.split('\n').filter((l) => l.includes(service.applicationId)).length
  } catch (e) {
    events.add(`listing transactions failed: ${String(e)}`)
  }
  const finalEngineState = engineState(observer.samples)
  const exitCodeBefore = service.exitCode
  const serviceExitCode = await service.stop()
  events.add(`service stopped (SIGTERM), exit code ${serviceExitCode}`)
  const faults = windows.map((w) => faultFigures(w, load.posts, observer.samples))
  const accounting = account(load.posts, topic.tally, engine)
  const problems: string[] = []
  if (accounting.lost > 0) problems.push(`${accounting.lost} acknowledged ratings are not in the ratings topic`)
  if (accounting.duplicatedInTopic > 0) problems.push(`${accounting.duplicatedInTopic} ratings written twice`)
  if (accounting.countedTwice > 0) problems.push(`the engine counted ${accounting.countedTwice} ratings twice`)
  if (accounting.notCounted > 0) problems.push(`the engine did not count ${accounting.notCounted} ratings`)
  if (accounting.sumMismatch > 0) problems.push(`${accounting.sumMismatch} movies have a wrong sum`)
  if (accounting.failed > 0) {
    problems.push(
      `${accounting.failed} POSTs got neither 202 nor 503, e.g. ${accounting.failures.slice(0, 3).join('; ')}`
    )
  }
  if (finalEngineState !== 'RUNNING') problems.push(`the streams engine ended in ${finalEngineState}`)
  if (exitCodeBefore !== undefined) problems.push(`the service exited during the run (${exitCodeBefore})`)
  if (serviceExitCode !== 0) problems.push(`the service did not shut down cleanly (exit ${serviceExitCode})`)
  if (transactionalIds === 0) problems.push('no transactional id of the application: exactly-once was not in effect')
  if (accounting.accepted === 0) problems.push('no rating was acknowledged')
  return {
    scenario,
    variant: variant.name,
    startedAt: new Date(started).toISOString(),
    durationS: Math.round((Date.now() - started) / 1000),
    faults,
    accounting,
    finalCatchUpS,
    topicPerMovie: Object.fromEntries(topicMovies),
    enginePerMovie: engine === undefined ? undefined : Object.fromEntries(engine),
    transactionalIds,
    serviceExitCode,
    finalEngineState,
    errorLines: errorLines(service.logFile),
    events: events.list.map(({ at, what }) => ({ at, what })),
    ...(health === undefined ? {} : { health }),
    ok: problems.length === 0,
    problems
  }
}

/** Scenario A: kill -9 a broker, then the active controller, on a 3-node cluster under load. */
export async function clusterScenario(
  variant: Variant,
  registryUrl: string,
  runId: string,
  log: Log
): Promise<ScenarioResult> {
  const started = Date.now()
  const events = new Events(log)
  // Reused when all three nodes are up (topics and application ids are per run), so CI can start it early;
  // otherwise started afresh, so that no earlier run's topics slow it down.
  const running = await kafkaSh('cluster', 'status').then(
    () => true,
    () => false
  )
  if (!running) {
    await kafkaSh('cluster', 'stop')
    rmSync(PORTS.clusterDir, { recursive: true, force: true })
  }
  const bootstrap = (await kafkaSh('cluster', 'start')).split('\n').pop()!
  events.add(`cluster ready: ${bootstrap}`)
  const service = new ServiceProcess({
    name: 'cluster',
    port: PORTS.serviceA,
    bootstrap,
    registryUrl,
    replicationFactor: 3,
    runId
  })
  await service.start()
  events.add(`service ready (pid ${service.pid}, ${service.url}, log ${service.logFile})`)
  const load = new LoadClient({
    url: service.url,
    concurrency: variant.concurrency,
    ratePerSecond: variant.ratePerSecond,
    requestTimeoutMs: 60_000
  })
  const observer = new Observer(service.url)
  observer.start()
  load.start()
  events.add(`load started: ${variant.concurrency} concurrent clients, up to ${variant.ratePerSecond} POSTs/s`)
  await sleep(variant.warmupMs)
  const windows: FaultWindow[] = []
  let rotate = 0
  for (const fault of variant.clusterFaults) {
    const controller = Number(await kafkaSh('cluster', 'controller'))
    const others = [1, 2, 3].filter((n) => n !== controller)
    const victims =
      fault === 'controller' ? [controller] : fault === 'broker' ? [others[rotate++ % 2]!] : [controller, others[0]!]
    const what =
      fault === 'controller'
        ? `kill -9 node ${controller} (active controller)`
        : fault === 'broker'
          ? `kill -9 node ${victims[0]} (broker; controller is ${controller})`
          : `kill -9 nodes ${victims.join(' and ')} together (controller ${controller}: no quorum, ISR below 2)`
    await Promise.all(victims.map((n) => kafkaSh('cluster', 'kill', String(n))))
    const at = events.add(what)
    if (fault === 'controller') {
      kafkaSh('cluster', 'controller').then(
        (id) => events.add(`new active controller: node ${id}`),
        () => events.add('no active controller could be asked yet')
      )
    }
    await sleep(variant.downMs)
    await Promise.all(victims.map((n) => kafkaSh('cluster', 'start-node', String(n))))
    const back = events.add(`node(s) ${victims.join(', ')} restarted and serving`)
    await sleep(variant.settleMs)
    let failed = false
    try {
      await engineCaughtUp(load.posts, observer.samples, back, CATCH_UP_CAP_MS)
      events.add('averages caught up with the acknowledgements')
    } catch (e) {
      events.add(String(e))
      failed = true
    }
    windows.push({ label: what, at, back, until: Date.now() })
    if (windows.length > 1) windows[windows.length - 2] = { ...windows[windows.length - 2]!, until: at }
    // No more faults on a service that did not recover from this one: what it lost is still worth counting.
    if (failed) break
  }
  return await finish(
    'A: 3-node cluster',
    variant,
    service,
    bootstrap,
    load,
    observer,
    windows,
    events,
    ['cluster', 'transactions'],
    started
  )
}

const brokerDown = (s: Sample): boolean => {
  const checks = (s.health as { checks?: Record<string, unknown> } | undefined)?.checks
  return s.healthStatus === 503 && checks !== undefined && checks.broker !== undefined && checks.broker !== 'reachable'
}

/** Scenario B: a single broker stopped and started again under load; /health must show the outage and recovery. */
export async function singleScenario(
  variant: Variant,
  registryUrl: string,
  runId: string,
  log: Log
): Promise<ScenarioResult> {
  const started = Date.now()
  const events = new Events(log)
  await kafkaSh('stop')
  rmSync(PORTS.singleDir, { recursive: true, force: true })
  const bootstrap = (await kafkaSh('start')).split('\n').pop()!
  events.add(`single broker ready: ${bootstrap}`)
  const service = new ServiceProcess({
    name: 'single',
    port: PORTS.serviceB,
    bootstrap,
    registryUrl,
    replicationFactor: 1,
    runId
  })
  await service.start()
  events.add(`service ready (pid ${service.pid}, ${service.url}, log ${service.logFile})`)
  const load = new LoadClient({
    url: service.url,
    concurrency: variant.concurrency,
    ratePerSecond: variant.ratePerSecond,
    requestTimeoutMs: 60_000
  })
  const observer = new Observer(service.url)
  observer.start()
  load.start()
  events.add(`load started: ${variant.concurrency} concurrent clients, up to ${variant.ratePerSecond} POSTs/s`)
  await sleep(variant.warmupMs)
  const windows: FaultWindow[] = []
  let outageReportedAfterS: number | undefined
  let readyAgainAfterS: number | undefined
  let outageBody: unknown
  for (let i = 0; i < variant.singleRestarts; i++) {
    const at = events.add('stopping the broker (infra/kafka.sh stop)')
    await kafkaSh('stop')
    events.add('broker stopped')
    try {
      const s = await waitFor(
        '/health to report the broker outage',
        () => observer.samples.find((x) => x.t > at && brokerDown(x)),
        60_000
      )
      outageReportedAfterS ??= (s.t - at) / 1000
      outageBody ??= s.health
      events.add(`/health reports the outage: ${JSON.stringify(s.health)}`)
    } catch (e) {
      events.add(String(e))
    }
    await sleep(variant.downMs)
    await kafkaSh('start')
    const back = events.add('broker started again')
    try {
      const s = await waitFor(
        '/health to report ready again',
        () => observer.samples.find((x) => x.t > back && x.healthStatus === 200),
        180_000
      )
      readyAgainAfterS ??= (s.t - back) / 1000
      events.add(`/health ready again: ${JSON.stringify(s.health)}`)
    } catch (e) {
      events.add(String(e))
    }
    await sleep(variant.settleMs)
    let failed = false
    try {
      await engineCaughtUp(load.posts, observer.samples, back, CATCH_UP_CAP_MS)
      events.add('averages caught up with the acknowledgements')
    } catch (e) {
      events.add(String(e))
      failed = true
    }
    windows.push({ label: `broker stopped for ${variant.downMs / 1000} s, then started`, at, back, until: Date.now() })
    if (windows.length > 1) windows[windows.length - 2] = { ...windows[windows.length - 2]!, until: at }
    if (failed) break
  }
  const result = await finish(
    'B: single broker restarted',
    variant,
    service,
    bootstrap,
    load,
    observer,
    windows,
    events,
    ['transactions'],
    started,
    { outageReportedAfterS, outageBody, readyAgainAfterS }
  )
  const problems = [...result.problems]
  if (outageReportedAfterS === undefined) problems.push('/health never reported the broker outage')
  if (readyAgainAfterS === undefined) problems.push('/health never reported ready again after the restart')
  return { ...result, problems, ok: problems.length === 0 }
}

export { ARTIFACTS }
