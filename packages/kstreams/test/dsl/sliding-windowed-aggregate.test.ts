// Sliding-window aggregation through the test driver, as Kafka Streams' KStreamSlidingWindowAggregateTest: left and
// right windows, records earlier than the time difference, out-of-order records, late drops and the reducer.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Consumed, Grouped, Materialized, Produced, Serdes, SlidingWindows, StreamsBuilder } from '../../src/index.ts'
import type { KTable, Serde, Windowed } from '../../src/index.ts'
import { TopologyTestDriver } from '../../src/testing/index.ts'

const show = (k: Windowed<unknown>): string => `${String(k.key)}@${k.window.start}/${k.window.end}`

function run<V>(
  name: string,
  table: (builder: StreamsBuilder) => KTable<Windowed<string>, V>,
  serde: Serde<V>,
  config: Record<string, string | number> = { 'statestore.cache.max.bytes': 0 }
): { driver: TopologyTestDriver; read: () => Array<[string | null, V | null, number]> } {
  const builder = new StreamsBuilder()
  table(builder)
    .toStream<string>((k) => show(k))
    .to('out', Produced.with(Serdes.String(), serde))
  const driver = new TopologyTestDriver(builder.build(), { 'application.id': name, ...config }, 0)
  const out = driver.createOutputTopic('out', Serdes.String(), serde)
  return { driver, read: () => out.readRecordsToList().map((r) => [r.key, r.value, r.timestamp]) }
}

test('a record creates its left window, the right window of the record before it, and fills both', (t) => {
  const { driver, read } = run(
    'sliding-reduce',
    (b) =>
      b
        .stream('in', Consumed.with(Serdes.String(), Serdes.Long()))
        .groupByKey(Grouped.with(Serdes.String(), Serdes.Long()))
        .windowedBy(SlidingWindows.ofTimeDifferenceWithNoGrace(5))
        .reduce((a, v) => a + v, Materialized.as('sliding')),
    Serdes.Long()
  )
  t.after(() => driver.close())
  const input = driver.createInputTopic('in', Serdes.String(), Serdes.Long(), 0)
  input.pipeInput('a', 1n, 10)
  input.pipeInput('a', 2n, 12)
  input.pipeInput('a', 4n, 3) // its left window [-2, 3] ended long before stream time 12: dropped
  input.pipeInput('a', null, 13) // null values cannot be aggregated: dropped
  assert.deepEqual(read(), [
    ['a@5/10', 1n, 10],
    ['a@11/16', 2n, 12],
    ['a@7/12', 3n, 12]
  ])
  assert.equal(driver.metrics()['dropped-records-total'], 2)
  const windows = [...driver.getWindowStore<string, bigint>('sliding').all()].map((kv) => [show(kv.key), kv.value])
  assert.deepEqual(windows, [
    ['a@5/10', 1n],
    ['a@7/12', 3n],
    ['a@11/16', 2n]
  ])
})

test('an out-of-order record within grace updates later windows and gets a right window of the later records', (t) => {
  const { driver, read } = run(
    'sliding-out-of-order',
    (b) =>
      b
        .stream('in', Consumed.with(Serdes.String(), Serdes.String()))
        .groupByKey(Grouped.with(Serdes.String(), Serdes.String()))
        .windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(10, 20))
        .aggregate(
          () => '',
          (_k, v, agg) => agg + v,
          Materialized.with(Serdes.String(), Serdes.String())
        ),
    Serdes.String()
  )
  t.after(() => driver.close())
  const input = driver.createInputTopic('in', Serdes.String(), Serdes.String(), 0)
  input.pipeInput('a', 'x', 20)
  input.pipeInput('a', 'y', 15)
  assert.deepEqual(read(), [
    ['a@10/20', 'x', 20],
    ['a@10/20', 'xy', 20], // y (15) falls in x's left window
    ['a@5/15', 'y', 15], // y's left window, created before its right window
    ['a@16/26', 'x', 20] // y's right window holds x
  ])
})

test('records earlier than the time difference share the window [0, d]', (t) => {
  const { driver, read } = run(
    'sliding-early',
    (b) =>
      b
        .stream('in', Consumed.with(Serdes.String(), Serdes.String()))
        .groupByKey(Grouped.with(Serdes.String(), Serdes.String()))
        .windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(10, 100))
        .count(),
    Serdes.Long()
  )
  t.after(() => driver.close())
  const input = driver.createInputTopic('in', Serdes.String(), Serdes.String(), 0)
  input.pipeInput('a', 'x', 2)
  input.pipeInput('a', 'x', 5)
  input.pipeInput('a', 'x', 1)
  assert.deepEqual(read(), [
    ['a@0/10', 1n, 2],
    ['a@3/13', 1n, 5], // right window of the record at 2
    ['a@0/10', 2n, 5],
    ['a@2/12', 2n, 5], // right window of the record at 1: the records at 2 and 5
    ['a@0/10', 3n, 5]
  ])
})

test('with the record cache, each window is emitted once per input record', (t) => {
  const { driver, read } = run(
    'sliding-cache',
    (b) =>
      b
        .stream('in', Consumed.with(Serdes.String(), Serdes.String()))
        .flatMapValues((v) => [v, v])
        .groupByKey(Grouped.with(Serdes.String(), Serdes.String()))
        .windowedBy(SlidingWindows.ofTimeDifferenceWithNoGrace(5))
        .count(),
    Serdes.Long(),
    {}
  )
  t.after(() => driver.close())
  const input = driver.createInputTopic('in', Serdes.String(), Serdes.String(), 0)
  input.pipeInput('a', 'x', 10)
  input.pipeInput('a', 'x', 12)
  assert.deepEqual(read(), [
    ['a@5/10', 2n, 10],
    ['a@11/16', 2n, 12],
    ['a@7/12', 4n, 12]
  ])
})

test('a retention shorter than 2 * time difference + grace is refused', () => {
  const grouped = new StreamsBuilder().stream('in', Consumed.with(Serdes.String(), Serdes.String())).groupByKey()
  assert.throws(
    () =>
      grouped
        .windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(10, 5))
        .count(Materialized.as<string, bigint>('w').withRetention(24)),
    { code: 'TOPOLOGY_INVALID' }
  )
})
