// Child of bench/e2e/run.ts: the tutorial's running average on @kafkats/flow 0.12 (its own pure-TS client), until
// SIGTERM. It has no record cache. Prints {"event":"processed"} when `total` averages have gone downstream, since
// its committed offsets cannot always be relied on to reach the end.
// Args: bootstrap appId inputTopic outputTopic guarantee total
import { KafkaClient } from '@kafkats/client'
import { flow, json } from '@kafkats/flow'
import type { Codec } from '@kafkats/flow'

interface Rating {
  movieId: number
  rating: number
}
interface CountAndSum {
  count: number
  sum: number
}

const emit = (e: Record<string, unknown>): boolean => process.stdout.write(JSON.stringify(e) + '\n')

// Java's LongSerializer / DoubleSerializer wire formats: 8 bytes, big-endian.
const long: Codec<number> = {
  encode: (v) => {
    const b = Buffer.allocUnsafe(8)
    b.writeBigInt64BE(BigInt(v))
    return b
  },
  decode: (b) => Number(b.readBigInt64BE(0))
}
const double: Codec<number> = {
  encode: (v) => {
    const b = Buffer.allocUnsafe(8)
    b.writeDoubleBE(v)
    return b
  },
  decode: (b) => b.readDoubleBE(0)
}

const [bootstrap, appId, input, output, guarantee, total] = process.argv.slice(2) as string[]
const client = new KafkaClient({ brokers: [bootstrap as string], clientId: appId as string })
const app = flow({
  applicationId: appId as string,
  client,
  processingGuarantee: guarantee === 'exactly_once_v2' ? 'exactly_once' : 'at_least_once',
  consumer: { autoOffsetReset: 'earliest' },
  changelog: { replicationFactor: 1 }
})
let processed = 0
app
  .stream<number, Rating>(input as string, { key: long, value: json<Rating>() })
  .map((_k, r) => [(r as Rating).movieId, (r as Rating).rating] as const)
  .groupByKey({ key: long, value: double })
  .aggregate<CountAndSum>(
    () => ({ count: 0, sum: 0 }),
    (_k, v, a) => ({ count: a.count + 1, sum: a.sum + v }),
    { storeName: 'count-and-sum', key: long, value: json<CountAndSum>() }
  )
  .mapValues((a) => (a as CountAndSum).sum / (a as CountAndSum).count)
  .toStream()
  .peek(() => {
    if (++processed === Number(total)) emit({ event: 'processed', at: Date.now(), records: processed })
  })
  .to(output as string, { key: long, value: double })

process.once('SIGTERM', () => {
  app.close().then(
    () => process.exit(0),
    () => process.exit(1)
  )
})
emit({ event: 'started', at: Date.now() })
await app.start()
