// The topologies the property tests run, each with its input generator and the checks of its output topic and
// stores (changelogs, read committed from the simulator) against the fold of the input.
import {
  Consumed,
  Grouped,
  KeyValue,
  Materialized,
  Produced,
  Serdes,
  StreamsBuilder,
  TimeWindows
} from '../../../src/index.ts'
import type { Topology } from '../../../src/index.ts'
import { partitionForKey } from '../../../src/runtime/internals/murmur2.ts'
import type { SimCluster } from './cluster.ts'

export interface InputRecord {
  readonly topic: string
  readonly key: Buffer | null
  readonly value: Buffer | null
  readonly timestamp: number
}

export interface Scenario {
  readonly name: string
  readonly inputs: ReadonlyArray<{ topic: string; partitions: number }>
  /** User topics the topology writes to (created by the test, as an operator would). */
  readonly outputs: ReadonlyArray<{ topic: string; partitions: number }>
  readonly build: () => Topology
  /** Input record number `i`, from two small generated numbers. */
  readonly input: (i: number, a: number, b: number) => InputRecord
  /** Violations of exactly-once: output and stores are exactly the fold of the committed input. */
  readonly checkExact: (cluster: SimCluster, appId: string, cached: boolean) => string[]
  /** Violations of at-least-once: every input is reflected at least once. */
  readonly checkAtLeastOnce: (cluster: SimCluster, appId: string) => string[]
}

export interface Row {
  readonly partition: number
  readonly offset: number
  readonly key: Buffer | null
  readonly value: Buffer | null
}

/** The read_committed content of a topic, partition by partition. */
export function committedRows(cluster: SimCluster, topic: string, pastLso = false): Row[] {
  const out: Row[] = []
  for (const log of cluster.logs(topic)) {
    for (const e of pastLso ? log.durable() : log.committed()) {
      out.push({ partition: log.partition, offset: e.offset, key: e.key, value: e.value })
    }
  }
  return out
}

/** Writes an input record directly to the log (a plain idempotent producer, outside any fault). */
export function produceInput(cluster: SimCluster, r: InputRecord): void {
  const logs = cluster.logs(r.topic)
  const p = r.key === null ? 0 : partitionForKey(r.key, logs.length)
  logs[p]?.append(r.key, r.value, r.timestamp, [], null)
  cluster.notify()
}

/** The application's repartition topic (the scenarios have one each). */
export function repartitionTopic(cluster: SimCluster, appId: string): string {
  const t = [...cluster.topics.keys()].find((n) => n.startsWith(`${appId}-`) && n.endsWith('-repartition'))
  return t ?? `${appId}-<no repartition topic>`
}

const long = (n: bigint | number): Buffer => {
  const b = Buffer.alloc(8)
  b.writeBigInt64BE(BigInt(n))
  return b
}
const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v))
const readLong = (b: Buffer | null): number => (b === null ? NaN : Number(b.readBigInt64BE(0)))
const readJson = <T>(b: Buffer | null): T | null => (b === null ? null : (JSON.parse(b.toString()) as T))
const str = (b: Buffer | null): string => (b === null ? '<null>' : b.toString())

/** Per key, the values in log order (a key lives on one partition, so its order is well defined). */
function byKey<V>(rows: readonly Row[], key: (b: Buffer | null) => string, value: (b: Buffer | null) => V) {
  const out = new Map<string, V[]>()
  for (const r of rows) {
    const k = key(r.key)
    let list = out.get(k)
    if (list === undefined) out.set(k, (list = []))
    list.push(value(r.value))
  }
  return out
}

/**
 * `actual` must be the sequence of prefix results `expected` (no caching), or with a record cache a subsequence of
 * it that ends with its last element.
 */
function sameUpdates<V>(what: string, actual: readonly V[], expected: readonly V[], cached: boolean): string[] {
  const eq = (a: V, b: V): boolean => JSON.stringify(a) === JSON.stringify(b)
  const last = expected[expected.length - 1]
  if (expected.length === 0) return actual.length === 0 ? [] : [`${what}: ${actual.length} updates, none expected`]
  if (!cached) {
    if (actual.length === expected.length && actual.every((a, i) => eq(a, expected[i] as V))) return []
    return [`${what}: updates ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`]
  }
  let j = 0
  for (const a of actual) {
    while (j < expected.length && !eq(a, expected[j] as V)) j++
    if (j === expected.length) return [`${what}: update ${JSON.stringify(a)} is not in ${JSON.stringify(expected)}`]
    j++
  }
  const end = actual[actual.length - 1]
  if (end === undefined || !eq(end, last as V)) {
    return [`${what}: last update ${JSON.stringify(end)}, expected ${JSON.stringify(last)}`]
  }
  return []
}

// ---------------------------------------------------------------- (1) running average with a repartition

export interface CountAndSum {
  count: number
  sum: number
}

/**
 * The tutorial's running average: ratings keyed by user are re-keyed by movie (repartition), counted and summed per
 * movie ('movie-count-sum'), averaged ('average-ratings') and written to 'rating-averages'. Every rating value is
 * unique (it is the input number), so the repartition topic shows exactly which inputs went through how often.
 */
export const runningAverage: Scenario = {
  name: 'running-average',
  inputs: [{ topic: 'ratings', partitions: 3 }],
  outputs: [{ topic: 'rating-averages', partitions: 2 }],
  build: () => {
    const builder = new StreamsBuilder()
    builder
      .stream('ratings', Consumed.with(Serdes.Long(), Serdes.Json<{ movieId: number; rating: number }>()))
      .map((_k, r) => KeyValue.pair(BigInt(r.movieId), r.rating))
      .groupByKey(Grouped.with(Serdes.Long(), Serdes.Double()))
      .aggregate<CountAndSum>(
        () => ({ count: 0, sum: 0 }),
        (_k, v, a) => ({ count: a.count + 1, sum: a.sum + v }),
        Materialized.as<bigint, CountAndSum>('movie-count-sum')
          .withKeySerde(Serdes.Long())
          .withValueSerde(Serdes.Json<CountAndSum>())
      )
      .mapValues(
        (a) => a.sum / a.count,
        Materialized.as<bigint, number>('average-ratings').withKeySerde(Serdes.Long()).withValueSerde(Serdes.Double())
      )
      .toStream()
      .to('rating-averages', Produced.with(Serdes.Long(), Serdes.Double()))
    return builder.build()
  },
  input: (i, a, b) => ({
    topic: 'ratings',
    key: long(a % 5),
    value: json({ movieId: 1 + (b % 4), rating: i + 1 }),
    timestamp: 1_000_000 + i
  }),
  checkExact: (cluster, appId, cached) => {
    const errors: string[] = []
    const input = committedRows(cluster, 'ratings').map((r) => readJson<{ movieId: number; rating: number }>(r.value))
    const repartition = committedRows(cluster, repartitionTopic(cluster, appId))
    const through = repartition.map((r) => r.value?.readDoubleBE(0) ?? NaN).sort((x, y) => x - y)
    const wanted = input.map((r) => r?.rating ?? NaN).sort((x, y) => x - y)
    if (JSON.stringify(through) !== JSON.stringify(wanted)) {
      errors.push(`repartition topic holds ratings ${JSON.stringify(through)}, input ${JSON.stringify(wanted)}`)
    }
    // The fold, in the order the aggregating tasks read the repartition topic.
    const expectedTotals = new Map<string, CountAndSum[]>()
    for (const [movie, ratings] of byKey(
      repartition,
      (k) => String(readLong(k)),
      (v) => v?.readDoubleBE(0) ?? NaN
    )) {
      let acc = { count: 0, sum: 0 }
      expectedTotals.set(
        movie,
        ratings.map((r) => (acc = { count: acc.count + 1, sum: acc.sum + r }))
      )
    }
    const totals = byKey(
      committedRows(cluster, `${appId}-movie-count-sum-changelog`),
      (k) => String(readLong(k)),
      (v) => readJson<CountAndSum>(v)
    )
    const averages = byKey(
      committedRows(cluster, `${appId}-average-ratings-changelog`),
      (k) => String(readLong(k)),
      (v) => v?.readDoubleBE(0) ?? null
    )
    const output = byKey(
      committedRows(cluster, 'rating-averages'),
      (k) => String(readLong(k)),
      (v) => v?.readDoubleBE(0) ?? null
    )
    const movies = new Set([...expectedTotals.keys(), ...totals.keys(), ...averages.keys(), ...output.keys()])
    for (const movie of movies) {
      const exp = expectedTotals.get(movie) ?? []
      const avg = exp.map((t) => t.sum / t.count)
      errors.push(...sameUpdates(`movie ${movie} count-sum store`, totals.get(movie) ?? [], exp, cached))
      errors.push(...sameUpdates(`movie ${movie} average store`, averages.get(movie) ?? [], avg, cached))
      errors.push(...sameUpdates(`movie ${movie} output`, output.get(movie) ?? [], avg, cached))
    }
    return errors
  },
  checkAtLeastOnce: (cluster, appId) => {
    const errors: string[] = []
    const input = committedRows(cluster, 'ratings').map((r) => readJson<{ movieId: number; rating: number }>(r.value))
    const totals = byKey(
      committedRows(cluster, `${appId}-movie-count-sum-changelog`),
      (k) => String(readLong(k)),
      (v) => readJson<CountAndSum>(v)
    )
    const through = new Set(
      committedRows(cluster, repartitionTopic(cluster, appId)).map((r) => r.value?.readDoubleBE(0))
    )
    const expected = new Map<string, CountAndSum>()
    for (const r of input) {
      if (r === null) continue
      if (!through.has(r.rating)) errors.push(`rating ${r.rating} never reached the repartition topic`)
      const e = expected.get(String(r.movieId)) ?? { count: 0, sum: 0 }
      expected.set(String(r.movieId), { count: e.count + 1, sum: e.sum + r.rating })
    }
    for (const [movie, e] of expected) {
      const last = totals.get(movie)?.at(-1)
      if (last == null || last.count < e.count || last.sum < e.sum) {
        errors.push(`movie ${movie}: store holds ${JSON.stringify(last)}, at least ${JSON.stringify(e)} expected`)
      }
    }
    return errors
  }
}

// ---------------------------------------------------------------- (2) KGroupedTable re-key

const REGIONS = ['north', 'south', 'east']

/**
 * Accounts (a table keyed by account id, values `{region, amount}` or tombstones) re-grouped by region and summed
 * with an adder and a subtractor: every update moves an account's amount out of its old region and into its new one.
 */
export const regionTotals: Scenario = {
  name: 'region-totals',
  inputs: [{ topic: 'accounts', partitions: 2 }],
  outputs: [{ topic: 'region-totals-out', partitions: 1 }],
  build: () => {
    const builder = new StreamsBuilder()
    builder
      .table(
        'accounts',
        Consumed.with(Serdes.String(), Serdes.Json<{ region: string; amount: number }>()),
        Materialized.as<string, { region: string; amount: number }>('accounts-store')
      )
      .groupBy((_k, v) => KeyValue.pair(v.region, v.amount), Grouped.with(Serdes.String(), Serdes.LongNumber()))
      .aggregate<CountAndSum>(
        () => ({ count: 0, sum: 0 }),
        (_k, v, a) => ({ count: a.count + 1, sum: a.sum + v }),
        (_k, v, a) => ({ count: a.count - 1, sum: a.sum - v }),
        Materialized.as<string, CountAndSum>('region-totals')
          .withKeySerde(Serdes.String())
          .withValueSerde(Serdes.Json<CountAndSum>())
      )
      .toStream()
      .to('region-totals-out', Produced.with(Serdes.String(), Serdes.Json<CountAndSum>()))
    return builder.build()
  },
  input: (i, a, b) => ({
    topic: 'accounts',
    key: Buffer.from(`acct-${a % 6}`),
    value: b % 7 === 6 ? null : json({ region: REGIONS[b % REGIONS.length], amount: 1 + ((i * 7 + b) % 50) }),
    timestamp: 1_000_000 + i
  }),
  checkExact: (cluster, appId) => {
    const errors: string[] = []
    const latest = new Map<string, { region: string; amount: number } | null>()
    for (const r of committedRows(cluster, 'accounts')) latest.set(str(r.key), readJson(r.value))
    const expected = new Map<string, CountAndSum>(REGIONS.map((r) => [r, { count: 0, sum: 0 }]))
    for (const v of latest.values()) {
      if (v === null) continue
      const e = expected.get(v.region) as CountAndSum
      expected.set(v.region, { count: e.count + 1, sum: e.sum + v.amount })
    }
    const store = new Map<string, CountAndSum | null>()
    for (const r of committedRows(cluster, `${appId}-region-totals-changelog`)) store.set(str(r.key), readJson(r.value))
    const out = new Map<string, CountAndSum | null>()
    for (const r of committedRows(cluster, 'region-totals-out')) out.set(str(r.key), readJson(r.value))
    for (const [region, e] of expected) {
      const zero = (v: CountAndSum | null | undefined): CountAndSum => v ?? { count: 0, sum: 0 }
      if (JSON.stringify(zero(store.get(region))) !== JSON.stringify(e)) {
        errors.push(`region ${region}: store ${JSON.stringify(store.get(region))}, expected ${JSON.stringify(e)}`)
      }
      if (JSON.stringify(zero(out.get(region))) !== JSON.stringify(e)) {
        errors.push(`region ${region}: output ${JSON.stringify(out.get(region))}, expected ${JSON.stringify(e)}`)
      }
    }
    errors.push(...checkAccountsStore(cluster, appId, latest))
    return errors
  },
  checkAtLeastOnce: (cluster, appId) => {
    const latest = new Map<string, { region: string; amount: number } | null>()
    for (const r of committedRows(cluster, 'accounts')) latest.set(str(r.key), readJson(r.value))
    return checkAccountsStore(cluster, appId, latest)
  }
}

/** The table's own store ends with the latest value of every account (true under both guarantees). */
function checkAccountsStore(
  cluster: SimCluster,
  appId: string,
  latest: ReadonlyMap<string, { region: string; amount: number } | null>
): string[] {
  const store = new Map<string, unknown>()
  for (const r of committedRows(cluster, `${appId}-accounts-store-changelog`)) store.set(str(r.key), readJson(r.value))
  const errors: string[] = []
  for (const [k, v] of latest) {
    if (JSON.stringify(store.get(k) ?? null) !== JSON.stringify(v)) {
      errors.push(`accounts store ${k}: ${JSON.stringify(store.get(k))}, expected ${JSON.stringify(v)}`)
    }
  }
  return errors
}

// ---------------------------------------------------------------- (3) windowed count after a re-key

const WINDOW_MS = 100

/** Clicks keyed by session are re-keyed by user (repartition) and counted per 100 ms tumbling window. */
export const windowedClicks: Scenario = {
  name: 'windowed-clicks',
  inputs: [{ topic: 'clicks', partitions: 2 }],
  outputs: [{ topic: 'click-counts-out', partitions: 2 }],
  build: () => {
    const builder = new StreamsBuilder()
    builder
      .stream('clicks', Consumed.with(Serdes.String(), Serdes.Json<{ user: string }>()))
      .selectKey((_k, v) => v.user)
      .groupByKey(Grouped.with(Serdes.String(), Serdes.Json<{ user: string }>()))
      .windowedBy(TimeWindows.ofSizeAndGrace(WINDOW_MS, 1_000_000_000))
      .count(Materialized.as('click-counts'))
      .toStream()
      .map((w, c) => KeyValue.pair(`${w.key}@${w.window.start}`, c))
      .to('click-counts-out', Produced.with(Serdes.String(), Serdes.Long()))
    return builder.build()
  },
  input: (i, a, b) => ({
    topic: 'clicks',
    key: Buffer.from(`session-${a % 4}`),
    value: json({ user: `u${b % 3}` }),
    timestamp: 1_000_000 + ((a * 37 + b * 11 + i) % 5) * 40
  }),
  checkExact: (cluster, _appId, cached) => {
    const expected = new Map<string, number[]>()
    for (const r of committedRows(cluster, 'clicks')) {
      const ts = cluster.log('clicks', r.partition)?.entries[r.offset]?.timestamp ?? 0
      const key = `${readJson<{ user: string }>(r.value)?.user}@${Math.floor(ts / WINDOW_MS) * WINDOW_MS}`
      const list = expected.get(key) ?? []
      list.push(list.length + 1)
      expected.set(key, list)
    }
    const out = byKey(committedRows(cluster, 'click-counts-out'), str, readLong)
    const errors: string[] = []
    for (const key of new Set([...expected.keys(), ...out.keys()])) {
      errors.push(...sameUpdates(`window ${key} output`, out.get(key) ?? [], expected.get(key) ?? [], cached))
    }
    return errors
  },
  checkAtLeastOnce: (cluster) => {
    const expected = new Map<string, number>()
    for (const r of committedRows(cluster, 'clicks')) {
      const ts = cluster.log('clicks', r.partition)?.entries[r.offset]?.timestamp ?? 0
      const key = `${readJson<{ user: string }>(r.value)?.user}@${Math.floor(ts / WINDOW_MS) * WINDOW_MS}`
      expected.set(key, (expected.get(key) ?? 0) + 1)
    }
    const out = byKey(committedRows(cluster, 'click-counts-out'), str, readLong)
    const errors: string[] = []
    for (const [key, n] of expected) {
      const last = out.get(key)?.at(-1) ?? 0
      if (last < n) errors.push(`window ${key}: count ${last}, at least ${n} expected`)
    }
    return errors
  }
}

export const scenarios: readonly Scenario[] = [runningAverage, regionTotals, windowedClicks]
