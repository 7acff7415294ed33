// The tutorial's running average, ported from Kotlin nearly line for line: ratings keyed by movie id are grouped,
// count and sum are aggregated together, and the average is materialized as `average-ratings` and written to
// `rating-averages` as Java Long keys and Double values.
import {
  Consumed,
  Grouped,
  KeyValue,
  Materialized,
  Produced,
  Serdes,
  StreamsBuilder,
  jsonSchemaSerde
} from '../src/index.ts'
import type { KStream, KTable, Serde, Topology } from '../src/index.ts'

export interface Rating {
  movieId: number
  rating: number
}

export interface CountAndSum {
  count: number
  sum: number
}

export const RATINGS_TOPIC = 'ratings'
export const RATING_AVERAGES_TOPIC = 'rating-averages'
export const AVERAGE_RATINGS_STORE = 'average-ratings'

export const ratingSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'Rating',
  type: 'object',
  properties: { movieId: { type: 'integer', minimum: 1 }, rating: { type: 'number', minimum: 1, maximum: 10 } },
  required: ['movieId', 'rating'],
  additionalProperties: false
}

export const countAndSumSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'CountAndSum',
  type: 'object',
  properties: { count: { type: 'integer', minimum: 0 }, sum: { type: 'number' } },
  required: ['count', 'sum'],
  additionalProperties: false
}

export function ratingSerde(registry: string): Serde<Rating> {
  return jsonSchemaSerde<Rating>({ schema: ratingSchema, registry })
}

export function countAndSumSerde(registry: string): Serde<CountAndSum> {
  return jsonSchemaSerde<CountAndSum>({ schema: countAndSumSchema, registry })
}

export function ratingsStream(builder: StreamsBuilder, ratings: Serde<Rating>): KStream<bigint, Rating> {
  return builder.stream(RATINGS_TOPIC, Consumed.with(Serdes.Long(), ratings))
}

export function getRatingAverageTable(
  ratings: KStream<bigint, Rating>,
  avgRatingsTopicName: string,
  countAndSum: Serde<CountAndSum>
): KTable<bigint, number> {
  const ratingsById = ratings
    .map((_, rating) => KeyValue.pair(BigInt(rating.movieId), rating.rating))
    .groupByKey(Grouped.with(Serdes.Long(), Serdes.Double()))

  const ratingCountAndSum = ratingsById.aggregate<CountAndSum>(
    () => ({ count: 0, sum: 0 }),
    (_, value, aggregate) => ({ count: aggregate.count + 1, sum: aggregate.sum + value }),
    Materialized.with(Serdes.Long(), countAndSum)
  )

  const ratingAverage = ratingCountAndSum.mapValues(
    (value) => value.sum / value.count,
    Materialized.as<bigint, number>(AVERAGE_RATINGS_STORE).withKeySerde(Serdes.Long()).withValueSerde(Serdes.Double())
  )

  ratingAverage.toStream().to(avgRatingsTopicName, Produced.with(Serdes.Long(), Serdes.Double()))
  return ratingAverage
}

export function buildTopology(registry: string): Topology {
  const builder = new StreamsBuilder()
  getRatingAverageTable(
    ratingsStream(builder, ratingSerde(registry)),
    RATING_AVERAGES_TOPIC,
    countAndSumSerde(registry)
  )
  return builder.build()
}
