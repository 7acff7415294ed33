// Property tests of the runtime under exactly-once (exactly_once_v2) on the simulated cluster: random schedules of
// input, processing, faults, crashes, restarts and rebalances among up to three instances. After every schedule the
// faults heal, and then every instance must be RUNNING and caught up on every source partition (liveness), and the
// read_committed output and every store's changelog must be exactly the fold of the committed input.
import { describe, test } from 'node:test'
import { checkSchedules, runsFromEnv, type PropertyStats } from './sim/property.ts'
import { FAULT_METHODS, scheduleArbitrary } from './sim/schedule.ts'
import { scenarios } from './sim/topologies.ts'

const RUNS = runsFromEnv(200)

describe('exactly-once on the simulated cluster', { concurrency: true }, () => {
  for (const scenario of scenarios) {
    test(`${scenario.name}: output and stores are the fold of the committed input`, async (t) => {
      const stats: PropertyStats = { runs: 0, ms: 0 }
      await checkSchedules(
        scenario,
        scheduleArbitrary({ guarantee: 'exactly_once_v2', methods: FAULT_METHODS }),
        RUNS,
        stats
      )
      t.diagnostic(`${stats.runs} schedules in ${stats.ms} ms`)
    })
  }
})
