// The window store's caching layer through the test driver: reads merge the cache over the store, writes reach
// the changelog and downstream only at commit, and a windowed aggregate emits one update per window per commit.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  Consumed,
  Grouped,
  Materialized,
  Produced,
  Record,
  Serdes,
  Stores,
  StreamsBuilder,
  TimeWindows,
  Topology,
  ValueAndTimestamp
} from '../../../src/index.ts'
import type { Processor, ProcessorContext, Windowed, WindowStore } from '../../../src/index.ts'
import { TopologyTestDriver } from '../../../src/testing/index.ts'

const show = (k: Windowed<unknown>): string => `${String(k.key)}@${k.window.start}/${k.window.end}`

function windowedCount(
  name: string,
  cached: boolean
): { driver: TopologyTestDriver; read: () => Array<[string | null, bigint | null, number]> } {
  const builder = new StreamsBuilder()
  let m = Materialized.as<string, bigint>('counts')
  if (!cached) m = m.withCachingDisabled()
  builder
    .stream('in', Consumed.with(Serdes.String(), Serdes.String()))
    .flatMapValues((v) => [v, v])
    .groupByKey(Grouped.with(Serdes.String(), Serdes.String()))
    .windowedBy(TimeWindows.ofSizeWithNoGrace(10))
    .count(m)
    .toStream<string>((k) => show(k))
    .to('out', Produced.with(Serdes.String(), Serdes.Long()))
  const driver = new TopologyTestDriver(builder.build(), { 'application.id': name }, 0)
  const out = driver.createOutputTopic('out', Serdes.String(), Serdes.Long())
  return { driver, read: () => out.readRecordsToList().map((r) => [r.key, r.value, r.timestamp]) }
}

test('a cached windowed count emits each window once per commit, stamped with the window value timestamp', (t) => {
  const { driver, read } = windowedCount('window-cache-on', true)
  t.after(() => driver.close())
  const input = driver.createInputTopic('in', Serdes.String(), Serdes.String(), 0)
  input.pipeInput('a', 'x', 1)
  input.pipeInput('a', 'y', 2)
  input.pipeInput('a', 'z', 12)
  assert.deepEqual(read(), [
    ['a@0/10', 2n, 1],
    ['a@0/10', 4n, 2],
    ['a@10/20', 2n, 12]
  ])
  // The window [0, 10) expired from the store (retention 10) but still sits in the cache, so reads see it, as in Java.
  const windows = [...driver.getWindowStore<string, bigint>('counts').all()].map((kv) => [show(kv.key), kv.value])
  assert.deepEqual(windows, [
    ['a@0/10', 4n],
    ['a@10/20', 2n]
  ])
})

test('without caching every update is emitted and expired windows are gone', (t) => {
  const { driver, read } = windowedCount('window-cache-off', false)
  t.after(() => driver.close())
  const input = driver.createInputTopic('in', Serdes.String(), Serdes.String(), 0)
  input.pipeInput('a', 'x', 1)
  input.pipeInput('a', 'z', 12)
  assert.deepEqual(read(), [
    ['a@0/10', 1n, 1],
    ['a@0/10', 2n, 1],
    ['a@10/20', 1n, 12],
    ['a@10/20', 2n, 12]
  ])
  const windows = [...driver.getWindowStore<string, bigint>('counts').all()].map((kv) => [show(kv.key), kv.value])
  assert.deepEqual(windows, [['a@10/20', 2n]])
})

// Each input record is one command on the window store: "put:<value>@<windowStart>" or "del@<windowStart>"; the
// processor forwards what fetchRange and fetchAll see right after the command, before the commit.
function commands(name: string): {
  driver: TopologyTestDriver
  send: (key: string, command: string) => string | null
  changelog: () => Array<[string | null, string | null]>
} {
  const topology = new Topology()
    .addSource('source', 'in', Serdes.String(), Serdes.String())
    .addProcessor(
      'commands',
      (): Processor<string, string, string, string> => {
        let store: WindowStore<string, ValueAndTimestamp<string>>
        let context: ProcessorContext<string, string>
        return {
          init(ctx) {
            context = ctx
            store = ctx.getStateStore('w')
          },
          process(record) {
            const [command, at] = record.value.split('@')
            const start = Number(at)
            if (command === 'del') store.put(record.key, null, start)
            else store.put(record.key, new ValueAndTimestamp(command.slice(4), record.timestamp), start)
            const own = [...store.fetchRange(record.key, 0, 1000)].map((kv) => `${kv.key}=${kv.value.value}`)
            const every = [...store.fetchAll(0, 1000)].map((kv) => `${show(kv.key)}=${kv.value.value}`)
            context.forward(new Record(record.key, `${own.join(',')}|${every.join(',')}`, record.timestamp))
          }
        }
      },
      'source'
    )
    .addStateStore(
      Stores.timestampedWindowStoreBuilder(
        Stores.inMemoryWindowStore('w', 1000, 10, false),
        Serdes.String(),
        Serdes.String()
      ).withCachingEnabled(),
      'commands'
    )
    .addSink('sink', 'out', Serdes.String(), Serdes.String(), 'commands')
  const driver = new TopologyTestDriver(topology, { 'application.id': name }, 0)
  const input = driver.createInputTopic('in', Serdes.String(), Serdes.String(), 0)
  const out = driver.createOutputTopic('out', Serdes.String(), Serdes.String())
  const log = driver.createOutputTopic(`${name}-w-changelog`, Serdes.ByteArray(), Serdes.ByteArray())
  return {
    driver,
    send: (key, command) => {
      input.pipeInput(key, command, 100)
      return out.readValue()
    },
    changelog: () =>
      log
        .readRecordsToList()
        .map((r) => [r.key === null ? null : r.key.toString('hex'), r.value === null ? null : r.value.toString()])
  }
}

test('reads merge cached writes over the store, and a cached delete hides the stored window', (t) => {
  const { driver, send, changelog } = commands('window-cache-reads')
  t.after(() => driver.close())
  assert.equal(send('a', 'put:1@0'), '0=1|a@0/10=1')
  assert.equal(send('b', 'put:2@20'), '20=2|a@0/10=1,b@20/30=2')
  assert.equal(send('a', 'put:3@10'), '0=1,10=3|a@0/10=1,a@10/20=3,b@20/30=2')
  assert.equal(send('a', 'del@0'), '10=3|a@10/20=3,b@20/30=2')
  // One changelog write per commit (plain values: the changelog of a timestamped store carries the timestamp as the record's).
  assert.deepEqual(
    changelog().map(([, v]) => v),
    ['1', '2', '3', null]
  )
})
