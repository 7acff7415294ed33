// Random schedules for the property tests: a list of steps (produce input, let the instances work, faults,
// crashes, restarts, rebalances among up to three instances), the fast-check arbitrary that generates them, and the
// runner that plays one on a fresh SimCluster and returns the invariant violations it found.
import fc from 'fast-check'
import type { SimClusterOptions } from './cluster.ts'
import { SimCluster } from './cluster.ts'
import { ADAPTER_BOUNDED, type ErrorKind, type FaultAction, type SimMethod } from './faults.ts'
import { SimApp } from './harness.ts'
import { committedRows, produceInput, repartitionTopic, type Scenario } from './topologies.ts'

export type Step =
  | { readonly kind: 'produce'; readonly records: ReadonlyArray<readonly [number, number]> }
  /** Lets the instances work until they have caught up, at most `ms`. */
  | { readonly kind: 'process'; readonly ms: number }
  | { readonly kind: 'start'; readonly slot: number }
  | { readonly kind: 'stop'; readonly slot: number }
  | { readonly kind: 'crash'; readonly slot: number }
  | { readonly kind: 'restart'; readonly slot: number; readonly keepState: boolean }
  | {
      readonly kind: 'fault'
      readonly slot: number
      readonly method: SimMethod
      readonly action: FaultAction
      readonly times: number
    }
  | { readonly kind: 'outage'; readonly slot: number | null; readonly ms: number; readonly mode: 'fail' | 'delay' }
  /** A rebalance on demand (as a member joining and leaving). */
  | { readonly kind: 'rebalance' }

export interface Settings {
  readonly guarantee: 'exactly_once_v2' | 'at_least_once'
  /** Record cache on: output and changelogs carry a subsequence of the updates. */
  readonly cached: boolean
  readonly cooperative: boolean
  readonly cluster: SimClusterOptions
}

export interface Schedule {
  readonly settings: Settings
  readonly steps: readonly Step[]
}

const SLOTS = [1, 2, 3]

/** Producer calls that can fail with the transactional error classes (abortable, fatal, fenced). */
const PRODUCER_TXN: ReadonlySet<SimMethod> = new Set([
  'produce',
  'initTransactions',
  'beginTransaction',
  'sendOffsetsToTransaction',
  'commitTransaction',
  'abortTransaction'
])

/** Methods a fault may hit; `only` narrows them (e.g. to keep out one that a known runtime bug reacts to). */
export const FAULT_METHODS: readonly SimMethod[] = [
  'produce',
  'flush',
  'initTransactions',
  'beginTransaction',
  'sendOffsetsToTransaction',
  'commitTransaction',
  'abortTransaction',
  'consume',
  'commit',
  'committed',
  'seek',
  'watermarks'
]

export interface ArbitraryOptions {
  readonly guarantee: Settings['guarantee']
  readonly methods?: readonly SimMethod[]
  readonly errors?: readonly ErrorKind[]
  /** Allow 'hang' faults (default true), on the calls the adapter bounds (see FaultAction). */
  readonly hangs?: boolean
  /** Also on the calls nothing bounds, which then never settle. */
  readonly unboundedHangs?: boolean
  readonly maxSteps?: number
  /** How calls behave during an outage (default both: fail at once, or wait for the broker). */
  readonly outageModes?: ReadonlyArray<'fail' | 'delay'>
}

export function scheduleArbitrary(o: ArbitraryOptions): fc.Arbitrary<Schedule> {
  const slot = fc.constantFrom(...SLOTS)
  const errors = o.errors ?? ['retriable', 'abortable', 'fatal', 'fenced', 'plain']
  // Abortable, fatal and fenced are transactional-producer errors; a consumer or flush fails retriably or plainly.
  // beginTransaction is local in librdkafka: it fails only because the producer is already fenced or failed.
  const errorsOf = (method: SimMethod): ErrorKind[] =>
    method === 'beginTransaction'
      ? errors.filter((e) => e === 'fatal' || e === 'fenced')
      : PRODUCER_TXN.has(method)
        ? [...errors]
        : errors.filter((e) => e === 'retriable' || e === 'plain')
  const actionsOf = (method: SimMethod): Array<fc.Arbitrary<FaultAction>> => {
    const list: Array<fc.Arbitrary<FaultAction>> =
      method === 'beginTransaction'
        ? []
        : [fc.integer({ min: 1, max: 30 }).map((ms) => ({ kind: 'timeout' as const, ms }))]
    const kinds = errorsOf(method)
    if (kinds.length > 0) list.push(fc.constantFrom(...kinds).map((error) => ({ kind: 'error' as const, error })))
    if (hangs && (ADAPTER_BOUNDED.has(method) || o.unboundedHangs === true)) list.push(hang)
    return list
  }
  const hangs = o.hangs !== false
  const hang = fc.constant({ kind: 'hang' as const })
  const step: fc.Arbitrary<Step> = fc.oneof(
    {
      weight: 5,
      arbitrary: fc
        .array(fc.tuple(fc.nat(1000), fc.nat(1000)), { minLength: 1, maxLength: 8 })
        .map((records) => ({ kind: 'produce' as const, records }))
    },
    { weight: 4, arbitrary: fc.integer({ min: 0, max: 60 }).map((ms) => ({ kind: 'process' as const, ms })) },
    { weight: 2, arbitrary: slot.map((s) => ({ kind: 'start' as const, slot: s })) },
    { weight: 1, arbitrary: slot.map((s) => ({ kind: 'stop' as const, slot: s })) },
    { weight: 1, arbitrary: slot.map((s) => ({ kind: 'crash' as const, slot: s })) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(slot, fc.boolean())
        .map(([s, keepState]) => ({ kind: 'restart' as const, slot: s, keepState }))
    },
    {
      weight: 3,
      arbitrary: fc
        .constantFrom(...(o.methods ?? FAULT_METHODS))
        .chain((method) =>
          fc.record({
            slot,
            method: fc.constant(method),
            action: fc.oneof(...actionsOf(method)),
            times: fc.integer({ min: 1, max: 3 })
          })
        )
        .map((f) => ({ kind: 'fault' as const, ...f }))
    },
    {
      weight: 1,
      arbitrary: fc
        .record({
          slot: fc.option(slot, { nil: null }),
          ms: fc.integer({ min: 5, max: 150 }),
          mode: fc.constantFrom(...(o.outageModes ?? (['fail', 'delay'] as const)))
        })
        .map((f) => ({ kind: 'outage' as const, ...f }))
    },
    { weight: 1, arbitrary: fc.constant({ kind: 'rebalance' as const }) }
  )
  const settings = fc.record({
    guarantee: fc.constant(o.guarantee),
    cached: fc.boolean(),
    cooperative: fc.boolean(),
    cluster: fc.record({
      txnTimeout: fc.constantFrom('fenced' as const, 'abortable' as const),
      committedWatermark: fc.constantFrom('lso' as const, 'end' as const)
    })
  })
  return fc.record({
    settings,
    steps: fc.array(step, { minLength: 1, maxLength: o.maxSteps ?? 12 })
  })
}

export interface RunResult {
  readonly violations: string[]
  readonly log: readonly string[]
  readonly faults: readonly string[]
}

/** How long the instances get, after every fault healed, to be RUNNING and caught up on every source partition. */
export const LIVENESS_MS = 8_000

let appCounter = 0

/** Plays `schedule` on a fresh cluster with `scenario` and checks the invariants of its guarantee. */
export async function runSchedule(scenario: Scenario, schedule: Schedule): Promise<RunResult> {
  const { settings } = schedule
  const cluster = new SimCluster(settings.cluster)
  for (const t of [...scenario.inputs, ...scenario.outputs]) cluster.createTopic(t.topic, t.partitions)
  const appId = `app-${++appCounter}`
  const app = new SimApp(cluster, {
    applicationId: appId,
    topology: scenario.build,
    config: {
      'bootstrap.servers': 'sim:9092',
      'processing.guarantee': settings.guarantee,
      'commit.interval.ms': 10,
      'poll.ms': 10,
      'statestore.cache.max.bytes': settings.cached ? 1024 * 1024 : 0,
      'session.timeout.ms': 150,
      'max.poll.interval.ms': 3000,
      'transaction.timeout.ms': 200,
      'partition.assignment.strategy': settings.cooperative ? 'cooperative-sticky' : 'range'
    }
  })
  const inputTopics = scenario.inputs.map((t) => t.topic)
  const violations: string[] = []
  let produced = 0
  try {
    await app.start(1)
    for (const step of schedule.steps) {
      await play(step)
      violations.push(...offsetsAhead(scenario, cluster, appId))
      if (violations.length > 0) break
    }
    if (violations.length === 0) {
      cluster.faults.heal()
      if (app.live().length === 0) await app.start(1)
      const live = await cluster.until(() => app.caughtUp(inputTopics), LIVENESS_MS)
      if (!live) violations.push(`not caught up ${LIVENESS_MS} ms after the faults healed: ${describe()}`)
    }
    await app.dispose()
    if (app.unclosed.length > 0) violations.push(`close() did not finish within 20 s: ${app.unclosed.join(', ')}`)
    if (violations.length === 0) {
      violations.push(
        ...(settings.guarantee === 'exactly_once_v2'
          ? scenario.checkExact(cluster, appId, settings.cached)
          : scenario.checkAtLeastOnce(cluster, appId))
      )
    }
  } finally {
    cluster.close()
  }
  return { violations, log: app.log.lines, faults: cluster.faults.fired }

  function describe(): string {
    const g = cluster.groups.get(appId)
    const lag: string[] = []
    for (const topic of app.sourceTopics(inputTopics)) {
      for (const log of cluster.logs(topic)) {
        const c = g?.committed.get(`${topic}:${log.partition}`)
        lag.push(`${topic}-${log.partition} committed ${c} lso ${log.lso} end ${log.end}`)
      }
    }
    const errors = app
      .live()
      .filter((i) => i.streams.error !== null)
      .map((i) => `${i.name}: ${(i.streams.error as Error)?.message}`)
    return `states ${JSON.stringify(app.states())}, group ${g?.state} gen ${g?.generation} members ${g?.members.size}; ${lag.join('; ')}${errors.length ? '; errors: ' + errors.join(' | ') : ''}`
  }

  async function play(step: Step): Promise<void> {
    switch (step.kind) {
      case 'produce':
        for (const [a, b] of step.records) produceInput(cluster, scenario.input(produced++, a, b))
        return
      case 'process':
        await cluster.until(() => app.caughtUp(inputTopics), step.ms)
        return
      case 'start':
        if (!app.slots.has(step.slot)) await app.start(step.slot)
        return
      case 'stop':
        // The last instance stays: a schedule without any would only wait.
        if (app.slots.has(step.slot) && app.live().length > 1) await app.stop(step.slot)
        return
      case 'crash':
        if (app.live().length > 1) app.crash(step.slot)
        return
      case 'restart':
        if (app.slots.has(step.slot)) await app.restart(step.slot, step.keepState)
        return
      case 'fault': {
        const inc = app.slots.get(step.slot)
        if (inc !== undefined) {
          cluster.faults.inject({ instance: inc.name, method: step.method, action: step.action, times: step.times })
        }
        return
      }
      case 'outage': {
        const inc = step.slot === null ? undefined : app.slots.get(step.slot)
        if (step.slot !== null && inc === undefined) return
        cluster.faults.unreachable(inc?.name, step.ms, step.mode)
        return
      }
      case 'rebalance':
        cluster.groups.get(appId)?.rebalance()
    }
  }
}

/**
 * "Committed offsets never run ahead of committed output", for the running average: every input below the group's
 * committed offset reached the repartition topic, and every repartition record below its committed offset is counted
 * in its movie's committed total.
 */
function offsetsAhead(scenario: Scenario, cluster: SimCluster, appId: string): string[] {
  if (scenario.name !== 'running-average') return []
  const errors: string[] = []
  // Output committed behind another instance's open transaction counts: it is invisible to read_committed readers
  // until that transaction ends (the LSO), but it is committed, and a commit cannot wait for another producer.
  const through = new Set(
    committedRows(cluster, repartitionTopic(cluster, appId), true).map((r) => r.value?.readDoubleBE(0))
  )
  for (const log of cluster.logs('ratings')) {
    const c = cluster.committedOffset(appId, { topic: 'ratings', partition: log.partition }) ?? 0
    for (const e of log.read(0, 'read_committed', Number.MAX_SAFE_INTEGER).records) {
      if (e.offset >= c) break
      const rating = (JSON.parse(String(e.value)) as { rating: number }).rating
      if (!through.has(rating)) {
        errors.push(`ratings-${log.partition} committed at ${c} but rating ${rating} not output`)
      }
    }
  }
  const counted = new Map<number, number>()
  for (const r of committedRows(cluster, `${appId}-movie-count-sum-changelog`, true)) {
    const movie = Number(r.key?.readBigInt64BE(0))
    counted.set(movie, (JSON.parse(String(r.value)) as { count: number }).count)
  }
  const topic = repartitionTopic(cluster, appId)
  for (const log of cluster.logs(topic)) {
    const c = cluster.committedOffset(appId, { topic, partition: log.partition }) ?? 0
    const below = new Map<number, number>()
    for (const e of log.durable()) {
      if (e.offset >= c) break
      const movie = Number(e.key?.readBigInt64BE(0))
      below.set(movie, (below.get(movie) ?? 0) + 1)
    }
    for (const [movie, n] of below) {
      if ((counted.get(movie) ?? 0) < n) {
        errors.push(
          `${topic}-${log.partition} committed at ${c} (${n} records of movie ${movie}) but its total counts ${counted.get(movie) ?? 0}`
        )
      }
    }
  }
  return errors
}
