// The tutorial's running average: ratings keyed by movie id -> count and sum -> average, materialized as
// `average-ratings` and written to `rating-averages` (Java Long keys, Double values). Unlike the tutorial, the count
// and sum table is also queryable (`rating-count-and-sum`) and written to a stats topic, so the live table can show
// how many ratings each average is made of.
import {
  Consumed,
  Grouped,
  KeyValue,
  Materialized,
  Named,
  Produced,
  Repartitioned,
  Serdes,
  StreamsBuilder,
  jsonSchemaSerde
} from 'kstreams-ts'
import type { KStream, KTable, SchemaRegistryClient, Serde, Topology } from 'kstreams-ts'

/** A rating as posted and as written to the ratings topic (JSON Schema value). */
export interface Rating {
  movieId: number
  rating: number
}

export interface CountAndSum {
  count: number
  sum: number
}

export const AVERAGE_RATINGS_STORE = 'average-ratings'
export const COUNT_AND_SUM_STORE = 'rating-count-and-sum'

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

/**
 * Values are validated on read too (Confluent's `json.fail.invalid.schema=true`): anything can be written to the
 * ratings topic, and a rating of 99 that the engine counted would corrupt an average for good. A value that breaks
 * the schema is a deserialization error, handled by POISON_RECORD_POLICY.
 */
export function ratingSerde(registry: SchemaRegistryClient | string): Serde<Rating> {
  return jsonSchemaSerde<Rating>({ schema: ratingSchema, registry, validateOnRead: true })
}

/**
 * Count and sum are written only by the aggregate (whole counts, finite sums of valid ratings), so they are not
 * validated again on write: with the record cache that would be once per rating (the cache serializes every update).
 */
export function countAndSumSerde(registry: SchemaRegistryClient | string): Serde<CountAndSum> {
  return jsonSchemaSerde<CountAndSum>({ schema: countAndSumSchema, registry, validate: false })
}

/**
 * A movie's average from its count and sum: what the topology stores in `average-ratings`, and what the feed and the
 * interactive queries derive from the one count-and-sum value they read, so a count and an average always belong
 * together.
 */
export function averageOf(value: CountAndSum): number {
  return value.sum / value.count
}

export interface TopologyTopics {
  readonly ratings: string
  readonly averages: string
  readonly stats: string
}

export function ratingsStream(builder: StreamsBuilder, topic: string, ratings: Serde<Rating>): KStream<bigint, Rating> {
  return builder.stream(topic, Consumed.with(Serdes.Long(), ratings))
}

/** The explicit repartition topic (`<application.id>-ratings-rekeyed-repartition`) of ratings keyed otherwise. */
export const REKEYED_RATINGS = 'ratings-rekeyed'

/**
 * Count and sum per movie, then the average; both tables are materialized and written to their topics.
 *
 * The tutorial re-keys every rating by its movieId with `map`, which sends every rating through a repartition topic
 * (one more write, read and commit per rating, and one more hop before the average changes). The ratings topic is
 * already keyed by movieId (POST /rating writes it so, partitioned as a Java producer would), so here only a record
 * whose key is not its value's movieId (null, or another movie: written by some other producer) takes that detour;
 * the others are counted where they are. Both reach the same aggregate, so every record still counts for its movieId.
 */
export function getRatingAverageTable(
  ratings: KStream<bigint, Rating>,
  topics: TopologyTopics,
  countAndSum: Serde<CountAndSum>
): KTable<bigint, number> {
  const byKey = ratings
    .split(Named.as('ratings-'))
    .branch((movieId, rating) => movieId !== null && movieId === BigInt(rating.movieId), 'keyed')
    .defaultBranch('rekey')
  const keyed = byKey.get('ratings-keyed')!.mapValues((rating) => rating.rating)
  const rekeyed = byKey
    .get('ratings-rekey')!
    .map((_, rating) => KeyValue.pair(BigInt(rating.movieId), rating.rating))
    .repartition(
      Repartitioned.as<bigint, number>(REKEYED_RATINGS).withKeySerde(Serdes.Long()).withValueSerde(Serdes.Double())
    )
  const ratingsById = keyed.merge(rekeyed).groupByKey(Grouped.with(Serdes.Long(), Serdes.Double()))

  const ratingCountAndSum = ratingsById.aggregate<CountAndSum>(
    () => ({ count: 0, sum: 0 }),
    (_, value, aggregate) => ({ count: aggregate.count + 1, sum: aggregate.sum + value }),
    Materialized.as<bigint, CountAndSum>(COUNT_AND_SUM_STORE).withKeySerde(Serdes.Long()).withValueSerde(countAndSum)
  )
  ratingCountAndSum.toStream().to(topics.stats, Produced.with(Serdes.Long(), countAndSum))

  const ratingAverage = ratingCountAndSum.mapValues(
    averageOf,
    Materialized.as<bigint, number>(AVERAGE_RATINGS_STORE).withKeySerde(Serdes.Long()).withValueSerde(Serdes.Double())
  )
  ratingAverage.toStream().to(topics.averages, Produced.with(Serdes.Long(), Serdes.Double()))
  return ratingAverage
}

/** The serdes of the topology, shared with the service's producer and feed (one registry lookup per schema). */
export interface TopologySerdes {
  readonly rating: Serde<Rating>
  readonly countAndSum: Serde<CountAndSum>
}

export function buildTopology(serdes: TopologySerdes, topics: TopologyTopics): Topology {
  const builder = new StreamsBuilder()
  getRatingAverageTable(ratingsStream(builder, topics.ratings, serdes.rating), topics, serdes.countAndSum)
  return builder.build()
}
