// topology.optimization (merge.repartition.topics): which repartition topics Kafka Streams merges and which not.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Consumed, Grouped, Produced, Repartitioned, Serdes, StreamsBuilder } from '../../src/index.ts'
import { TopologyTestDriver } from '../../src/testing/index.ts'

const S = Serdes.String()

function sinks(text: string): string[] {
  return [...text.matchAll(/Sink: \S+ \(topic: (\S+-repartition)\)/g)].map((m) => m[1] as string)
}

test('two groupings of one re-keyed stream share one repartition topic, and both still count', (t) => {
  const builder = new StreamsBuilder()
  const rekeyed = builder.stream('in', Consumed.with(S, S)).selectKey((_k, v) => v.slice(0, 1))
  rekeyed.groupByKey(Grouped.with(S, S)).count().toStream().to('a', Produced.with(S, Serdes.Long()))
  rekeyed
    .groupByKey(Grouped.with('g2', S, S))
    .count()
    .toStream()
    .to('b', Produced.with(S, Serdes.Long()))
  const topology = builder.build({ 'topology.optimization': 'all' })
  assert.deepEqual(sinks(topology.describe().toString()), ['KSTREAM-AGGREGATE-STATE-STORE-0000000002-repartition'])
  const driver = new TopologyTestDriver(topology, { 'application.id': 'optimizer', 'statestore.cache.max.bytes': 0 }, 0)
  t.after(() => driver.close())
  driver.createInputTopic('in', S, S, 0).pipeInput('1', 'apple', 1)
  assert.deepEqual(driver.createOutputTopic('a', S, Serdes.Long()).readValuesToList(), [1n])
  assert.deepEqual(driver.createOutputTopic('b', S, Serdes.Long()).readValuesToList(), [1n])
})

test("a mapValues between the key change and a grouping keeps that grouping's own topic", () => {
  const builder = new StreamsBuilder()
  const rekeyed = builder.stream('in', Consumed.with(S, S)).selectKey((_k, v) => v)
  rekeyed.groupByKey(Grouped.with('g1', S, S)).count()
  rekeyed
    .mapValues((v) => v.toUpperCase())
    .groupByKey(Grouped.with('g2', S, S))
    .count()
  assert.deepEqual(
    sinks(builder.build({ 'topology.optimization': 'merge.repartition.topics' }).describe().toString()).sort(),
    ['g1-repartition', 'g2-repartition']
  )
})

test('an explicit repartition() is never merged, and without the setting nothing changes', () => {
  const build = (config?: { 'topology.optimization': string }): string[] => {
    const builder = new StreamsBuilder()
    const rekeyed = builder.stream('in', Consumed.with(S, S)).selectKey((_k, v) => v)
    rekeyed.repartition(Repartitioned.with(S, S).withName('explicit')).to('x', Produced.with(S, S))
    rekeyed.groupByKey(Grouped.with('g1', S, S)).count()
    rekeyed.groupByKey(Grouped.with('g2', S, S)).count()
    return sinks(builder.build(config).describe().toString()).sort()
  }
  assert.deepEqual(build(), ['explicit-repartition', 'g1-repartition', 'g2-repartition'])
  assert.deepEqual(build({ 'topology.optimization': 'all' }), ['explicit-repartition', 'g1-repartition'])
})

test('an unknown optimization is rejected', () => {
  const builder = new StreamsBuilder()
  builder.stream('in', Consumed.with(S, S)).to('out')
  assert.throws(() => builder.build({ 'topology.optimization': 'merge.everything' }), { code: 'CONFIG_INVALID' })
})

test('below a merge of two re-keyed streams, the merged topic follows the merge node', (t) => {
  const builder = new StreamsBuilder()
  const a = builder.stream('a', Consumed.with(S, S)).selectKey((_k, v) => v)
  const b = builder.stream('b', Consumed.with(S, S)).selectKey((_k, v) => v)
  const merged = a.merge(b)
  merged
    .groupByKey(Grouped.with('g1', S, S))
    .count()
    .toStream()
    .to('c1', Produced.with(S, Serdes.Long()))
  merged
    .groupByKey(Grouped.with('g2', S, S))
    .count()
    .toStream()
    .to('c2', Produced.with(S, Serdes.Long()))
  const topology = builder.build({ 'topology.optimization': 'all' })
  const text = topology.describe().toString()
  assert.deepEqual(sinks(text), ['g1-repartition'])
  assert.match(
    text,
    /Processor: KSTREAM-MERGE-\d+ \(stores: \[\]\)\n {6}--> g1-repartition-filter\n {6}<-- KSTREAM-KEY-SELECT-\d+, KSTREAM-KEY-SELECT-\d+/
  )
  const driver = new TopologyTestDriver(
    topology,
    { 'application.id': 'optimizer-merge', 'statestore.cache.max.bytes': 0 },
    0
  )
  t.after(() => driver.close())
  driver.createInputTopic('a', S, S, 0).pipeInput('1', 'x', 1)
  driver.createInputTopic('b', S, S, 0).pipeInput('2', 'x', 2)
  assert.deepEqual(driver.createOutputTopic('c2', S, Serdes.Long()).readValuesToList(), [1n, 2n])
})
