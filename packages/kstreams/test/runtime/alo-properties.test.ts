// Property tests of the runtime under at-least-once on the simulated cluster: the same random schedules as the
// exactly-once properties. After the faults heal every instance must be RUNNING and caught up (liveness), and every
// committed input must be reflected in the output and the stores at least once (nothing lost).
import { describe, test } from 'node:test'
import { checkSchedules, runsFromEnv, type PropertyStats } from './sim/property.ts'
import { FAULT_METHODS, scheduleArbitrary } from './sim/schedule.ts'
import { scenarios } from './sim/topologies.ts'

const RUNS = runsFromEnv(200)

// Faults on these calls hit runtime bugs shown by test/runtime/sim-regressions.test.ts (marked todo there); the
// property keeps them out so that it can find the next one. A failed delivery ('produce') or a flush that timed out
// stops an at-least-once instance by design (Kafka Streams' default production exception handler fails too).
// Outages only delay calls here: one that fails calls at once hits the offset commit bug too.
const KNOWN_BUGS = new Set(['seek', 'commit', 'produce', 'flush'])
const methods = FAULT_METHODS.filter((m) => !KNOWN_BUGS.has(m))

describe('at-least-once on the simulated cluster', { concurrency: true }, () => {
  for (const scenario of scenarios) {
    test(`${scenario.name}: every committed input is counted at least once`, async (t) => {
      const stats: PropertyStats = { runs: 0, ms: 0 }
      await checkSchedules(
        scenario,
        scheduleArbitrary({ guarantee: 'at_least_once', methods, outageModes: ['delay'] }),
        RUNS,
        stats
      )
      t.diagnostic(`${stats.runs} schedules in ${stats.ms} ms`)
    })
  }
})
