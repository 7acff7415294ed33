// Table-table joins through the test driver: old values for a downstream groupBy, a materialized result under a
// generated name, and joins read through another join's value getter (Kafka Streams' KTableKTable*JoinTest).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Consumed, Grouped, KeyValue, Materialized, Named, Produced, Serdes, StreamsBuilder } from '../../src/index.ts'
import { TopologyTestDriver } from '../../src/testing/index.ts'

const S = Serdes.String()
const config = { 'application.id': 'table-table-join', 'statestore.cache.max.bytes': 0 }
const concat = (l: string | null, r: string | null): string => `${l}+${r}`

test('a groupBy after a join receives old join results and moves counts between groups', (t) => {
  const builder = new StreamsBuilder()
  const left = builder.table('l', Consumed.with(S, S))
  const right = builder.table('r', Consumed.with(S, S))
  left
    .join(right, concat)
    .groupBy((_k, v) => KeyValue.pair(v, v), Grouped.with(S, S))
    .count()
    .toStream()
    .to('out', Produced.with(S, Serdes.Long()))
  const driver = new TopologyTestDriver(builder.build(), config, 0)
  t.after(() => driver.close())
  const l = driver.createInputTopic('l', S, S, 0)
  const r = driver.createInputTopic('r', S, S, 0)
  l.pipeInput('k', 'x', 1)
  r.pipeInput('k', '1', 2)
  l.pipeInput('k', 'y', 3)
  r.pipeInput('k', null, 4)
  const out = driver
    .createOutputTopic('out', S, Serdes.Long())
    .readRecordsToList()
    .map((rec) => [rec.key, rec.value])
  assert.deepEqual(out, [
    ['x+1', 1n],
    ['x+1', 0n],
    ['y+1', 1n],
    ['y+1', 0n]
  ])
})

test('Materialized without a name gives the result a store with a generated name', (t) => {
  const builder = new StreamsBuilder()
  const left = builder.table('l', Consumed.with(S, S), Materialized.as('ls'))
  const right = builder.table('r', Consumed.with(S, S), Materialized.as('rs'))
  left.outerJoin(right, concat, Named.as('oj'), Materialized.with(S, S)).toStream().to('out', Produced.with(S, S))
  const topology = builder.build()
  const text = topology.describe().toString()
  assert.match(text, /Processor: oj \(stores: \[KTABLE-MERGE-STATE-STORE-0000000004\]\)/)
  assert.match(text, /Processor: oj-join-this \(stores: \[rs\]\)/)
  const driver = new TopologyTestDriver(topology, config, 0)
  t.after(() => driver.close())
  driver.createInputTopic('r', S, S, 0).pipeInput('k', 'r1', 5)
  assert.deepEqual(
    [...driver.getKeyValueStore<string, string>('KTABLE-MERGE-STATE-STORE-0000000004').all()].map((kv) => [
      kv.key,
      kv.value
    ]),
    [['k', 'null+r1']]
  )
})

test("joining a join result reads it through both joins' source stores", (t) => {
  const builder = new StreamsBuilder()
  const a = builder.table('a', Consumed.with(S, S))
  const b = builder.table('b', Consumed.with(S, S))
  const c = builder.table('c', Consumed.with(S, S))
  a.join(b, concat).leftJoin(c, concat).toStream().to('out', Produced.with(S, S))
  const text = builder.build().describe().toString()
  // The second join's other side looks the first join up through a's and b's stores.
  assert.match(
    text,
    /KTABLE-JOINOTHER-0000000014 \(stores: \[(a-STATE-STORE-0000000000, b-STATE-STORE-0000000003|b-STATE-STORE-0000000003, a-STATE-STORE-0000000000)\]\)/
  )
  const driver = new TopologyTestDriver(builder.build(), config, 0)
  t.after(() => driver.close())
  driver.createInputTopic('c', S, S, 0).pipeInput('k', 'c1', 1)
  driver.createInputTopic('a', S, S, 0).pipeInput('k', 'a1', 2)
  driver.createInputTopic('b', S, S, 0).pipeInput('k', 'b1', 3)
  driver.createInputTopic('c', S, S, 0).pipeInput('k', 'c2', 4)
  const out = driver
    .createOutputTopic('out', S, S)
    .readRecordsToList()
    .map((rec) => [rec.key, rec.value, rec.timestamp])
  assert.deepEqual(out, [
    ['k', 'a1+b1+c1', 3],
    ['k', 'a1+b1+c2', 4]
  ])
})

test('a null key is dropped and counted', (t) => {
  const builder = new StreamsBuilder()
  const left = builder.stream('l', Consumed.with(S, S)).toTable()
  const right = builder.table('r', Consumed.with(S, S))
  left.join(right, concat).toStream().to('out', Produced.with(S, S))
  const driver = new TopologyTestDriver(builder.build(), config, 0)
  t.after(() => driver.close())
  driver.createInputTopic('l', S, S, 0).pipeInput(null, 'v', 1)
  assert.equal(driver.metrics()['dropped-records-total'], 1)
  assert.deepEqual(driver.createOutputTopic('out', S, S).readRecordsToList(), [])
})

test('both joined tables are recorded as co-partitioned', () => {
  const builder = new StreamsBuilder()
  builder.table('l', Consumed.with(S, S)).join(builder.table('r', Consumed.with(S, S)), concat)
  assert.deepEqual(builder.build().internalBuilder.copartitionGroups, [
    ['KSTREAM-SOURCE-0000000001', 'KSTREAM-SOURCE-0000000004']
  ])
})
