// The tutorial's running average on our TopologyTestDriver: JSON values, in-memory stores, caching off (as the
// tutorial). Prints one JSON line with records per second. Usage: node --conditions=source bench/ttd-running-average.ts [n]
import {
  Consumed,
  Grouped,
  KeyValue,
  Materialized,
  Produced,
  Serdes,
  Stores,
  StreamsBuilder
} from '../packages/kstreams/src/index.ts'
import { TopologyTestDriver } from '../packages/kstreams/src/testing/index.ts'

interface Rating {
  movieId: number
  rating: number
}
interface CountAndSum {
  count: number
  sum: number
}

const n = Number(process.argv[2] ?? 200_000)
const movies = 1000
const builder = new StreamsBuilder()
builder
  .stream('ratings', Consumed.with(Serdes.Long(), Serdes.Json<Rating>()))
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
  .to('rating-averages', Produced.with(Serdes.Long(), Serdes.Double()))
const topology = builder.build()

let last = 0
for (let round = 0; round < 3; round++) {
  const driver = new TopologyTestDriver(topology, { 'application.id': 'bench', 'statestore.cache.max.bytes': 0 }, 0)
  const input = driver.createInputTopic('ratings', Serdes.Long(), Serdes.Json<Rating>())
  const output = driver.createOutputTopic('rating-averages', Serdes.Long(), Serdes.Double())
  const start = process.hrtime.bigint()
  for (let i = 0; i < n; i++) {
    input.pipeInput(BigInt(i), { movieId: 1 + (i % movies), rating: 1 + (i % 10) }, i)
    if ((i & 1023) === 0) output.readRecordsToList()
  }
  output.readRecordsToList()
  last = Number(process.hrtime.bigint() - start) / 1e9
  driver.close()
}
console.log(
  JSON.stringify({
    impl: 'kstreams-ts-ttd',
    records: n,
    seconds: Number(last.toFixed(3)),
    recordsPerSecond: Math.round(n / last)
  })
)
