// KTable.suppress through the test driver: bounded buffers (emit early, shut down), build-time checks, and the
// suppressed table's value getter (Kafka Streams' KTableSuppressProcessorTest / SuppressScenarioTest).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  BufferConfig,
  Consumed,
  Grouped,
  Produced,
  Serdes,
  StreamsBuilder,
  Suppressed,
  TimeWindows
} from '../../src/index.ts'
import type { KTable } from '../../src/index.ts'
import { TopologyTestDriver } from '../../src/testing/index.ts'

const S = Serdes.String()
const config = { 'application.id': 'suppress', 'statestore.cache.max.bytes': 0 }

function counts(builder: StreamsBuilder): KTable<string, bigint> {
  return builder.stream('in', Consumed.with(S, S)).groupByKey(Grouped.with(S, S)).count()
}

test('a full buffer with emitEarlyWhenFull emits its oldest entry early', (t) => {
  const builder = new StreamsBuilder()
  counts(builder)
    .suppress(Suppressed.untilTimeLimit(100, BufferConfig.maxRecords(1).emitEarlyWhenFull()))
    .toStream()
    .to('out', Produced.with(S, Serdes.Long()))
  const driver = new TopologyTestDriver(builder.build(), config, 0)
  t.after(() => driver.close())
  const input = driver.createInputTopic('in', S, S, 0)
  input.pipeInput('a', 'x', 1)
  input.pipeInput('a', 'x', 2)
  input.pipeInput('b', 'x', 3)
  const out = driver
    .createOutputTopic('out', S, Serdes.Long())
    .readRecordsToList()
    .map((r) => [r.key, r.value, r.timestamp])
  assert.deepEqual(out, [['a', 2n, 2]])
})

test('a full buffer with shutDownWhenFull fails processing', (t) => {
  const builder = new StreamsBuilder()
  counts(builder)
    .suppress(Suppressed.untilTimeLimit(100, BufferConfig.maxRecords(1).shutDownWhenFull()))
    .toStream()
    .to('out', Produced.with(S, Serdes.Long()))
  const driver = new TopologyTestDriver(builder.build(), config, 0)
  t.after(() => driver.close())
  const input = driver.createInputTopic('in', S, S, 0)
  input.pipeInput('a', 'x', 1)
  assert.throws(() => input.pipeInput('b', 'x', 2), /buffer exceeded its max capacity/)
})

test('untilWindowCloses needs a windowed table and a buffer that never emits early', () => {
  assert.throws(() => Suppressed.untilWindowCloses(BufferConfig.maxRecords(3)), { code: 'TOPOLOGY_INVALID' })
  const builder = new StreamsBuilder()
  assert.throws(
    () => counts(builder).suppress(Suppressed.untilWindowCloses(BufferConfig.unbounded())),
    /Window close time is only defined for windowed computations/
  )
})

test('untilWindowCloses waits for the grace of the windowed aggregation further upstream', (t) => {
  const builder = new StreamsBuilder()
  builder
    .stream('in', Consumed.with(S, S))
    .groupByKey(Grouped.with(S, S))
    .windowedBy(TimeWindows.ofSizeAndGrace(10, 5))
    .count()
    .filter((_k, v) => v > 0n)
    .suppress(Suppressed.untilWindowCloses(BufferConfig.unbounded()))
    .toStream((k) => `${k.key}@${k.window.start}`)
    .to('out', Produced.with(S, Serdes.Long()))
  const driver = new TopologyTestDriver(builder.build(), config, 0)
  t.after(() => driver.close())
  const input = driver.createInputTopic('in', S, S, 0)
  input.pipeInput('a', 'x', 1)
  input.pipeInput('a', 'x', 14)
  const out = driver.createOutputTopic('out', S, Serdes.Long())
  assert.deepEqual(out.readRecordsToList(), [])
  input.pipeInput('a', 'x', 15)
  assert.deepEqual(
    out.readRecordsToList().map((r) => [r.key, r.value]),
    [['a@0', 1n]]
  )
})

test('a join reads a suppressed table as downstream last saw it while an update is buffered', (t) => {
  const builder = new StreamsBuilder()
  const table = counts(builder).suppress(Suppressed.untilTimeLimit(10, BufferConfig.unbounded()).withName('held'))
  builder
    .stream('s', Consumed.with(S, S))
    .leftJoin(table, (v: string, n: bigint | null) => `${v}#${n}`)
    .to('out', Produced.with(S, S))
  const driver = new TopologyTestDriver(builder.build(), config, 0)
  t.after(() => driver.close())
  const input = driver.createInputTopic('in', S, S, 0)
  const s = driver.createInputTopic('s', S, S, 0)
  input.pipeInput('a', 'x', 1)
  s.pipeInput('a', 'q', 2)
  input.pipeInput('b', 'x', 20)
  s.pipeInput('a', 'r', 21)
  const out = driver
    .createOutputTopic('out', S, S)
    .readRecordsToList()
    .map((r) => [r.key, r.value])
  // The count's first update carries the initializer (0) as its old value, as in Kafka Streams, so that is what
  // the buffered key shows until the update is emitted.
  assert.deepEqual(out, [
    ['a', 'q#0'],
    ['a', 'r#1']
  ])
})
