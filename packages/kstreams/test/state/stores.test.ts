// Stores: the LMDB window and session stores behind windowed aggregations give exactly what the in-memory ones
// give, with and without the record cache.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  Consumed,
  Grouped,
  Materialized,
  Produced,
  Serdes,
  SessionWindows,
  SlidingWindows,
  Stores,
  StreamsBuilder,
  TimeWindows
} from '../../src/index.ts'
import type { KGroupedStream, KTable, Windowed } from '../../src/index.ts'
import { TopologyTestDriver } from '../../src/testing/index.ts'

const show = (k: Windowed<unknown>): string => `${String(k.key)}@${k.window.start}/${k.window.end}`
const inputs: Array<[string, number]> = [
  ['a', 10],
  ['a', 14],
  ['b', 12],
  ['a', 30],
  ['a', 22],
  ['a', 3],
  ['b', 13]
]

function run(
  name: string,
  kind: 'time' | 'sliding' | 'session',
  table: (g: KGroupedStream<string, string>) => KTable<Windowed<string>, bigint>,
  cache: boolean
): { out: string[]; store: string[] } {
  const builder = new StreamsBuilder()
  table(
    builder
      .stream('in', Consumed.with(Serdes.String(), Serdes.String()))
      .groupByKey(Grouped.with(Serdes.String(), Serdes.String()))
  )
    .toStream<string>((k) => show(k))
    .to('out', Produced.with(Serdes.String(), Serdes.Long()))
  const config = cache ? { 'application.id': name } : { 'application.id': name, 'statestore.cache.max.bytes': 0 }
  const driver = new TopologyTestDriver(builder.build(), config, 0)
  try {
    const input = driver.createInputTopic('in', Serdes.String(), Serdes.String(), 0)
    for (const [key, ts] of inputs) input.pipeInput(key, 'x', ts)
    const out = driver
      .createOutputTopic('out', Serdes.String(), Serdes.Long())
      .readRecordsToList()
      .map((r) => `${r.key}=${r.value}@${r.timestamp}`)
    const rows =
      kind === 'session'
        ? [...driver.getSessionStore<string, bigint>('s').all()]
        : [...driver.getWindowStore<string, bigint>('s').all()]
    return { out, store: rows.map((kv) => `${show(kv.key)}=${kv.value}`).sort() }
  } finally {
    driver.close()
  }
}

for (const cache of [false, true]) {
  test(`a tumbling count on LMDB equals the in-memory one (cache ${cache ? 'on' : 'off'})`, () => {
    const memory = run(
      'tumbling-memory',
      'time',
      (g) =>
        g
          .windowedBy(TimeWindows.ofSizeAndGrace(10, 5))
          .count(Materialized.as(Stores.inMemoryWindowStore('s', 15, 10, false))),
      cache
    )
    const lmdb = run(
      'tumbling-lmdb',
      'time',
      (g) =>
        g
          .windowedBy(TimeWindows.ofSizeAndGrace(10, 5))
          .count(Materialized.as(Stores.persistentWindowStore('s', 15, 10, false))),
      cache
    )
    assert.ok(memory.out.length > 0)
    assert.deepEqual(lmdb, memory)
  })

  test(`a sliding count on LMDB equals the in-memory one (cache ${cache ? 'on' : 'off'})`, () => {
    const memory = run(
      'sliding-memory',
      'sliding',
      (g) =>
        g
          .windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(5, 10))
          .count(Materialized.as(Stores.inMemoryWindowStore('s', 20, 5, false))),
      cache
    )
    const lmdb = run(
      'sliding-lmdb',
      'sliding',
      (g) =>
        g
          .windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(5, 10))
          .count(Materialized.as(Stores.persistentWindowStore('s', 20, 5, false))),
      cache
    )
    assert.ok(memory.out.length > 0)
    assert.deepEqual(lmdb, memory)
  })

  test(`a session count on LMDB equals the in-memory one (cache ${cache ? 'on' : 'off'})`, () => {
    const memory = run(
      'session-memory',
      'session',
      (g) =>
        g
          .windowedBy(SessionWindows.ofInactivityGapAndGrace(5, 10))
          .count(Materialized.as(Stores.inMemorySessionStore('s', 15))),
      cache
    )
    const lmdb = run(
      'session-lmdb',
      'session',
      (g) =>
        g
          .windowedBy(SessionWindows.ofInactivityGapAndGrace(5, 10))
          .count(Materialized.as(Stores.persistentSessionStore('s', 15))),
      cache
    )
    assert.ok(memory.out.length > 0)
    assert.deepEqual(lmdb, memory)
  })
}
