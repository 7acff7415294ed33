// Child of bench/e2e/run.ts: a raw loop with the same Kafka I/O per rating as the running-average topology (read
// the rating, write it re-keyed to a repartition topic, read that back, write two changelog records and the
// average), with none of the engine (no tasks, stores, serdes, processor graph). The gap between it and the plain
// raw loop is the cost of the topology's I/O; the gap between it and kstreams-ts is the engine's own cost.
// Args: bootstrap groupId inputTopic outputTopic commitIntervalMs
import { confluentClientProvider } from '../../packages/kstreams/src/internals/client/index.ts'
import type { ConsumedRecord, TopicPartitionOffset } from '../../packages/kstreams/src/internals/client/index.ts'
import { emit } from './common.ts'
import type { Rating } from './common.ts'

const [bootstrap, groupId, input, output, commitMs] = process.argv.slice(2) as [string, string, string, string, string]
const commitIntervalMs = Number(commitMs)
const logger = { log: (level: string, message: string) => level === 'error' && console.error(message) }
const repartition = `${groupId}-rekey-repartition`
const countAndSumLog = `${groupId}-count-and-sum-changelog`
const averageLog = `${groupId}-average-ratings-changelog`

emit({ event: 'started', at: Date.now() })
const admin = await confluentClientProvider.createAdmin({ properties: { 'bootstrap.servers': bootstrap }, logger })
await admin.createTopics(
  [repartition, countAndSumLog, averageLog].map((topic) => ({ topic, partitions: 3, replicationFactor: 1 }))
)
await admin.close()
const producer = await confluentClientProvider.createProducer({
  properties: { 'bootstrap.servers': bootstrap },
  logger
})
const consumer = await confluentClientProvider.createConsumer({
  properties: { 'bootstrap.servers': bootstrap, 'group.id': groupId, 'partition.assignment.strategy': 'range' },
  logger
})
consumer.subscribe([input, repartition])

const state = new Map<number, { count: number; sum: number }>()
const next = new Map<string, TopicPartitionOffset>()
const control = { running: true }
let lastCommit = Date.now()
process.once('SIGTERM', () => (control.running = false))

async function send(
  topic: string,
  partition: number | undefined,
  key: Buffer,
  value: Buffer,
  timestamp: number
): Promise<void> {
  while (!producer.produce({ topic, partition, key, value, timestamp })) await producer.flush(60_000)
}

async function commit(): Promise<void> {
  await producer.flush(60_000)
  const offsets = [...next.values()]
  next.clear()
  await consumer.commit(offsets)
  lastCommit = Date.now()
}

// E2E_PIPELINE=1 asks for the next batch before processing this one, so the binding's fetch (on a libuv worker
// thread) overlaps the JS work instead of alternating with it.
const pipeline = process.env.E2E_PIPELINE === '1'
let prefetched: Promise<ConsumedRecord[]> | undefined
while (control.running) {
  const records = await (prefetched ?? consumer.consume(1000, 100))
  prefetched = pipeline ? consumer.consume(1000, 100) : undefined
  for (const r of records) {
    if (r.topic === input) {
      const { movieId, rating } = JSON.parse((r.value as Buffer).toString('utf8')) as Rating
      const key = Buffer.allocUnsafe(8)
      key.writeBigInt64BE(BigInt(movieId))
      const value = Buffer.allocUnsafe(8)
      value.writeDoubleBE(rating)
      await send(repartition, undefined, key, value, r.timestamp)
    } else {
      const key = r.key as Buffer
      const movieId = Number(key.readBigInt64BE(0))
      const s = state.get(movieId) ?? { count: 0, sum: 0 }
      s.count++
      s.sum += (r.value as Buffer).readDoubleBE(0)
      state.set(movieId, s)
      const avg = Buffer.allocUnsafe(8)
      avg.writeDoubleBE(s.sum / s.count)
      await send(countAndSumLog, r.partition, key, Buffer.from(JSON.stringify(s)), r.timestamp)
      await send(averageLog, r.partition, key, avg, r.timestamp)
      await send(output, undefined, key, avg, r.timestamp)
    }
    next.set(`${r.topic}:${r.partition}`, { topic: r.topic, partition: r.partition, offset: r.offset + 1 })
  }
  if (Date.now() - lastCommit >= commitIntervalMs && next.size > 0) await commit()
}
// A batch fetched ahead is dropped uncommitted: the group reads it again.
await prefetched
if (next.size > 0) await commit()
await consumer.close()
await producer.close()
process.exit(0)
