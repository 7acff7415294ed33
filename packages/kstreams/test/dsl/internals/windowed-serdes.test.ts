// Windowed key serdes: Kafka Streams' byte layouts, and a windowed KTable writing its keys with them when
// toStream().to() names no serdes.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  Consumed,
  Grouped,
  Serdes,
  SessionWindows,
  StreamsBuilder,
  TimeWindows,
  Window,
  Windowed
} from '../../../src/index.ts'
import { sessionWindowedSerde, timeWindowedSerde } from '../../../src/dsl/internals/windowed-serdes.ts'
import { TopologyTestDriver } from '../../../src/testing/index.ts'

test('time-windowed keys are [key][8-byte start]; the end comes from the window size', () => {
  const serde = timeWindowedSerde(Serdes.String(), 10)
  const bytes = serde.serialize('t', new Windowed('a', new Window(20, 30))) as Buffer
  assert.equal(bytes.toString('hex'), '61' + '0000000000000014')
  const back = serde.deserialize('t', bytes) as Windowed<string>
  assert.deepEqual([back.key, back.window.start, back.window.end], ['a', 20, 30])
  assert.equal(serde.serialize('t', null), null)
})

test('session-windowed keys are [key][8-byte end][8-byte start]', () => {
  const serde = sessionWindowedSerde(Serdes.String())
  const bytes = serde.serialize('t', new Windowed('a', new Window(3, 7))) as Buffer
  assert.equal(bytes.toString('hex'), '61' + '0000000000000007' + '0000000000000003')
  const back = serde.deserialize('t', bytes) as Windowed<string>
  assert.deepEqual([back.key, back.window.start, back.window.end], ['a', 3, 7])
})

test('a windowed table written without serdes uses the windowed key serde of its grouping', (t) => {
  const builder = new StreamsBuilder()
  const grouped = builder
    .stream('in', Consumed.with(Serdes.String(), Serdes.String()))
    .groupByKey(Grouped.with(Serdes.String(), Serdes.String()))
  grouped.windowedBy(TimeWindows.ofSizeWithNoGrace(10)).count().toStream().to('time')
  grouped.windowedBy(SessionWindows.ofInactivityGapWithNoGrace(10)).count().toStream().to('session')
  const driver = new TopologyTestDriver(
    builder.build(),
    { 'application.id': 'windowed-serdes', 'statestore.cache.max.bytes': 0 },
    0
  )
  t.after(() => driver.close())
  driver.createInputTopic('in', Serdes.String(), Serdes.String(), 0).pipeInput('a', 'x', 12)
  const time = driver
    .createOutputTopic('time', timeWindowedSerde(Serdes.String(), 10), Serdes.Long())
    .readKeyValuesToList()
  assert.deepEqual(
    time.map((kv) => [kv.key?.key, kv.key?.window.start, kv.key?.window.end, kv.value]),
    [['a', 10, 20, 1n]]
  )
  const session = driver.createOutputTopic('session', Serdes.ByteArray(), Serdes.Long()).readKeyValuesToList()
  assert.deepEqual(
    session.map((kv) => kv.key?.toString('hex')),
    ['61' + '000000000000000c' + '000000000000000c']
  )
})
