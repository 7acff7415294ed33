// The load client and the observer of a scenario. The client POSTs ratings from several concurrent workers and
// records every answer (202, 503, anything else = failure); the observer samples GET /averages and GET /health so
// that recovery times can be read off the timeline afterwards.
import { getJson, sleep } from './infra.ts'

export const MOVIE_IDS = [362, 363, 364] as const

/** One POST /rating and its outcome. `status` 0 = no HTTP answer (connection error or client timeout). */
export interface Post {
  readonly movieId: number
  readonly rating: number
  readonly start: number
  end: number
  status: number
  error?: string
}

/** A (movie, rating) pair: the finest grain at which a rating can be told apart, the schema has no request id. */
export const classKey = (movieId: number, rating: number): string => `${movieId}:${rating}`

export interface LoadOptions {
  readonly url: string
  readonly concurrency: number
  /** Target POSTs per second over all workers (a pause after fast answers; slow answers are not made up for). */
  readonly ratePerSecond: number
  readonly requestTimeoutMs: number
}

export class LoadClient {
  readonly posts: Post[] = []
  readonly #options: LoadOptions
  #running = false
  #workers: Array<Promise<void>> = []

  constructor(options: LoadOptions) {
    this.#options = options
  }

  start(): void {
    this.#running = true
    for (let w = 0; w < this.#options.concurrency; w++) this.#workers.push(this.#worker(w))
  }

  /** Stops issuing requests and waits for those in flight to be answered. */
  async stop(): Promise<void> {
    this.#running = false
    await Promise.all(this.#workers)
  }

  async #worker(w: number): Promise<void> {
    const { url, concurrency, ratePerSecond, requestTimeoutMs } = this.#options
    const interval = (1000 * concurrency) / ratePerSecond
    for (let i = 0; this.#running; i++) {
      // Every worker walks all 30 (movie, rating) classes, so each class gets ratings during every fault.
      const movieId = MOVIE_IDS[(w + i) % MOVIE_IDS.length]!
      const rating = 1 + ((i * 7 + w * 3) % 10)
      const post: Post = { movieId, rating, start: Date.now(), end: 0, status: 0 }
      this.posts.push(post)
      try {
        const res = await fetch(`${url}/rating`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ movieId, rating }),
          signal: AbortSignal.timeout(requestTimeoutMs)
        })
        post.status = res.status
        if (res.status !== 202) post.error = (await res.text()).slice(0, 300)
        else await res.arrayBuffer()
      } catch (e) {
        post.error = String((e as Error).cause ?? e)
      }
      post.end = Date.now()
      const wait = interval - (post.end - post.start)
      if (wait > 0 && this.#running) await sleep(wait)
    }
  }
}

/** One observation of the service: total count over all movies in GET /averages, and GET /health. */
export interface Sample {
  readonly t: number
  /** Sum of `count` over the movies; undefined when /averages did not answer 200. */
  readonly engineTotal: number | undefined
  readonly averagesStatus: number
  readonly healthStatus: number
  readonly health: unknown
}

export class Observer {
  readonly samples: Sample[] = []
  readonly #url: string
  readonly #intervalMs: number
  #running = false
  #loop: Promise<void> = Promise.resolve()

  constructor(url: string, intervalMs = 500) {
    this.#url = url
    this.#intervalMs = intervalMs
  }

  start(): void {
    this.#running = true
    this.#loop = this.#run()
  }

  async stop(): Promise<void> {
    this.#running = false
    await this.#loop
  }

  async #run(): Promise<void> {
    while (this.#running) {
      const t = Date.now()
      const [averages, health] = await Promise.all([
        getJson(`${this.#url}/averages`, 4000).catch(() => ({ status: 0, body: undefined })),
        getJson(`${this.#url}/health`, 4000).catch(() => ({ status: 0, body: undefined }))
      ])
      let engineTotal: number | undefined
      if (averages.status === 200 && Array.isArray(averages.body)) {
        engineTotal = (averages.body as Array<{ count: number }>).reduce((s, a) => s + a.count, 0)
      }
      this.samples.push({
        t,
        engineTotal,
        averagesStatus: averages.status,
        healthStatus: health.status,
        health: health.body
      })
      const wait = this.#intervalMs - (Date.now() - t)
      if (wait > 0) await sleep(wait)
    }
  }
}

/** A posted request is "disturbed" when it did not get a 202 or took longer than this. */
export const DISTURBED_MS = 1000

export interface FaultWindow {
  readonly label: string
  readonly at: number
  /** When the node (or broker) was serving again. */
  readonly back: number
  readonly until: number
}

export interface FaultFigures {
  readonly fault: string
  readonly posts: number
  readonly accepted: number
  readonly unavailable: number
  readonly failed: number
  readonly maxLatencyMs: number
  /** From the fault to the end of the last disturbed request of the window: POSTs get prompt 202s again after it. */
  readonly postRecoveryS: number
  /** From the restart to the end of the last disturbed request (0 when POSTs were already prompt again). */
  readonly postRecoveryAfterRestartS: number
  /** From the fault until GET /averages counts every rating acknowledged before the fault. */
  readonly averagesCatchUpS: number | undefined
  /** From the restart until GET /averages counts every rating acknowledged before the restart. */
  readonly averagesCatchUpAfterRestartS: number | undefined
  /** The most the averages were behind the acknowledgements during the window, in seconds of acknowledgements. */
  readonly averagesMaxDelayS: number
}

/** Recovery figures of one fault from the requests and samples around it. */
export function faultFigures(window: FaultWindow, posts: readonly Post[], samples: readonly Sample[]): FaultFigures {
  // A request belongs to the window it ended in: one in flight at the next fault counts for that fault.
  const inWindow = posts.filter((p) => p.end >= window.at && p.end < window.until)
  let lastDisturbed = window.at
  let maxLatency = 0
  for (const p of inWindow) {
    const latency = p.end - p.start
    maxLatency = Math.max(maxLatency, latency)
    if (p.status !== 202 || latency > DISTURBED_MS) lastDisturbed = Math.max(lastDisturbed, p.end)
  }
  const ackTimes = posts
    .filter((p) => p.status === 202)
    .map((p) => p.end)
    .sort((a, b) => a - b)
  const catchUpFrom = (t0: number): number | undefined => {
    const acked = ackTimes.filter((t) => t < t0).length
    const s = samples.find((x) => x.t >= t0 && x.engineTotal !== undefined && x.engineTotal >= acked)
    return s === undefined ? undefined : (s.t - t0) / 1000
  }
  let maxDelay = 0
  for (const s of samples) {
    if (s.t < window.at || s.t >= window.until) continue
    if (s.engineTotal === undefined) continue
    // The oldest acknowledgement the averages do not show yet (counts only: 503s that were written make it optimistic).
    const oldestMissing = ackTimes[s.engineTotal]
    if (oldestMissing !== undefined && oldestMissing < s.t) maxDelay = Math.max(maxDelay, (s.t - oldestMissing) / 1000)
  }
  return {
    fault: window.label,
    posts: inWindow.length,
    accepted: inWindow.filter((p) => p.status === 202).length,
    unavailable: inWindow.filter((p) => p.status === 503).length,
    failed: inWindow.filter((p) => p.status !== 202 && p.status !== 503).length,
    maxLatencyMs: maxLatency,
    postRecoveryS: (lastDisturbed - window.at) / 1000,
    postRecoveryAfterRestartS: Math.max(0, lastDisturbed - window.back) / 1000,
    averagesCatchUpS: catchUpFrom(window.at),
    averagesCatchUpAfterRestartS: catchUpFrom(window.back),
    averagesMaxDelayS: maxDelay
  }
}
