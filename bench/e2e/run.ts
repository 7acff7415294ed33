// End-to-end benchmark of the tutorial's running average on a real broker, side by side in one run: kstreams-ts,
// Kafka Streams (Java), @kafkats/flow and a raw consume/produce loop. Each configuration runs in its own child
// process against the same pre-produced input. The clock runs from the child's "started" line (printed just before
// start()) until the group has committed every input record (the ratings topic and, where there is one, the
// repartition topic); then the child is stopped and its output topic is read back and checked with Java's
// deserializer semantics (8-byte big-endian long keys and double values) against the exact final averages.
//
// Usage (bench/e2e.sh does the setup): node --conditions=source bench/e2e/run.ts [--records N] [--reps R]
//   [--only name,name] [--flow-records M] [--commit-ms MS]   env KAFKA_BOOTSTRAP (default 127.0.0.1:59092)
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, totalmem } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import { fileURLToPath } from 'node:url'
import { confluentClientProvider } from '../../packages/kstreams/src/internals/client/index.ts'
import type { AdminClient, ConsumerClient, TopicPartition } from '../../packages/kstreams/src/internals/client/index.ts'
import { expectedAverages, MOVIES, procStats, rating } from './common.ts'
import type { ChildEvent } from './common.ts'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const { values: args } = parseArgs({
  options: {
    records: { type: 'string', default: '200000' },
    reps: { type: 'string', default: '2' },
    only: { type: 'string' },
    'flow-records': { type: 'string', default: '20000' },
    'commit-ms': { type: 'string', default: '1000' },
    'stall-ms': { type: 'string', default: '60000' }
  }
})
const N = Number(args.records)
const REPS = Number(args.reps)
const FLOW_N = Math.min(N, Number(args['flow-records']))
const ALOS_COMMIT_MS = Number(args['commit-ms'])
const STALL_MS = Number(args['stall-ms'])
const BOOTSTRAP = process.env.KAFKA_BOOTSTRAP ?? '127.0.0.1:59092'
const NODE = process.execPath
const JAVA = process.env.JAVA ?? 'java'
const STATE_ROOT = `/tmp/kstreams-e2e-bench-${process.pid}`
const CACHE_ON = 10 * 1024 * 1024
const PARTITIONS = 3
const BROKER_PID =
  process.env.BROKER_PID === undefined || process.env.BROKER_PID === '' ? undefined : Number(process.env.BROKER_PID)

type Guarantee = 'at_least_once' | 'exactly_once_v2'
interface Config {
  readonly name: string
  readonly impl: 'ours' | 'java' | 'flow' | 'raw' | 'raw-same-io'
  readonly guarantee: Guarantee
  readonly cache: boolean
  /** The small input topic (flow is 20–50x slower than the rest). */
  readonly small: boolean
  /** Instances of ours in one group (the documented way to use more cores; default 1). */
  readonly instances?: number
}

const CONFIGS: Config[] = []
for (const guarantee of ['at_least_once', 'exactly_once_v2'] as const) {
  for (const cache of [false, true]) {
    const g = guarantee === 'at_least_once' ? 'alos' : 'eos'
    CONFIGS.push({ name: `ours-${g}-cache-${cache ? 'on' : 'off'}`, impl: 'ours', guarantee, cache, small: false })
    CONFIGS.push({ name: `java-${g}-cache-${cache ? 'on' : 'off'}`, impl: 'java', guarantee, cache, small: false })
  }
}
CONFIGS.push({
  name: 'ours-x2-alos-cache-off',
  impl: 'ours',
  guarantee: 'at_least_once',
  cache: false,
  small: false,
  instances: 2
})
CONFIGS.push({
  name: 'ours-x2-alos-cache-on',
  impl: 'ours',
  guarantee: 'at_least_once',
  cache: true,
  small: false,
  instances: 2
})
CONFIGS.push({
  name: 'ours-x2-eos-cache-off',
  impl: 'ours',
  guarantee: 'exactly_once_v2',
  cache: false,
  small: false,
  instances: 2
})
CONFIGS.push({ name: 'raw-loop', impl: 'raw', guarantee: 'at_least_once', cache: false, small: false })
CONFIGS.push({ name: 'raw-same-io', impl: 'raw-same-io', guarantee: 'at_least_once', cache: false, small: false })
CONFIGS.push({ name: 'flow-alos', impl: 'flow', guarantee: 'at_least_once', cache: false, small: true })
CONFIGS.push({ name: 'flow-eos', impl: 'flow', guarantee: 'exactly_once_v2', cache: false, small: true })
const selected =
  args.only === undefined ? CONFIGS : CONFIGS.filter((c) => args.only?.split(',').some((o) => c.name.startsWith(o)))

interface RunResult {
  readonly config: string
  readonly rep: number
  readonly records: number
  readonly load1: number
  readonly ok: boolean
  readonly note: string
  readonly seconds: number
  readonly recordsPerSecond: number
  readonly cpuSecondsPer100k: number | null
  readonly peakRssMb: number | null
  /** CPU the broker spent during the run (same machine: it competes with the client for the 2 cores). */
  readonly brokerCpuSecondsPer100k: number | null
  /** Lines our children print on stderr at shutdown (memory use, engine metrics). */
  readonly diagnostics: string[]
  readonly outputRecords: number
}

const logger = { log: (level: string, message: string) => level === 'error' && console.error(`[client] ${message}`) }
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
const log = (message: string): void => console.error(`[e2e] ${message}`)

async function produceInput(admin: AdminClient, topic: string, n: number): Promise<void> {
  await admin.createTopics([{ topic, partitions: PARTITIONS, replicationFactor: 1 }])
  const producer = await confluentClientProvider.createProducer({
    properties: { 'bootstrap.servers': BOOTSTRAP, 'linger.ms': 20 },
    logger
  })
  const now = Date.now()
  for (let i = 0; i < n; i++) {
    const r = rating(i)
    const key = Buffer.allocUnsafe(8)
    key.writeBigInt64BE(BigInt(r.movieId))
    const record = { topic, key, value: Buffer.from(JSON.stringify(r)), timestamp: now }
    while (!producer.produce(record)) await producer.flush(60_000)
  }
  await producer.flush(60_000)
  await producer.close()
}

function childCommand(c: Config, appId: string, input: string, output: string, stateDir: string): [string, string[]] {
  const cacheBytes = String(c.cache ? CACHE_ON : 0)
  const commitMs = String(c.guarantee === 'exactly_once_v2' ? 100 : ALOS_COMMIT_MS)
  switch (c.impl) {
    case 'ours':
      return [
        NODE,
        [
          '--conditions=source',
          ...cpuProf(c),
          join(ROOT, 'bench/e2e/ours.ts'),
          BOOTSTRAP,
          appId,
          input,
          output,
          c.guarantee,
          cacheBytes,
          commitMs,
          stateDir
        ]
      ]
    case 'raw':
      return [
        NODE,
        [
          '--conditions=source',
          ...cpuProf(c),
          join(ROOT, 'bench/e2e/raw-loop.ts'),
          BOOTSTRAP,
          appId,
          input,
          output,
          commitMs
        ]
      ]
    case 'raw-same-io':
      return [
        NODE,
        [
          '--conditions=source',
          ...cpuProf(c),
          join(ROOT, 'bench/e2e/raw-same-io.ts'),
          BOOTSTRAP,
          appId,
          input,
          output,
          commitMs
        ]
      ]
    case 'flow':
      return [
        NODE,
        [
          join(ROOT, 'bench/peers/flow-running-average.ts'),
          BOOTSTRAP,
          appId,
          input,
          output,
          c.guarantee,
          String(FLOW_N)
        ]
      ]
    case 'java':
      return [
        JAVA,
        [
          '-Xms256m',
          '-Xmx1g',
          '-cp',
          `${join(ROOT, 'bench/java/target/classes')}:${join(ROOT, 'bench/java/target/lib/*')}`,
          'bench.E2eRunningAverage',
          BOOTSTRAP,
          appId,
          input,
          output,
          c.guarantee,
          cacheBytes,
          commitMs,
          stateDir
        ]
      ]
  }
}

// E2E_CPU_PROF=dir writes a V8 CPU profile of our children (ours, raw loop) into dir.
function cpuProf(c: Config): string[] {
  const dir = process.env.E2E_CPU_PROF
  return dir === undefined || dir === ''
    ? []
    : ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${c.name}-${Date.now()}.cpuprofile`]
}

interface Child {
  readonly proc: ChildProcess
  readonly events: ChildEvent[]
  readonly stderr: string[]
  exited: boolean
}

function startChild(cmd: string, argv: string[], env: NodeJS.ProcessEnv): Child {
  const proc = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT, env })
  const child: Child = { proc, events: [], stderr: [], exited: false }
  createInterface({ input: proc.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    try {
      child.events.push(JSON.parse(line) as ChildEvent)
    } catch {
      // Libraries may print on stdout; only our JSON lines are events.
    }
  })
  createInterface({ input: proc.stderr as NodeJS.ReadableStream }).on('line', (line) => {
    if (child.stderr.length < 200) child.stderr.push(line)
  })
  proc.on('exit', () => (child.exited = true))
  return child
}

async function stopChild(child: Child): Promise<void> {
  if (child.exited) return
  child.proc.kill('SIGTERM')
  const deadline = Date.now() + 45_000
  while (!child.exited && Date.now() < deadline) await sleep(50)
  if (!child.exited) {
    log(`child ${child.proc.pid} did not stop within 45 s: SIGKILL`)
    child.proc.kill('SIGKILL')
    while (!child.exited) await sleep(50)
  }
}

const partitionsOf = (topic: string): TopicPartition[] =>
  Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition }))

// A partition without a committed offset comes back as undefined or librdkafka's -1001 (INVALID).
const offsetOf = (offset: number | undefined): number => (typeof offset === 'number' && offset >= 0 ? offset : 0)

interface Progress {
  inputCommitted: number
  done: boolean
}

/** Committed input and whether the group is done: input committed to its end, repartition topics consumed. */
async function progress(
  monitor: ConsumerClient,
  admin: AdminClient,
  c: Config,
  appId: string,
  input: string,
  inputEnd: Map<number, number>
): Promise<Progress> {
  const committed = await monitor.committed(partitionsOf(input))
  let inputCommitted = 0
  let inputDone = true
  for (const o of committed) {
    const offset = offsetOf(o.offset)
    inputCommitted += offset
    if (offset < (inputEnd.get(o.partition) as number)) inputDone = false
  }
  if (!inputDone) return { inputCommitted, done: false }
  // Under exactly-once the last transaction's commit marker follows the last record, so a committed offset one
  // short of the end is complete; at-least-once has no markers.
  const slack = c.guarantee === 'exactly_once_v2' ? 1 : 0
  const repartition = (await admin.listTopics()).filter((t) => t.startsWith(`${appId}-`) && t.endsWith('-repartition'))
  for (const topic of repartition) {
    const offsets = await monitor.committed(partitionsOf(topic))
    for (const o of offsets) {
      const { high } = await monitor.watermarks({ topic, partition: o.partition })
      if (offsetOf(o.offset) < high - slack) return { inputCommitted, done: false }
    }
  }
  if (c.impl !== 'raw' && c.impl !== 'flow' && repartition.length === 0) return { inputCommitted, done: false }
  return { inputCommitted, done: true }
}

/** Reads the output topic back; returns the last average per movie, the record count and format violations. */
async function readOutput(
  topic: string,
  guarantee: Guarantee
): Promise<{ finals: Map<number, number>; count: number; malformed: number }> {
  const consumer = await confluentClientProvider.createConsumer({
    properties: {
      'bootstrap.servers': BOOTSTRAP,
      'group.id': `e2e-verify-${randomUUID()}`,
      'isolation.level': guarantee === 'exactly_once_v2' ? 'read_committed' : 'read_uncommitted'
    },
    logger
  })
  try {
    await consumer.assign(partitionsOf(topic).map((p) => ({ ...p, offset: 0 })))
    const finals = new Map<number, number>()
    let count = 0
    let malformed = 0
    let idle = 0
    while (idle < 6) {
      const records = await consumer.consume(5000, 250)
      if (records.length === 0) {
        idle++
        continue
      }
      idle = 0
      for (const r of records) {
        count++
        // Java's LongDeserializer and DoubleDeserializer reject anything but exactly 8 bytes.
        if (r.key === null || r.key.length !== 8 || r.value === null || r.value.length !== 8) {
          malformed++
          continue
        }
        finals.set(Number(r.key.readBigInt64BE(0)), r.value.readDoubleBE(0))
      }
    }
    return { finals, count, malformed }
  } finally {
    await consumer.close()
  }
}

async function runOnce(
  admin: AdminClient,
  c: Config,
  rep: number,
  input: string,
  n: number,
  expected: Map<number, number>,
  inputEnd: Map<number, number>
): Promise<RunResult> {
  const appId = `e2e-${c.name}-${rep}-${randomUUID().slice(0, 6)}`
  const output = `${appId}-out`
  const stateDir = join(STATE_ROOT, appId)
  mkdirSync(stateDir, { recursive: true })
  await admin.createTopics([{ topic: output, partitions: PARTITIONS, replicationFactor: 1 }])
  const monitor = await confluentClientProvider.createConsumer({
    properties: { 'bootstrap.servers': BOOTSTRAP, 'group.id': appId },
    logger
  })
  const load1 = Number(loadavg()[0]?.toFixed(2))
  const env = { ...process.env }
  const children = Array.from({ length: c.instances ?? 1 }, (_, i) => {
    const [cmd, argv] = childCommand(c, appId, input, output, `${stateDir}/${i}`)
    return startChild(cmd, argv, env)
  })
  const child = children[0] as Child
  let note = ''
  let ok = false
  let seconds = NaN
  let stats: ReturnType<typeof procStats>
  let brokerCpu: number | undefined
  try {
    const startDeadline = Date.now() + 120_000
    let started: number | undefined
    while (started === undefined) {
      const at = children
        .map((ch) => ch.events.find((x) => x.event === 'started'))
        .map((e) => (e?.event === 'started' ? e.at : undefined))
      if (at.every((x) => x !== undefined)) started = Math.min(...(at as number[]))
      else if (children.some((ch) => ch.exited) || Date.now() > startDeadline) {
        throw new Error(`child did not start: ${children.flatMap((ch) => ch.stderr.slice(-5)).join(' | ')}`)
      } else await sleep(20)
    }
    const brokerBefore = BROKER_PID === undefined ? undefined : procStats(BROKER_PID)?.cpuSeconds
    let lastCommitted = -1
    let lastProgressAt = Date.now()
    for (;;) {
      const p = await progress(monitor, admin, c, appId, input, inputEnd)
      const now = Date.now()
      const each = children.map((ch) => procStats(ch.proc.pid as number))
      if (each.every((x) => x !== undefined)) {
        stats = {
          cpuSeconds: each.reduce((sum, x) => sum + (x?.cpuSeconds ?? 0), 0),
          peakRssMb: each.reduce((sum, x) => sum + (x?.peakRssMb ?? 0), 0)
        }
      }
      if (p.done) {
        seconds = (now - started) / 1000
        const brokerAfter = BROKER_PID === undefined ? undefined : procStats(BROKER_PID)?.cpuSeconds
        if (brokerBefore !== undefined && brokerAfter !== undefined) brokerCpu = brokerAfter - brokerBefore
        ok = true
        break
      }
      if (p.inputCommitted !== lastCommitted) {
        lastCommitted = p.inputCommitted
        lastProgressAt = now
      }
      const failed = children.flatMap((ch) => ch.events).find((x) => x.event === 'error')
      if (failed !== undefined || children.some((ch) => ch.exited)) {
        throw new Error(
          `child failed: ${failed?.event === 'error' ? failed.message : children.flatMap((ch) => ch.stderr.slice(-5)).join(' | ')}`
        )
      }
      if (now - lastProgressAt > STALL_MS) {
        // @kafkats/flow's committed offsets have been seen to stop short of the end: then its own count of
        // processed records (printed when it reaches the input size) is the only end signal left.
        const processed = child.events.find((x) => x.event === 'processed')
        note = `committed offsets stalled at ${p.inputCommitted} of ${n}`
        if (processed !== undefined && processed.event === 'processed') {
          seconds = (processed.at - started) / 1000
          note += '; time is until all records were processed'
          ok = true
        }
        break
      }
      await sleep(100)
    }
  } catch (error) {
    note = (error as Error).message
  } finally {
    await Promise.all(children.map(stopChild))
    await monitor.close()
  }
  const out = await readOutput(output, c.guarantee)
  let wrong = 0
  for (const [movie, avg] of expected) if (out.finals.get(movie) !== avg) wrong++
  if (wrong > 0 || out.malformed > 0) {
    ok = false
    note =
      `${note}${note === '' ? '' : '; '}${wrong} of ${expected.size} final averages wrong, ${out.malformed} malformed records`.trim()
  }
  const internal = (await admin.listTopics()).filter((t) => t.startsWith(`${appId}-`))
  await admin.deleteTopics(internal)
  rmSync(stateDir, { recursive: true, force: true })
  return {
    config: c.name,
    rep,
    records: n,
    load1,
    ok,
    note,
    seconds: Number(seconds.toFixed(2)),
    recordsPerSecond: Number.isFinite(seconds) ? Math.round(n / seconds) : 0,
    cpuSecondsPer100k: stats === undefined ? null : Number(((stats.cpuSeconds * 100_000) / n).toFixed(2)),
    peakRssMb: stats?.peakRssMb ?? null,
    diagnostics: children.flatMap((ch) => ch.stderr.filter((line) => line.startsWith('[ours]'))),
    brokerCpuSecondsPer100k: brokerCpu === undefined ? null : Number(((brokerCpu * 100_000) / n).toFixed(2)),
    outputRecords: out.count
  }
}

async function endOffsets(consumer: ConsumerClient, topic: string): Promise<Map<number, number>> {
  const out = new Map<number, number>()
  for (const p of partitionsOf(topic)) out.set(p.partition, (await consumer.watermarks(p)).high)
  return out
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return Math.round(s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2)
}

const admin = await confluentClientProvider.createAdmin({ properties: { 'bootstrap.servers': BOOTSTRAP }, logger })
const runId = randomUUID().slice(0, 6)
const bigInput = `e2e-ratings-${runId}`
const smallInput = `e2e-ratings-small-${runId}`
const needSmall = selected.some((c) => c.small)
const needBig = selected.some((c) => !c.small)
log(`pre-producing ${N} ratings${needSmall ? ` (and ${FLOW_N} for @kafkats/flow)` : ''} into 3-partition topics`)
if (needBig) await produceInput(admin, bigInput, N)
if (needSmall) await produceInput(admin, smallInput, FLOW_N)
const probe = await confluentClientProvider.createConsumer({
  properties: { 'bootstrap.servers': BOOTSTRAP, 'group.id': `e2e-probe-${runId}` },
  logger
})
const bigEnd = needBig ? await endOffsets(probe, bigInput) : new Map<number, number>()
const smallEnd = needSmall ? await endOffsets(probe, smallInput) : new Map<number, number>()
await probe.close()
const expectedBig = expectedAverages(N)
const expectedSmall = expectedAverages(FLOW_N)

const results: RunResult[] = []
try {
  for (let rep = 1; rep <= REPS; rep++) {
    for (const c of selected) {
      const n = c.small ? FLOW_N : N
      log(`${c.name} rep ${rep}: ${n} records, load ${loadavg()[0]?.toFixed(2)}`)
      const r = await runOnce(
        admin,
        c,
        rep,
        c.small ? smallInput : bigInput,
        n,
        c.small ? expectedSmall : expectedBig,
        c.small ? smallEnd : bigEnd
      )
      log(
        `  ${r.ok ? 'ok' : 'FAILED'} ${r.seconds} s, ${r.recordsPerSecond} rec/s, cpu ${r.cpuSecondsPer100k} s/100k, rss ${r.peakRssMb} MB, ${r.outputRecords} outputs ${r.note}`
      )
      results.push(r)
    }
  }
} finally {
  await admin.deleteTopics([bigInput, smallInput])
  await admin.close()
  rmSync(STATE_ROOT, { recursive: true, force: true })
}

// ---- report ----------------------------------------------------------------------------------------------------

const byConfig = new Map<string, RunResult[]>()
for (const r of results) byConfig.set(r.config, [...(byConfig.get(r.config) ?? []), r])
const rate = (name: string): number | undefined => {
  const ok = (byConfig.get(name) ?? []).filter((r) => r.ok)
  return ok.length === 0 ? undefined : median(ok.map((r) => r.recordsPerSecond))
}
const fmt = (x: number): string => x.toLocaleString('en-US')
const range = (xs: Array<number | null>, f: (x: number) => string = String): string => {
  const v = xs.filter((x): x is number => x !== null)
  return v.length === 0 ? '' : `${f(Math.min(...v))}–${f(Math.max(...v))}`
}
const lines: string[] = [
  '| Configuration | Records | rec/s (median) | rec/s range | CPU s / 100k | Broker CPU s / 100k | Peak RSS MB | Outputs | Load (1 min) | Runs |',
  '|---|---:|---:|---:|---:|---:|---:|---:|---:|---|'
]
for (const [name, rs] of byConfig) {
  const ok = rs.filter((r) => r.ok)
  const notes = [...new Set(rs.map((r) => r.note).filter((x) => x !== ''))].join('; ')
  const cells = [
    name,
    fmt(rs[0]?.records ?? 0),
    ok.length === 0 ? 'failed' : fmt(median(ok.map((r) => r.recordsPerSecond))),
    range(
      ok.map((r) => r.recordsPerSecond),
      fmt
    ),
    range(ok.map((r) => r.cpuSecondsPer100k)),
    range(ok.map((r) => r.brokerCpuSecondsPer100k)),
    range(ok.map((r) => r.peakRssMb)),
    [...new Set(rs.map((r) => fmt(r.outputRecords)))].join(', '),
    rs.map((r) => r.load1).join(', '),
    `${ok.length}/${rs.length} ok${notes === '' ? '' : `; ${notes}`}`
  ]
  lines.push(`| ${cells.join(' | ')} |`)
}
const ratios: string[] = []
const ratio = (label: string, a: string, b: string, goal: number): void => {
  const x = rate(a)
  const y = rate(b)
  if (x === undefined || y === undefined) return
  const v = x / y
  ratios.push(`| ${label} | ${a} / ${b} | ${v.toFixed(2)} | ≥ ${goal} | ${v >= goal ? 'met' : 'not met'} |`)
}
for (const g of ['alos', 'eos']) {
  for (const cache of ['off', 'on']) {
    ratio(`ours / Java (${g}, cache ${cache})`, `ours-${g}-cache-${cache}`, `java-${g}-cache-${cache}`, 1)
  }
}
for (const cache of ['off', 'on']) {
  ratio(`ours EOS / ALOS (cache ${cache})`, `ours-eos-cache-${cache}`, `ours-alos-cache-${cache}`, 0.8)
}
for (const cache of ['off', 'on']) {
  ratio(`Java EOS / ALOS (cache ${cache}, reference)`, `java-eos-cache-${cache}`, `java-alos-cache-${cache}`, 0.8)
}
ratio('ours / raw loop (ALOS, cache off)', 'ours-alos-cache-off', 'raw-loop', 0.7)
ratio('ours / raw loop (ALOS, cache on)', 'ours-alos-cache-on', 'raw-loop', 0.7)
ratio('ours, 2 instances / Java, 1 stream thread (alos, cache off)', 'ours-x2-alos-cache-off', 'java-alos-cache-off', 1)
ratio('ours, 2 instances / Java, 1 stream thread (alos, cache on)', 'ours-x2-alos-cache-on', 'java-alos-cache-on', 1)
ratio('ours, 2 instances / Java, 1 stream thread (eos, cache off)', 'ours-x2-eos-cache-off', 'java-eos-cache-off', 1)
ratio('ours / raw loop with the same Kafka I/O (ALOS, cache off)', 'ours-alos-cache-off', 'raw-same-io', 0.7)
ratio('ours / @kafkats/flow (ALOS, cache off)', 'ours-alos-cache-off', 'flow-alos', 1)
ratio('ours / @kafkats/flow (EOS, cache off)', 'ours-eos-cache-off', 'flow-eos', 1)

const header = `${new Date().toISOString()}: ${N} ratings (flow: ${FLOW_N}), ${MOVIES} movies, ${PARTITIONS} partitions, ${REPS} reps, ALOS commit.interval.ms=${ALOS_COMMIT_MS}, EOS 100; ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB; node ${process.version}`
console.log(header)
console.log()
console.log(lines.join('\n'))
console.log()
console.log('| Ratio | Of | Value | Goal | |')
console.log('|---|---|---:|---:|---|')
console.log(ratios.join('\n'))
mkdirSync(join(ROOT, 'bench/results'), { recursive: true })
const file = join(ROOT, `bench/results/e2e-${new Date().toISOString().replace(/[:.]/g, '-')}.json`)
writeFileSync(file, JSON.stringify({ header, results }, null, 2))
log(`raw results: ${file}`)
