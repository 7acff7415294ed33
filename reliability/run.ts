// Command line of the broker-failure suite (scripts/reliability.sh starts the registry and calls this):
//   node --conditions=source reliability/run.ts [--short|--long] [--scenario a|b|all]
// Prints one table row per scenario and per fault (docs/reliability.md's format), writes the full results as JSON
// to test-artifacts/reliability/, and exits 1 when a scenario lost, duplicated or miscounted a rating.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ARTIFACTS, VARIANTS, clusterScenario, singleScenario } from './scenarios.ts'
import type { ScenarioResult } from './scenarios.ts'

export function summaryRows(r: ScenarioResult): string[] {
  const a = r.accounting
  const f = (n: number | undefined): string => (n === undefined ? '–' : n.toFixed(1))
  const rows = [
    `| ${r.scenario} (${r.variant}) | ${r.faults.length} | ${a.sent} | ${a.accepted} | ${a.unavailable} ` +
      `(${a.unavailableWritten} written) | ${a.failed} | ${a.lost} | ${a.duplicatedInTopic} | ${a.countedTwice} | ` +
      `${a.notCounted} | ${f(r.finalCatchUpS)} s | ${r.ok ? 'pass' : 'FAIL'} |`
  ]
  for (const x of r.faults) {
    rows.push(
      `| ↳ ${x.fault} | | ${x.posts} | ${x.accepted} | ${x.unavailable} | ${x.failed} | | | | | ` +
        `POST ${f(x.postRecoveryS)} s after the fault, ${f(x.postRecoveryAfterRestartS)} s after the restart ` +
        `(slowest ${(x.maxLatencyMs / 1000).toFixed(1)} s); averages ${f(x.averagesCatchUpS)} s / ` +
        `${f(x.averagesCatchUpAfterRestartS)} s (at most ${f(x.averagesMaxDelayS)} s behind) | |`
    )
  }
  return rows
}

export const TABLE_HEADER = [
  '| scenario / fault | faults | sent | 202 | 503 | other | lost | written twice | counted twice | not counted | recovery | result |',
  '| --- | --: | --: | --: | --: | --: | --: | --: | --: | --: | --- | --- |'
]

async function main(): Promise<void> {
  const args = process.argv.slice(2)
  const variant = VARIANTS[args.includes('--long') ? 'long' : 'short']
  const i = args.indexOf('--scenario')
  const which = i >= 0 ? (args[i + 1] ?? 'all').toLowerCase() : 'all'
  const registryUrl = process.env.SCHEMA_REGISTRY_URL
  if (registryUrl === undefined || registryUrl === '') {
    process.stderr.write('SCHEMA_REGISTRY_URL is not set (scripts/reliability.sh starts a registry and sets it)\n')
    process.exit(2)
  }
  const runId = new Date()
    .toISOString()
    .replace(/[-:.TZ]/g, '')
    .slice(0, 14)
  const log = (line: string): void => {
    process.stdout.write(`${line}\n`)
  }
  mkdirSync(ARTIFACTS, { recursive: true })
  const results: ScenarioResult[] = []
  if (which === 'a' || which === 'all') {
    log(`== scenario A (${variant.name}): 3-node cluster, kill -9 a broker and the active controller`)
    results.push(await clusterScenario(variant, registryUrl, runId, log))
  }
  if (which === 'b' || which === 'all') {
    log(`== scenario B (${variant.name}): single broker stopped and started again`)
    results.push(await singleScenario(variant, registryUrl, runId, log))
  }
  const file = join(ARTIFACTS, `results-${variant.name}-${runId}.json`)
  writeFileSync(file, JSON.stringify({ command: process.argv.slice(1).join(' '), results }, null, 2))
  log(`\nresults: ${file}\n`)
  for (const row of [...TABLE_HEADER, ...results.flatMap(summaryRows)]) log(row)
  for (const r of results) {
    log(`\n${r.scenario}: transactional ids ${r.transactionalIds}`)
    if (r.health !== undefined) log(`${r.scenario}: /health ${JSON.stringify(r.health)}`)
    for (const p of r.problems) log(`PROBLEM ${r.scenario}: ${p}`)
    for (const e of r.errorLines) log(`service error log ${r.scenario}: ${e}`)
  }
  process.exit(results.every((r) => r.ok) ? 0 : 1)
}

if (import.meta.main) await main()
