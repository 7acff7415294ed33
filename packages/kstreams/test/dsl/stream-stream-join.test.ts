// Windowed stream-stream joins through the test driver: duplicates within a window, outer results of the right
// side, store naming and supplier checks, and the repartition of re-keyed inputs (Kafka Streams' KStreamKStream*JoinTest).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Consumed, JoinWindows, Produced, Serdes, StreamJoined, StreamsBuilder, Stores } from '../../src/index.ts'
import { TopologyTestDriver } from '../../src/testing/index.ts'

const S = Serdes.String()
const config = { 'application.id': 'stream-stream-join', 'statestore.cache.max.bytes': 0 }
const concat = (l: string | null, r: string | null): string => `${l}+${r}`

function driverFor(builder: StreamsBuilder): {
  driver: TopologyTestDriver
  pipe: (topic: string, key: string | null, value: string | null, ts: number) => void
  out: () => Array<[string | null, string | null, number]>
} {
  const driver = new TopologyTestDriver(builder.build(), config, 0)
  const topics = new Map<string, ReturnType<typeof driver.createInputTopic<string, string>>>()
  return {
    driver,
    pipe: (topic, key, value, ts) => {
      let t = topics.get(topic)
      if (t === undefined) {
        t = driver.createInputTopic(topic, S, S, 0)
        topics.set(topic, t)
      }
      t.pipeInput(key, value, ts)
    },
    out: () =>
      driver
        .createOutputTopic('out', S, S)
        .readRecordsToList()
        .map((r) => [r.key, r.value, r.timestamp])
  }
}

test('every record within the window joins, duplicates included, at the later timestamp', (t) => {
  const builder = new StreamsBuilder()
  const left = builder.stream('l', Consumed.with(S, S))
  left
    .join(
      builder.stream('r', Consumed.with(S, S)),
      concat,
      JoinWindows.ofTimeDifferenceWithNoGrace(5),
      StreamJoined.with(S, S, S)
    )
    .to('out', Produced.with(S, S))
  const { driver, pipe, out } = driverFor(builder)
  t.after(() => driver.close())
  pipe('l', 'k', 'a', 10)
  pipe('l', 'k', 'b', 10)
  pipe('r', 'k', 'x', 14)
  pipe('r', 'k', 'y', 16)
  assert.deepEqual(out(), [
    ['k', 'a+x', 14],
    ['k', 'b+x', 14]
  ])
})

test('an outer join emits unmatched right records as (null, right) once their window closed', (t) => {
  const builder = new StreamsBuilder()
  builder
    .stream('l', Consumed.with(S, S))
    .outerJoin(
      builder.stream('r', Consumed.with(S, S)),
      concat,
      JoinWindows.ofTimeDifferenceAndGrace(5, 2),
      StreamJoined.with(S, S, S)
    )
    .to('out', Produced.with(S, S))
  const { driver, pipe, out } = driverFor(builder)
  t.after(() => driver.close())
  pipe('r', 'k', 'x', 10)
  pipe('l', 'j', 'a', 17)
  assert.deepEqual(out(), [])
  pipe('l', 'j', 'b', 18)
  assert.deepEqual(out(), [['k', 'null+x', 10]])
})

test('withStoreName names the window stores and withName the processors', () => {
  const builder = new StreamsBuilder()
  builder
    .stream('l', Consumed.with(S, S))
    .leftJoin(
      builder.stream('r', Consumed.with(S, S)),
      concat,
      JoinWindows.ofTimeDifferenceWithNoGrace(5),
      StreamJoined.with(S, S, S).withName('j').withStoreName('st')
    )
    .to('out', Produced.with(S, S))
  const text = builder.build().describe().toString()
  assert.match(text, /Processor: j-this-windowed \(stores: \[st-this-join-store\]\)/)
  assert.match(text, /Processor: j-other-windowed \(stores: \[st-outer-other-join-store\]\)/)
  assert.match(
    text,
    /Processor: j-this-join \(stores: \[(st-outer-other-join-store, st-left-shared-join-store|st-left-shared-join-store, st-outer-other-join-store)\]\)/
  )
  assert.match(text, /Processor: j-merge \(stores: \[\]\)/)
})

test('store suppliers must retain duplicates and match the window', () => {
  const builder = new StreamsBuilder()
  const left = builder.stream('l', Consumed.with(S, S))
  const right = builder.stream('r', Consumed.with(S, S))
  const windows = JoinWindows.ofTimeDifferenceAndGrace(5, 1)
  const ok = (name: string): ReturnType<typeof Stores.inMemoryWindowStore> =>
    Stores.inMemoryWindowStore(name, 11, 10, true)
  assert.throws(
    () =>
      left.join(
        right,
        concat,
        windows,
        StreamJoined.with(S, S, S)
          .withThisStoreSupplier(Stores.inMemoryWindowStore('a', 11, 10, false))
          .withOtherStoreSupplier(ok('b'))
      ),
    /retainDuplicates/
  )
  assert.throws(
    () =>
      left.join(
        right,
        concat,
        windows,
        StreamJoined.with(S, S, S)
          .withThisStoreSupplier(Stores.inMemoryWindowStore('a', 20, 10, true))
          .withOtherStoreSupplier(ok('b'))
      ),
    /mismatch/
  )
  assert.throws(
    () =>
      left.join(
        right,
        concat,
        windows,
        StreamJoined.with(S, S, S).withThisStoreSupplier(ok('a')).withOtherStoreSupplier(ok('a'))
      ),
    /same name/
  )
  left
    .join(
      right,
      concat,
      windows,
      StreamJoined.with(S, S, S).withThisStoreSupplier(ok('a')).withOtherStoreSupplier(ok('b'))
    )
    .to('out', Produced.with(S, S))
  assert.match(builder.build().describe().toString(), /KSTREAM-WINDOWED-\d+ \(stores: \[a\]\)/)
})

test('re-keyed sides are repartitioned through <name>-left and <name>-right topics', (t) => {
  const builder = new StreamsBuilder()
  const left = builder.stream('l', Consumed.with(S, S)).selectKey((_k, v) => v)
  const right = builder.stream('r', Consumed.with(S, S)).selectKey((_k, v) => v)
  left
    .join(right, concat, JoinWindows.ofTimeDifferenceWithNoGrace(5), StreamJoined.with(S, S, S).withName('j'))
    .to('out', Produced.with(S, S))
  const text = builder.build().describe().toString()
  assert.match(text, /Sink: j-left-repartition-sink \(topic: j-left-repartition\)/)
  assert.match(text, /Sink: j-right-repartition-sink \(topic: j-right-repartition\)/)
  const { driver, pipe, out } = driverFor(builder)
  t.after(() => driver.close())
  pipe('l', '1', 'k', 1)
  pipe('r', '2', 'k', 2)
  assert.deepEqual(out(), [['k', 'k+k', 2]])
})

test('join windows reject a negative interval', () => {
  assert.throws(() => JoinWindows.ofTimeDifferenceWithNoGrace(5).before(-6), { code: 'TOPOLOGY_INVALID' })
  assert.equal(JoinWindows.ofTimeDifferenceWithNoGrace(5).before(-5).size(), 0)
})

test('both joined streams are recorded as co-partitioned', () => {
  const builder = new StreamsBuilder()
  builder
    .stream('l', Consumed.with(S, S))
    .join(
      builder.stream('r', Consumed.with(S, S)),
      concat,
      JoinWindows.ofTimeDifferenceWithNoGrace(5),
      StreamJoined.with(S, S, S)
    )
    .to('out', Produced.with(S, S))
  assert.deepEqual(builder.build().internalBuilder.copartitionGroups, [
    ['KSTREAM-SOURCE-0000000000', 'KSTREAM-SOURCE-0000000001']
  ])
})

test('a record older than the window store retention is not stored, is counted as dropped, and still joins', (t) => {
  const builder = new StreamsBuilder()
  builder
    .stream('l', Consumed.with(S, S))
    .join(
      builder.stream('r', Consumed.with(S, S)),
      concat,
      JoinWindows.ofTimeDifferenceWithNoGrace(5),
      StreamJoined.with(S, S, S)
    )
    .to('out', Produced.with(S, S))
  const { driver, pipe, out } = driverFor(builder)
  t.after(() => driver.close())
  pipe('r', 'k', 'x', 81)
  pipe('l', 'k', 'a', 100)
  pipe('l', 'k', 'late', 80)
  assert.equal(driver.metrics()['dropped-records-total'], 1)
  assert.deepEqual(out(), [['k', 'late+x', 81]])
  // The late left record was not kept: a right record in its window finds nothing.
  pipe('r', 'k', 'y', 84)
  assert.deepEqual(out(), [])
})
