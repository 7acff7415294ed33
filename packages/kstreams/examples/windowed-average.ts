// A windowed variant of the tutorial: the average rating of each movie per hour (tumbling windows, no grace),
// composed from count and sum exactly as the running average is.
import {
  Consumed,
  Grouped,
  KeyValue,
  Materialized,
  Produced,
  Serdes,
  StreamsBuilder,
  TimeWindows
} from '../src/index.ts'
import type { KTable, Serde, Topology, Windowed } from '../src/index.ts'
import type { CountAndSum, Rating } from './running-average.ts'

export const HOURLY_AVERAGES_TOPIC = 'hourly-rating-averages'
export const HOURLY_AVERAGES_STORE = 'hourly-average-ratings'
const HOUR_MS = 60 * 60 * 1000

export function hourlyAverageTable(
  builder: StreamsBuilder,
  ratings: Serde<Rating>,
  countAndSum: Serde<CountAndSum>
): KTable<Windowed<bigint>, number> {
  return builder
    .stream('ratings', Consumed.with(Serdes.Long(), ratings))
    .map((_, rating) => KeyValue.pair(BigInt(rating.movieId), rating.rating))
    .groupByKey(Grouped.with(Serdes.Long(), Serdes.Double()))
    .windowedBy(TimeWindows.ofSizeWithNoGrace(HOUR_MS))
    .aggregate<CountAndSum>(
      () => ({ count: 0, sum: 0 }),
      (_, value, aggregate) => ({ count: aggregate.count + 1, sum: aggregate.sum + value }),
      Materialized.with(Serdes.Long(), countAndSum)
    )
    .mapValues(
      (value) => value.sum / value.count,
      Materialized.as<Windowed<bigint>, number>(HOURLY_AVERAGES_STORE).withValueSerde(Serdes.Double())
    )
}

/** Writes `movieId@windowStart` → average, a plain String key that any consumer can read. */
export function buildHourlyTopology(ratings: Serde<Rating>, countAndSum: Serde<CountAndSum>): Topology {
  const builder = new StreamsBuilder()
  hourlyAverageTable(builder, ratings, countAndSum)
    .toStream((windowed) => `${windowed.key}@${windowed.window.start}`)
    .to(HOURLY_AVERAGES_TOPIC, Produced.with(Serdes.String(), Serdes.Double()))
  return builder.build()
}
