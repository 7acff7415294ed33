// Runs a schedule property with fast-check on several lanes at once (independent clusters; the instances mostly wait
// on timers, so lanes overlap well), and reports a failure with its seed, the shrunk schedule and the log tail.
import fc from 'fast-check'
import { runSchedule, type Schedule } from './schedule.ts'
import type { Scenario } from './topologies.ts'

/** Total schedules per property: SIM_RUNS, else `fallback`. */
export function runsFromEnv(fallback: number): number {
  const n = Number(process.env.SIM_RUNS)
  return Number.isInteger(n) && n > 0 ? n : fallback
}

export const LANES = Math.max(1, Number(process.env.SIM_LANES ?? 4))

/** Bound of one property's run, shrinking included (SIM_TIME_LIMIT_MS); an interrupted shrink reports what it has. */
const SHRINK_LIMIT_MS = Number(process.env.SIM_TIME_LIMIT_MS ?? 900_000)

export interface PropertyStats {
  runs: number
  ms: number
}

/**
 * Checks that every schedule of `arbitrary` run on `scenario` keeps its invariants. SIM_SEED fixes the seed of lane 0
 * (the others use seed + lane), to replay a reported failure.
 */
export async function checkSchedules(
  scenario: Scenario,
  arbitrary: fc.Arbitrary<Schedule>,
  numRuns: number,
  stats?: PropertyStats
): Promise<void> {
  const started = Date.now()
  const base =
    process.env.SIM_SEED === undefined ? Date.now() ^ (Math.random() * 0x7fffffff) : Number(process.env.SIM_SEED)
  const lanes = Math.min(LANES, numRuns)
  // The first failure stops the other lanes (their remaining schedules pass at once) so that its shrinking runs alone.
  let stopped = false
  await Promise.all(
    Array.from({ length: lanes }, async (_, lane) => {
      const runs = Math.floor(numRuns / lanes) + (lane < numRuns % lanes ? 1 : 0)
      let last: { violations: string[]; log: readonly string[]; faults: readonly string[] } | null = null
      const result = await fc.check(
        fc.asyncProperty(arbitrary, async (schedule) => {
          if (stopped && last === null) return true
          const r = await runSchedule(scenario, schedule)
          if (r.violations.length > 0) {
            last = r
            stopped = true
          }
          return r.violations.length === 0
        }),
        { numRuns: runs, seed: base + lane, interruptAfterTimeLimit: SHRINK_LIMIT_MS, markInterruptAsFailure: false }
      )
      if (stats !== undefined) stats.runs += result.numRuns
      if (result.failed) {
        const shrunk = result.counterexample?.[0]
        const r = last as { violations: string[]; log: readonly string[]; faults: readonly string[] } | null
        throw new Error(
          [
            `${scenario.name}: invariant violated (seed ${base + lane}, path ${result.counterexamplePath}, ${result.numRuns} runs)`,
            `shrunk schedule: ${JSON.stringify(shrunk)}`,
            `violations: ${r?.violations.slice(0, 8).join('\n  ')}`,
            `faults fired: ${r?.faults.join(' ')}`,
            `log tail:\n${r?.log.slice(-60).join('\n')}`
          ].join('\n')
        )
      }
    })
  )
  if (stats !== undefined) stats.ms += Date.now() - started
}
