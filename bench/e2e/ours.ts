// Child of bench/e2e/run.ts: the tutorial's running average under our KafkaStreams, until SIGTERM.
// Args: bootstrap appId inputTopic outputTopic guarantee cacheBytes commitIntervalMs stateDir
import {
  Consumed,
  Grouped,
  KafkaStreams,
  KeyValue,
  Materialized,
  Produced,
  Serdes,
  Stores,
  StreamsBuilder
} from '../../packages/kstreams/src/index.ts'
import { emit } from './common.ts'
import type { Rating } from './common.ts'

interface CountAndSum {
  count: number
  sum: number
}

const [bootstrap, appId, input, output, guarantee, cacheBytes, commitMs, stateDir] = process.argv.slice(2) as string[]

const builder = new StreamsBuilder()
builder
  .stream(input as string, Consumed.with(Serdes.Long(), Serdes.Json<Rating>()))
  .map((_k, r) => KeyValue.pair(BigInt(r.movieId), r.rating))
  .groupByKey(Grouped.with(Serdes.Long(), Serdes.Double()))
  .aggregate<CountAndSum>(
    () => ({ count: 0, sum: 0 }),
    (_k, v, a) => ({ count: a.count + 1, sum: a.sum + v }),
    Materialized.as<bigint, CountAndSum>(Stores.inMemoryKeyValueStore('count-and-sum'))
      .withKeySerde(Serdes.Long())
      .withValueSerde(Serdes.Json<CountAndSum>())
  )
  .mapValues(
    (a) => a.sum / a.count,
    Materialized.as<bigint, number>(Stores.inMemoryKeyValueStore('average-ratings'))
      .withKeySerde(Serdes.Long())
      .withValueSerde(Serdes.Double())
  )
  .toStream()
  .to(output as string, Produced.with(Serdes.Long(), Serdes.Double()))

const streams = new KafkaStreams(builder.build(), {
  'application.id': appId,
  'bootstrap.servers': bootstrap,
  'processing.guarantee': guarantee,
  'statestore.cache.max.bytes': Number(cacheBytes),
  'commit.interval.ms': Number(commitMs),
  'state.dir': stateDir,
  'replication.factor': 1,
  // Extra settings for experiments, e.g. E2E_OURS_CONFIG='{"producer.queue.buffering.max.messages":1000000}'.
  ...(JSON.parse(process.env.E2E_OURS_CONFIG ?? '{}') as Record<string, unknown>)
})
streams.setStateListener((state) => {
  if (state === 'ERROR') emit({ event: 'error', message: String((streams.error as Error)?.message ?? streams.error) })
})
process.once('SIGTERM', () => {
  // Where the memory is (JS heap vs buffers vs native), and the engine's own counters, for the raw results file.
  process.stderr.write(
    `[ours] memory ${JSON.stringify(process.memoryUsage())} metrics ${JSON.stringify(streams.metrics())}\n`
  )
  streams.close().then(
    () => process.exit(0),
    () => process.exit(1)
  )
})
emit({ event: 'started', at: Date.now() })
await streams.start()
