// Property tests of the runtime under at-least-once on the simulated cluster: the same random schedules as the
// exactly-once properties. After the faults heal every instance must be RUNNING and caught up (liveness), and every
// committed input must be reflected in the output and the stores at least once (nothing lost).
import { describe, test } from 'node:test'
import { checkSchedules, runsFromEnv, type PropertyStats } from './sim/property.ts'
import { FAULT_METHODS, scheduleArbitrary } from './sim/schedule.ts'
import { scenarios } from './sim/topologies.ts'

const RUNS = runsFromEnv(200)

// A failed delivery ('produce') or a flush that timed out stops an at-least-once instance by design (Kafka Streams'
// default production exception handler fails too), so the property keeps those faults out; liveness could not hold.
const STOPS_BY_DESIGN = new Set(['produce', 'flush'])
const methods = FAULT_METHODS.filter((m) => !STOPS_BY_DESIGN.has(m))

describe('at-least-once on the simulated cluster', { concurrency: true }, () => {
  for (const scenario of scenarios) {
    test(`${scenario.name}: every committed input is counted at least once`, async (t) => {
      const stats: PropertyStats = { runs: 0, ms: 0 }
      await checkSchedules(scenario, scheduleArbitrary({ guarantee: 'at_least_once', methods }), RUNS, stats)
      t.diagnostic(`${stats.runs} schedules in ${stats.ms} ms`)
    })
  }
})
