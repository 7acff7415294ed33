// Schedules the property tests found (shrunk by fast-check), kept as explicit cases. Those marked todo show runtime
// bugs that are not fixed yet: each fails today, and the property tests keep the fault that triggers it out.
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
  {
    todo: 'TaskManager#rewind passes every seek error but ERR__STATE on, so the rebalance callback fails and the instance goes to ERROR'
  },
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

test(
  'at-least-once: a retriable offset commit failure does not stop the instance',
  {
    todo: 'TaskManager#commit (consumer.commit under at-least-once) throws every error and the caller stops the instance, a retriable one (coordinator not available) included'
  },
  async () => {
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
  }
)

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
