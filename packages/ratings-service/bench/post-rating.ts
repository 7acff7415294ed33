// POST /rating under load (autocannon, its own process) side by side with a bare Fastify route answering 202, in one
// run on the same machine. The service answers only after the broker's acks=all acknowledgement, so the ratio
// measures what durability costs; the service rows show where the streams engine runs (in the server's process, in
// a child process, in a child process at lower priority) and how long after the load every accepted rating was in
// the average.
//
// The machine is shared and its load moves within seconds, so every target is started first and the load then goes
// round-robin: each round gives every target one slot of BENCH_DURATION_S, and the ratio of a round is taken against
// the bare route's slot of the same round. A service slot ends only when the engine has processed every rating it
// accepted, so a target never runs while another one's engine is still catching up.
// Usage: KAFKA_BOOTSTRAP=… SCHEMA_REGISTRY_URL=… [BENCH_BROKER_PID=<pid of the broker>] node --conditions=source
// bench/post-rating.ts
// BENCH_TARGETS (comma-separated; default all but app and variant): bare, app, http, bare2, inline, nice0, default,
// variant. `app` is the app with test doubles for Kafka (what the app costs without the write).
// `variant` is the default service with the environment of BENCH_VARIANT_ENV (JSON) added, to compare a setting side
// by side; the bare route always runs, since every ratio is taken against it.
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import type { ChildProcess } from 'node:child_process'
import { createRequire } from 'node:module'
import { loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startService, stop } from './service-process.ts'

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50)
const AUTOCANNON = join(dirname(createRequire(import.meta.url).resolve('autocannon/package.json')), 'autocannon.js')
const BROKER_PID = process.env.BENCH_BROKER_PID === undefined ? undefined : Number(process.env.BENCH_BROKER_PID)
const TARGETS = new Set((process.env.BENCH_TARGETS ?? 'bare,http,bare2,inline,nice0,default').split(','))
const VARIANT_ENV = JSON.parse(process.env.BENCH_VARIANT_ENV ?? '{}') as Record<string, string>
const MOVIE = 362
const BODY = JSON.stringify({ movieId: MOVIE, rating: 8 })

// The baseline: Fastify with the same body limit and a JSON route that answers 202 without doing anything.
const BARE = `
import Fastify from 'fastify'
const app = Fastify({ logger: false, bodyLimit: 1024 })
app.post('/rating', async (_req, reply) => reply.code(202).send({ message: 'Accepted' }))
await app.listen({ host: '127.0.0.1', port: 0 })
process.stdout.write('listening on http://127.0.0.1:' + app.server.address().port + '/\\n')
`

async function startChild(args: string[], cwd?: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'] })
  const url = await new Promise<string>((resolve) => {
    child.stdout!.on('data', (d) => {
      const m = /listening on (\S+)/.exec(String(d))
      if (m) resolve(m[1]!)
    })
  })
  return { url, child }
}

interface Result {
  requests: { average: number }
  latency: { p50: number; p99: number; average: number }
  '2xx': number
  non2xx: number
  errors: number
  timeouts: number
}

async function load(url: string, seconds: number): Promise<Result> {
  const args = [
    AUTOCANNON,
    '-j',
    '-c',
    String(CONNECTIONS),
    '-d',
    String(seconds),
    '-m',
    'POST',
    '-H',
    'content-type=application/json',
    '-b',
    BODY,
    new URL('/rating', url).href
  ]
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'ignore'] })
  let out = ''
  child.stdout.on('data', (d) => {
    out += String(d)
  })
  await new Promise((resolve) => child.once('exit', resolve))
  return JSON.parse(out) as Result
}

// CPU seconds (user + system, all threads) of a process and (unless `own`) its children, from /proc (Linux); NaN
// elsewhere. Unlike req/s, CPU time per request hardly depends on what else runs on the machine.
function cpuSeconds(pid: number | undefined, own = false): number {
  if (pid === undefined) return NaN
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    let total = (Number(fields[11]) + Number(fields[12])) / 100
    if (own) return total
    for (const child of readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ')) {
      if (child !== '') total += cpuSeconds(Number(child))
    }
    return total
  } catch {
    return NaN
  }
}

interface Target {
  readonly name: string
  readonly url: string
  readonly child: ChildProcess
  /** Services only: ratings accepted so far, which the movie's count reaches once all are processed. */
  accepted?: number
  readonly results: Result[]
  readonly catchUpS: number[]
  /** CPU microseconds per request of the target's processes and of the broker, per slot (including any catch-up). */
  readonly cpuUs: number[]
  /** The same for the target's own process (without the engine's child process). */
  readonly ownCpuUs: number[]
  readonly brokerUs: number[]
}

// Seconds until the movie's count (read through the engine's store, or its owner, or the feed) covers every rating the
// service accepted.
async function catchUp(target: Target): Promise<number> {
  const started = Date.now()
  for (;;) {
    const res = await fetch(new URL(`/averages/${MOVIE}`, target.url))
    const count = res.ok ? ((await res.json()) as { count: number }).count : -1
    if (count >= target.accepted!) return (Date.now() - started) / 1000
    if (Date.now() - started > 300_000) throw new Error(`${target.name}: ${count} of ${target.accepted} processed`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

async function slot(target: Target, seconds: number): Promise<Result> {
  const cpu = cpuSeconds(target.child.pid)
  const own = cpuSeconds(target.child.pid, true)
  const broker = cpuSeconds(BROKER_PID)
  const r = await load(target.url, seconds)
  if (target.accepted !== undefined) {
    target.accepted += r['2xx']
    target.catchUpS.push(await catchUp(target))
  }
  target.cpuUs.push(((cpuSeconds(target.child.pid) - cpu) * 1e6) / r['2xx'])
  target.ownCpuUs.push(((cpuSeconds(target.child.pid, true) - own) * 1e6) / r['2xx'])
  target.brokerUs.push(((cpuSeconds(BROKER_PID) - broker) * 1e6) / r['2xx'])
  return r
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

const targets: Target[] = []
/** Adds a started target with empty results; `service`: it counts accepted ratings, to wait for their processing. */
function addTarget(name: string, started: { url: string; child: ChildProcess }, service = false): void {
  targets.push({
    name,
    ...started,
    ...(service ? { accepted: 0 } : {}),
    results: [],
    catchUpS: [],
    cpuUs: [],
    ownCpuUs: [],
    brokerUs: []
  })
}
const benchServer = (file: string): Promise<{ url: string; child: ChildProcess }> =>
  startChild(['--conditions=source', fileURLToPath(new URL(file, import.meta.url))])
const started = Date.now()
try {
  addTarget('bare Fastify 202', await startChild(['--input-type=module', '-e', BARE], dirname(AUTOCANNON)))
  if (TARGETS.has('app')) {
    addTarget('app without Kafka (test doubles), for the split', await benchServer('./app-only-server.ts'))
  }
  if (TARGETS.has('http')) {
    addTarget('HTTP path: app + acks=all producer, no engine', await benchServer('./http-path-server.ts'))
  }
  if (TARGETS.has('bare2')) {
    // The same bare route again: its ratio to the first one is the noise of this run.
    addTarget(
      'bare Fastify 202 again (its ratio is the noise of the run)',
      await startChild(['--input-type=module', '-e', BARE], dirname(AUTOCANNON))
    )
  }
  const services: Array<readonly [string, string, Record<string, string>]> = [
    ['inline', 'service, engine in the server process (ENGINE_MODE=inline)', { ENGINE_MODE: 'inline' }],
    ['nice0', 'service, engine in a child process at ENGINE_NICE=0', { ENGINE_MODE: 'process', ENGINE_NICE: '0' }],
    [
      'default',
      'service, engine in a child process at ENGINE_NICE=10 (default)',
      { ENGINE_MODE: 'process', ENGINE_NICE: '10' }
    ],
    ['variant', `service, default + ${JSON.stringify(VARIANT_ENV)}`, VARIANT_ENV]
  ]
  for (const [key, name, env] of services) {
    if (TARGETS.has(key)) addTarget(name, await startService(env), true)
  }
  const loadBefore = loadavg()
  for (const t of targets) await slot(t, Math.max(1, Math.round(DURATION_S / 2))) // warm-up, discarded
  for (const t of targets) {
    t.catchUpS.length = 0
    t.cpuUs.length = 0
    t.ownCpuUs.length = 0
    t.brokerUs.length = 0
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const t of targets) t.results.push(await slot(t, DURATION_S))
  }
  const loadAfter = loadavg()
  const bareRps = targets[0]!.results.map((r) => r.requests.average)
  console.log(
    `POST /rating, ${CONNECTIONS} connections, ${ROUNDS} rounds of ${DURATION_S} s per target, ${new Date().toISOString()}, ` +
      `${Math.round((Date.now() - started) / 1000)} s in all, load average ${loadBefore[0]!.toFixed(1)} before, ${loadAfter[0]!.toFixed(1)} after`
  )
  console.log(
    '| target | req/s (median) | p50 ms | p99 ms | errors/non-2xx | ratio to bare (median, min–max of rounds) | all ratings in the average after (median, max) | CPU µs/request: target (of which its engine child), broker |'
  )
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |')
  for (const t of targets) {
    const ratios = t.results.map((r, i) => r.requests.average / bareRps[i]!)
    const errors = t.results.reduce((n, r) => n + r.non2xx + r.errors + r.timeouts, 0)
    const caught =
      t.catchUpS.length === 0 ? '–' : `${median(t.catchUpS).toFixed(1)} s, ${Math.max(...t.catchUpS).toFixed(1)} s`
    console.log(
      `| ${t.name} | ${Math.round(median(t.results.map((r) => r.requests.average)))} | ${median(t.results.map((r) => r.latency.p50))} | ` +
        `${median(t.results.map((r) => r.latency.p99))} | ${errors} | ${median(ratios).toFixed(2)} (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}) | ${caught} | ` +
        `${median(t.cpuUs).toFixed(0)} (${median(t.cpuUs.map((c, i) => c - t.ownCpuUs[i]!)).toFixed(0)}), ${BROKER_PID === undefined ? '–' : median(t.brokerUs).toFixed(0)} |`
    )
  }
} finally {
  for (const t of targets) await stop(t.child)
}
