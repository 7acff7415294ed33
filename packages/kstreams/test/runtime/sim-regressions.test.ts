// Schedules the property tests found (shrunk by fast-check), kept as explicit cases: each failed on the runtime
// before the fix named in its test.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { runSchedule, type Schedule } from './sim/schedule.ts'
import { regionTotals, runningAverage, windowedClicks } from './sim/topologies.ts'

const eager = {
  cached: false,
  cooperative: false,
  cluster: { txnTimeout: 'fenced', committedWatermark: 'lso' }
} as const

test(
  'exactly-once: a seek that times out while partitions are adopted does not stop the instance',
  { timeout: 30_000 },
  async () => {
    const schedule: Schedule = {
      settings: { guarantee: 'exactly_once_v2', ...eager },
      steps: [
        { kind: 'fault', slot: 1, method: 'seek', action: { kind: 'error', error: 'retriable' }, times: 1 },
        { kind: 'rebalance' },
        { kind: 'process', ms: 50 }
      ]
    }
    const r = await runSchedule(runningAverage, schedule)
    assert.deepEqual(r.violations, [])
  }
)

test('at-least-once: a retriable offset commit failure does not stop the instance', { timeout: 30_000 }, async () => {
  const schedule: Schedule = {
    settings: { guarantee: 'at_least_once', ...eager },
    steps: [
      { kind: 'fault', slot: 1, method: 'commit', action: { kind: 'error', error: 'retriable' }, times: 1 },
      {
        kind: 'produce',
        records: [
          [788, 520],
          [376, 521],
          [206, 588]
        ]
      },
      { kind: 'process', ms: 100 },
      { kind: 'start', slot: 2 }
    ]
  }
  const r = await runSchedule(windowedClicks, schedule)
  assert.deepEqual(r.violations, [])
})

test('exactly-once: a transactional call that never answers is bounded, aborted and retried', async () => {
  const schedule: Schedule = {
    settings: { guarantee: 'exactly_once_v2', ...eager },
    steps: [
      {
        kind: 'produce',
        records: [
          [1, 2],
          [3, 4]
        ]
      },
      { kind: 'fault', slot: 1, method: 'commitTransaction', action: { kind: 'hang' }, times: 2 },
      { kind: 'process', ms: 40 },
      { kind: 'produce', records: [[5, 6]] },
      { kind: 'crash', slot: 1 },
      { kind: 'start', slot: 2 }
    ]
  }
  const r = await runSchedule(regionTotals, schedule)
  assert.deepEqual(r.violations, [])
})

test(
  'exactly-once: output committed behind another instance open transaction counts as output',
  { timeout: 60_000 },
  async () => {
    // Instance 1 retries sendOffsetsToTransaction while its transaction holds the repartition topic's LSO; instance 3
    // commits a rating's offsets and its repartition record after that LSO. The check read only up to the LSO and
    // reported committed offsets without output in 16 of 30 replays; the record is committed, only not visible yet.
    const schedule: Schedule = {
      settings: { guarantee: 'exactly_once_v2', ...eager },
      steps: [
        { kind: 'start', slot: 3 },
        {
          kind: 'fault',
          slot: 1,
          method: 'sendOffsetsToTransaction',
          action: { kind: 'timeout', ms: 1 },
          times: 1
        },
        { kind: 'process', ms: 1 },
        {
          kind: 'produce',
          records: [
            [500, 107],
            [491, 0]
          ]
        },
        { kind: 'process', ms: 24 }
      ]
    }
    for (let i = 0; i < 10; i++) assert.deepEqual((await runSchedule(runningAverage, schedule)).violations, [])
  }
)
