// The accounting of a run: what the load client was told (202 / 503), what the ratings topic holds (read with
// read_committed, as a downstream consumer would), and what the engine counted (GET /averages).
import { createRequire } from 'node:module'
import type * as Rdkafka from '@confluentinc/kafka-javascript'
import { MOVIE_IDS, classKey } from './load.ts'
import type { Post } from './load.ts'
import { getJson, sleep } from './infra.ts'

const native = createRequire(import.meta.url)('@confluentinc/kafka-javascript') as typeof Rdkafka

/** Ratings per (movie, rating) class: key `movieId:rating`. */
export type Tally = Map<string, number>

/**
 * Reads every record of `topic` (all partitions, from the beginning up to the high watermarks taken first) with
 * isolation.level read_committed. Keys are Java Longs, values the Confluent JSON Schema wire format.
 */
export async function readRatingsTopic(
  bootstrap: string,
  topic: string,
  timeoutMs = 120_000
): Promise<{ tally: Tally; records: number; partitions: Record<number, number> }> {
  const consumer = new native.KafkaConsumer(
    {
      'bootstrap.servers': bootstrap,
      'group.id': `reliability-reader-${Date.now()}`,
      'enable.auto.commit': false,
      'isolation.level': 'read_committed'
    } as Rdkafka.ConsumerGlobalConfig,
    { 'auto.offset.reset': 'earliest' }
  )
  await new Promise<void>((resolve, reject) =>
    consumer.connect({ timeout: 30_000 }, (err) => (err ? reject(err) : resolve()))
  )
  try {
    const md = await new Promise<Rdkafka.Metadata>((resolve, reject) =>
      consumer.getMetadata({ topic, timeout: 30_000 }, (err, m) => (err ? reject(err) : resolve(m)))
    )
    const parts = md.topics.find((t) => t.name === topic)?.partitions.map((p) => p.id) ?? []
    if (parts.length === 0) throw new Error(`topic ${topic} has no partitions in the metadata`)
    const high = new Map<number, number>()
    for (const p of parts) {
      const w = await new Promise<Rdkafka.WatermarkOffsets>((resolve, reject) =>
        consumer.queryWatermarkOffsets(topic, p, 30_000, (err, o) => (err ? reject(err) : resolve(o)))
      )
      high.set(p, w.highOffset)
    }
    const next = new Map<number, number>(parts.map((p) => [p, 0]))
    consumer.assign(parts.map((partition) => ({ topic, partition, offset: 0 })))
    consumer.setDefaultConsumeTimeout(500)
    const tally: Tally = new Map()
    const perPartition: Record<number, number> = {}
    let records = 0
    const deadline = Date.now() + timeoutMs
    const done = (): boolean => parts.every((p) => next.get(p)! >= high.get(p)!)
    while (!done()) {
      if (Date.now() > deadline) {
        throw new Error(
          `reading ${topic} timed out at ${JSON.stringify([...next])} of high watermarks ${JSON.stringify([...high])}`
        )
      }
      const batch = await new Promise<Rdkafka.Message[]>((resolve, reject) =>
        consumer.consume(2000, (err, m) => (err ? reject(err) : resolve(m)))
      )
      for (const m of batch) {
        next.set(m.partition, m.offset + 1)
        if (m.value === null || m.value.length < 5 || m.value[0] !== 0) {
          throw new Error(`unexpected value at ${m.offset}`)
        }
        const rating = JSON.parse(m.value.subarray(5).toString('utf8')) as { movieId: number; rating: number }
        const key = (m.key as Buffer).readBigInt64BE(0)
        if (Number(key) !== rating.movieId) throw new Error(`key ${key} != movieId ${rating.movieId} at ${m.offset}`)
        const k = classKey(rating.movieId, rating.rating)
        tally.set(k, (tally.get(k) ?? 0) + 1)
        perPartition[m.partition] = (perPartition[m.partition] ?? 0) + 1
        records++
      }
      if (batch.length === 0) {
        // read_committed positions move past transaction markers without handing out a message.
        const positions = consumer.position(parts.map((partition) => ({ topic, partition })))
        for (const tp of positions) {
          if (tp.offset !== undefined && tp.offset >= 0) {
            next.set(tp.partition, Math.max(next.get(tp.partition)!, tp.offset))
          }
        }
        await sleep(50)
      }
    }
    return { tally, records, partitions: perPartition }
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()))
  }
}

/** Per movie count and sum, from a tally. */
export function perMovie(tally: Tally): Map<number, { count: number; sum: number }> {
  const out = new Map<number, { count: number; sum: number }>()
  for (const id of MOVIE_IDS) out.set(id, { count: 0, sum: 0 })
  for (const [k, n] of tally) {
    const [movie, rating] = k.split(':').map(Number) as [number, number]
    const m = out.get(movie) ?? { count: 0, sum: 0 }
    m.count += n
    m.sum += n * rating
    out.set(movie, m)
  }
  return out
}

/** The engine's count and sum per movie from GET /averages (sum = average × count, rounded: ratings are whole). */
export async function engineCounts(url: string): Promise<Map<number, { count: number; sum: number }> | undefined> {
  const res = await getJson(`${url}/averages`, 5000).catch(() => undefined)
  if (res?.status !== 200 || !Array.isArray(res.body)) return undefined
  const out = new Map<number, { count: number; sum: number }>()
  for (const id of MOVIE_IDS) out.set(id, { count: 0, sum: 0 })
  for (const a of res.body as Array<{ movieId: number; rating: number | null; count: number }>) {
    const sum = a.rating === null ? 0 : a.rating * a.count
    out.set(a.movieId, { count: a.count, sum: Math.round(sum) })
  }
  return out
}

export const sameCounts = (
  a: Map<number, { count: number; sum: number }>,
  b: Map<number, { count: number; sum: number }>
): boolean => MOVIE_IDS.every((id) => a.get(id)?.count === b.get(id)?.count && a.get(id)?.sum === b.get(id)?.sum)

export interface Accounting {
  readonly sent: number
  readonly accepted: number
  readonly unavailable: number
  readonly failed: number
  readonly inTopic: number
  /** Acknowledged ratings missing from the topic (per class: acknowledged − in topic, when positive). */
  readonly lost: number
  /** Records in the topic beyond what was acknowledged, all explained by 503s of the same class. */
  readonly unavailableWritten: number
  /** Records in the topic beyond acknowledged + 503 of their class: written twice by the producer. */
  readonly duplicatedInTopic: number
  /** Engine count − topic count, per movie, summed when positive: ratings the engine counted twice. */
  readonly countedTwice: number
  /** Topic count − engine count, per movie, summed when positive: ratings the engine never counted. */
  readonly notCounted: number
  readonly sumMismatch: number
  readonly failures: readonly string[]
}

export function account(
  posts: readonly Post[],
  topic: Tally,
  engine: Map<number, { count: number; sum: number }> | undefined
): Accounting {
  const acked: Tally = new Map()
  const unavail: Tally = new Map()
  const failures: string[] = []
  for (const p of posts) {
    const k = classKey(p.movieId, p.rating)
    if (p.status === 202) acked.set(k, (acked.get(k) ?? 0) + 1)
    else if (p.status === 503) unavail.set(k, (unavail.get(k) ?? 0) + 1)
    else if (failures.length < 20) failures.push(`${p.status} ${p.error ?? ''}`.trim())
  }
  let lost = 0
  let unavailableWritten = 0
  let duplicated = 0
  for (const k of new Set([...acked.keys(), ...unavail.keys(), ...topic.keys()])) {
    const a = acked.get(k) ?? 0
    const u = unavail.get(k) ?? 0
    const t = topic.get(k) ?? 0
    if (t < a) lost += a - t
    else {
      unavailableWritten += Math.min(t - a, u)
      duplicated += Math.max(0, t - a - u)
    }
  }
  const topicMovies = perMovie(topic)
  let countedTwice = 0
  let notCounted = 0
  let sumMismatch = 0
  for (const id of MOVIE_IDS) {
    const t = topicMovies.get(id)!
    const e = engine?.get(id) ?? { count: 0, sum: 0 }
    if (e.count > t.count) countedTwice += e.count - t.count
    if (e.count < t.count) notCounted += t.count - e.count
    if (e.sum !== t.sum) sumMismatch++
  }
  return {
    sent: posts.length,
    accepted: posts.filter((p) => p.status === 202).length,
    unavailable: posts.filter((p) => p.status === 503).length,
    failed: posts.filter((p) => p.status !== 202 && p.status !== 503).length,
    inTopic: [...topic.values()].reduce((s, n) => s + n, 0),
    lost,
    unavailableWritten,
    duplicatedInTopic: duplicated,
    countedTwice,
    notCounted,
    sumMismatch,
    failures
  }
}
