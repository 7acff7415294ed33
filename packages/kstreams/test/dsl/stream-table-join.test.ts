// Stream-table joins through the test driver: value getters of derived tables (filter, mapValues, aggregates),
// Joined names, and the repartition of a re-keyed stream (Kafka Streams' KStreamKTableJoinTest).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  Consumed,
  Grouped,
  Joined,
  JoinWindows,
  Materialized,
  Produced,
  Serdes,
  StreamsBuilder
} from '../../src/index.ts'
import type { KStream } from '../../src/index.ts'
import { TopologyTestDriver } from '../../src/testing/index.ts'

const S = Serdes.String()
const config = { 'application.id': 'stream-table-join', 'statestore.cache.max.bytes': 0 }

function run(
  builder: StreamsBuilder,
  inputs: Array<[string, string | null, string | null, number]>
): Array<[string | null, string | null, number]> {
  const driver = new TopologyTestDriver(builder.build(), config, 0)
  try {
    const topics = new Map<string, ReturnType<typeof driver.createInputTopic<string, string>>>()
    for (const [topic, key, value, ts] of inputs) {
      let t = topics.get(topic)
      if (t === undefined) {
        t = driver.createInputTopic(topic, S, S, 0)
        topics.set(topic, t)
      }
      t.pipeInput(key, value, ts)
    }
    return driver
      .createOutputTopic('out', S, S)
      .readRecordsToList()
      .map((r) => [r.key, r.value, r.timestamp])
  } finally {
    driver.close()
  }
}

const joiner = (l: string, r: string | null): string => `${l}+${r}`

test('a join reads an unmaterialized filter through its source, which gets materialized', () => {
  const builder = new StreamsBuilder()
  const table = builder.table('t', Consumed.with(S, S)).filter((_k, v) => v.startsWith('ok'))
  builder.stream('s', Consumed.with(S, S)).join(table, joiner).to('out', Produced.with(S, S))
  assert.match(
    builder.build().describe().toString(),
    /KSTREAM-JOIN-0000000005 \(stores: \[t-STATE-STORE-0000000000\]\)/
  )
  assert.deepEqual(
    run(builder, [
      ['t', 'a', 'ok1', 1],
      ['t', 'b', 'bad', 2],
      ['s', 'a', 'x', 3],
      ['s', 'b', 'y', 4],
      ['t', 'a', 'bad', 5],
      ['s', 'a', 'z', 6]
    ]),
    [['a', 'x+ok1', 3]]
  )
})

test('a left join reads mapValues through its parent and keeps the stream record timestamp', () => {
  const builder = new StreamsBuilder()
  const table = builder.table('t', Consumed.with(S, S)).mapValues((v) => v.toUpperCase())
  builder.stream('s', Consumed.with(S, S)).leftJoin(table, joiner).to('out', Produced.with(S, S))
  assert.deepEqual(
    run(builder, [
      ['t', 'a', 'v', 10],
      ['s', 'a', 'x', 3],
      ['s', 'b', 'y', 4]
    ]),
    [
      ['a', 'x+V', 3],
      ['b', 'y+null', 4]
    ]
  )
})

test('a join reads an aggregation from its store', () => {
  const builder = new StreamsBuilder()
  const counts = builder
    .stream('c', Consumed.with(S, S))
    .groupByKey(Grouped.with(S, S))
    .count(Materialized.as('counts'))
  builder
    .stream('s', Consumed.with(S, S))
    .join(counts, (v: string, n: bigint) => `${v}#${n}`)
    .to('out', Produced.with(S, S))
  assert.deepEqual(
    run(builder, [
      ['c', 'a', '1', 1],
      ['c', 'a', '2', 2],
      ['s', 'a', 'x', 3]
    ]),
    [['a', 'x#2', 3]]
  )
})

test('after a key change the stream is repartitioned through <Joined name>-repartition', () => {
  const builder = new StreamsBuilder()
  const table = builder.table('t', Consumed.with(S, S), Materialized.as('tt'))
  const rekeyed: KStream<string, string> = builder.stream('s', Consumed.with(S, S)).selectKey((_k, v) => v)
  rekeyed.join(table, joiner, Joined.with(S, S, S).withName('enrich')).to('out', Produced.with(S, S))
  const text = builder.build().describe().toString()
  assert.match(text, /Sink: enrich-repartition-sink \(topic: enrich-repartition\)/)
  assert.match(text, /Source: enrich-repartition-source \(topics: \[enrich-repartition\]\)\n {6}--> enrich\n/)
  assert.deepEqual(
    run(builder, [
      ['t', 'c1', 'alice', 1],
      ['s', 'o1', 'c1', 2],
      ['s', 'o2', 'c2', 3]
    ]),
    [['c1', 'c1+alice', 2]]
  )
})

test('a stream-table join rejects join windows', () => {
  const builder = new StreamsBuilder()
  const table = builder.table('t', Consumed.with(S, S))
  const stream = builder.stream('s', Consumed.with(S, S))
  assert.throws(() => stream.join(table as never, joiner, JoinWindows.ofTimeDifferenceWithNoGrace(5) as never), {
    code: 'TOPOLOGY_INVALID'
  })
})

test('the stream (after its repartition) and the table are recorded as co-partitioned', () => {
  const builder = new StreamsBuilder()
  const table = builder.table('t', Consumed.with(S, S))
  builder
    .stream('s', Consumed.with(S, S))
    .selectKey((_k, v) => v)
    .join(table, joiner)
    .to('out', Produced.with(S, S))
  assert.deepEqual(builder.build().internalBuilder.copartitionGroups, [
    ['KSTREAM-SOURCE-0000000001', 'KSTREAM-SOURCE-0000000007']
  ])
})
