// Session-window aggregation through the test driver: merging, tombstones for merged-away sessions, grace and
// late drops, the reduce merger, and the record cache (Kafka Streams' KStreamSessionWindowAggregateProcessorTest).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Consumed, Grouped, Materialized, Produced, Serdes, SessionWindows, StreamsBuilder } from '../../src/index.ts'
import type { KTable, Windowed } from '../../src/index.ts'
import { TopologyTestDriver } from '../../src/testing/index.ts'

const show = (k: Windowed<string>): string => `${k.key}@${k.window.start}/${k.window.end}`

function topology<V>(
  table: (builder: StreamsBuilder) => KTable<Windowed<string>, V>,
  serde: Parameters<typeof Produced.with<string, V>>[1]
): StreamsBuilder {
  const builder = new StreamsBuilder()
  table(builder)
    .toStream<string>((k) => show(k))
    .to('out', Produced.with(Serdes.String(), serde))
  return builder
}

function outputs<V>(
  driver: TopologyTestDriver,
  serde: Parameters<typeof driver.createOutputTopic<string, V>>[2]
): Array<[string | null, V | null, number]> {
  return driver
    .createOutputTopic('out', Serdes.String(), serde)
    .readRecordsToList()
    .map((r) => [r.key, r.value, r.timestamp])
}

test('a record bridging two sessions merges them: tombstones for both, then the merged count', (t) => {
  // Grace 20 keeps the first session in the store (retention = gap + grace) until the bridging record arrives.
  const builder = topology(
    (b) =>
      b
        .stream('in', Consumed.with(Serdes.String(), Serdes.String()))
        .groupByKey(Grouped.with(Serdes.String(), Serdes.String()))
        .windowedBy(SessionWindows.ofInactivityGapAndGrace(10, 20))
        .count(Materialized.as('sessions')),
    Serdes.Long()
  )
  const driver = new TopologyTestDriver(
    builder.build(),
    { 'application.id': 'session-merge', 'statestore.cache.max.bytes': 0 },
    0
  )
  t.after(() => driver.close())
  const input = driver.createInputTopic('in', Serdes.String(), Serdes.String(), 0)
  input.pipeInput('a', 'x', 0, [{ key: 'h', value: Buffer.from('v') }])
  input.pipeInput('a', 'x', 20)
  input.pipeInput('a', 'x', 10)
  assert.deepEqual(outputs(driver, Serdes.Long()), [
    ['a@0/0', 1n, 0],
    ['a@20/20', 1n, 20],
    ['a@0/0', null, 0],
    ['a@20/20', null, 20],
    ['a@0/20', 3n, 20]
  ])
  const sessions = [...driver.getSessionStore<string, bigint>('sessions').all()].map((kv) => [show(kv.key), kv.value])
  assert.deepEqual(sessions, [['a@0/20', 3n]])
})

test('results carry the session end as timestamp and no headers', (t) => {
  const builder = topology(
    (b) =>
      b
        .stream('in', Consumed.with(Serdes.String(), Serdes.String()))
        .groupByKey(Grouped.with(Serdes.String(), Serdes.String()))
        .windowedBy(SessionWindows.ofInactivityGapWithNoGrace(10))
        .count(),
    Serdes.Long()
  )
  const driver = new TopologyTestDriver(
    builder.build(),
    { 'application.id': 'session-headers', 'statestore.cache.max.bytes': 0 },
    0
  )
  t.after(() => driver.close())
  const input = driver.createInputTopic('in', Serdes.String(), Serdes.String(), 0)
  input.pipeInput('a', 'x', 7, [{ key: 'h', value: Buffer.from('v') }])
  input.pipeInput('a', 'x', 3, [{ key: 'h', value: Buffer.from('v') }])
  const records = driver.createOutputTopic('out', Serdes.String(), Serdes.Long()).readRecordsToList()
  assert.deepEqual(
    records.map((r) => [r.key, r.value, r.timestamp, r.headers.length]),
    [
      ['a@7/7', 1n, 7, 0],
      ['a@7/7', null, 7, 0],
      ['a@3/7', 2n, 7, 0]
    ]
  )
})

test('records whose session closed (end < stream time - gap - grace) and null keys are dropped and counted', (t) => {
  const builder = topology(
    (b) =>
      b
        .stream('in', Consumed.with(Serdes.String(), Serdes.String()))
        .groupByKey(Grouped.with(Serdes.String(), Serdes.String()))
        .windowedBy(SessionWindows.ofInactivityGapAndGrace(5, 10))
        .reduce((a, b) => `${a}+${b}`),
    Serdes.String()
  )
  const driver = new TopologyTestDriver(
    builder.build(),
    { 'application.id': 'session-grace', 'statestore.cache.max.bytes': 0 },
    0
  )
  t.after(() => driver.close())
  const input = driver.createInputTopic('in', Serdes.String(), Serdes.String(), 0)
  input.pipeInput('a', 'p', 100)
  input.pipeInput('b', 'q', 86) // close time 100 - 10 - 5 = 85: a session ending at 86 is open
  input.pipeInput('b', 'r', 84) // joins b's session [86,86]: the merged session ends at 86, still open
  input.pipeInput('c', 's', 84) // a new session ending at 84 < 85: dropped
  input.pipeInput(null, 't', 100)
  assert.deepEqual(outputs(driver, Serdes.String()), [
    ['a@100/100', 'p', 100],
    ['b@86/86', 'q', 86],
    ['b@86/86', null, 86],
    ['b@84/86', 'q+r', 86]
  ])
  assert.equal(driver.metrics()['dropped-records-total'], 2)
})

test('the merger sees the initial aggregate, then each merged session oldest first', (t) => {
  const calls: string[] = []
  const builder = topology(
    (b) =>
      b
        .stream('in', Consumed.with(Serdes.String(), Serdes.String()))
        .groupByKey(Grouped.with(Serdes.String(), Serdes.String()))
        .windowedBy(SessionWindows.ofInactivityGapAndGrace(5, 10))
        .aggregate(
          () => '',
          (_k, v, agg) => agg + v,
          (_k, a, b) => {
            calls.push(`${a}|${b}`)
            return a + b
          },
          Materialized.with(Serdes.String(), Serdes.String())
        ),
    Serdes.String()
  )
  const driver = new TopologyTestDriver(
    builder.build(),
    { 'application.id': 'session-merger', 'statestore.cache.max.bytes': 0 },
    0
  )
  t.after(() => driver.close())
  const input = driver.createInputTopic('in', Serdes.String(), Serdes.String(), 0)
  input.pipeInput('a', 'x', 10)
  input.pipeInput('a', 'y', 20)
  input.pipeInput('a', 'z', 15)
  assert.deepEqual(calls, ['|x', 'x|y'])
  assert.deepEqual(outputs(driver, Serdes.String()).at(-1), ['a@10/20', 'xyz', 20])
})

test('with the record cache, updates of one input record reach downstream once, at commit, with its headers', (t) => {
  const builder = topology(
    (b) =>
      b
        .stream('in', Consumed.with(Serdes.String(), Serdes.String()))
        .flatMapValues((v) => [v, v])
        .groupByKey(Grouped.with(Serdes.String(), Serdes.String()))
        .windowedBy(SessionWindows.ofInactivityGapWithNoGrace(10))
        .count(Materialized.as('cached-sessions')),
    Serdes.Long()
  )
  const driver = new TopologyTestDriver(builder.build(), { 'application.id': 'session-cache' }, 0)
  t.after(() => driver.close())
  const input = driver.createInputTopic('in', Serdes.String(), Serdes.String(), 0)
  input.pipeInput('a', 'x', 0)
  input.pipeInput('a', 'x', 5, [{ key: 'h', value: Buffer.from('v') }])
  const records = driver.createOutputTopic('out', Serdes.String(), Serdes.Long()).readRecordsToList()
  // Stamped with the session end, as without the cache, but carrying the writing record's headers.
  assert.deepEqual(
    records.map((r) => [r.key, r.value, r.timestamp, r.headers.map((h) => h.key)]),
    [
      ['a@0/0', 2n, 0, []],
      ['a@0/0', null, 0, ['h']],
      ['a@0/5', 4n, 5, ['h']]
    ]
  )
  const sessions = [...driver.getSessionStore<string, bigint>('cached-sessions').all()].map((kv) => [
    show(kv.key),
    kv.value
  ])
  assert.deepEqual(sessions, [['a@0/5', 4n]])
})

test('a session that left the store (end <= stream time - gap - grace) is no longer merged', (t) => {
  const builder = topology(
    (b) =>
      b
        .stream('in', Consumed.with(Serdes.String(), Serdes.String()))
        .groupByKey(Grouped.with(Serdes.String(), Serdes.String()))
        .windowedBy(SessionWindows.ofInactivityGapWithNoGrace(10))
        .count(),
    Serdes.Long()
  )
  const driver = new TopologyTestDriver(
    builder.build(),
    { 'application.id': 'session-retention', 'statestore.cache.max.bytes': 0 },
    0
  )
  t.after(() => driver.close())
  const input = driver.createInputTopic('in', Serdes.String(), Serdes.String(), 0)
  input.pipeInput('a', 'x', 0)
  input.pipeInput('a', 'x', 20)
  input.pipeInput('a', 'x', 10) // within the gap of both, but [0,0] expired from the store when 20 arrived
  assert.deepEqual(outputs(driver, Serdes.Long()), [
    ['a@0/0', 1n, 0],
    ['a@20/20', 1n, 20],
    ['a@20/20', null, 20],
    ['a@10/20', 2n, 20]
  ])
})

test('a retention shorter than gap + grace is refused', () => {
  const builder = new StreamsBuilder()
  const grouped = builder.stream('in', Consumed.with(Serdes.String(), Serdes.String())).groupByKey()
  assert.throws(
    () =>
      grouped
        .windowedBy(SessionWindows.ofInactivityGapAndGrace(10, 5))
        .count(Materialized.as<string, bigint>('s').withRetention(14)),
    { code: 'TOPOLOGY_INVALID' }
  )
})
