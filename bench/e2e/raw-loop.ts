// Child of bench/e2e/run.ts: the ceiling. A plain consume → Map of count+sum → produce the average loop on our
// client adapter, committing input offsets after a flush every commit interval (at-least-once, no state
// durability, no repartition): what the client alone can do on this machine.
// Args: bootstrap groupId inputTopic outputTopic commitIntervalMs
import { confluentClientProvider } from '../../packages/kstreams/src/internals/client/index.ts'
import type { ConsumedRecord, TopicPartitionOffset } from '../../packages/kstreams/src/internals/client/index.ts'
import { emit } from './common.ts'
import type { Rating } from './common.ts'

const [bootstrap, groupId, input, output, commitMs] = process.argv.slice(2) as string[]
const commitIntervalMs = Number(commitMs)
const logger = { log: (level: string, message: string) => level === 'error' && console.error(message) }

emit({ event: 'started', at: Date.now() })
const producer = await confluentClientProvider.createProducer({
  properties: { 'bootstrap.servers': bootstrap as string },
  logger
})
const consumer = await confluentClientProvider.createConsumer({
  properties: {
    'bootstrap.servers': bootstrap as string,
    'group.id': groupId as string,
    'partition.assignment.strategy': 'range'
  },
  logger
})
consumer.subscribe([input as string])

const state = new Map<number, { count: number; sum: number }>()
const next = new Map<number, number>()
const control = { running: true }
let lastCommit = Date.now()
process.once('SIGTERM', () => (control.running = false))

async function commit(): Promise<void> {
  await producer.flush(60_000)
  const offsets: TopicPartitionOffset[] = []
  for (const [partition, offset] of next) offsets.push({ topic: input as string, partition, offset })
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
    const { movieId, rating } = JSON.parse((r.value as Buffer).toString('utf8')) as Rating
    const s = state.get(movieId) ?? { count: 0, sum: 0 }
    s.count++
    s.sum += rating
    state.set(movieId, s)
    const key = Buffer.allocUnsafe(8)
    key.writeBigInt64BE(BigInt(movieId))
    const avg = Buffer.allocUnsafe(8)
    avg.writeDoubleBE(s.sum / s.count)
    while (!producer.produce({ topic: output as string, key, value: avg, timestamp: r.timestamp })) {
      await producer.flush(60_000)
    }
    next.set(r.partition, r.offset + 1)
  }
  if (Date.now() - lastCommit >= commitIntervalMs && next.size > 0) await commit()
}
// A batch fetched ahead is dropped uncommitted: the group reads it again.
await prefetched
if (next.size > 0) await commit()
await consumer.close()
await producer.close()
process.exit(0)
