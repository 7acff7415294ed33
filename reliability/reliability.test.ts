// CI variant of the broker-failure suite (scripts/reliability.sh --short as node:test): scenario A (3-node cluster,
// kill -9 a broker, then the active controller) and scenario B (single broker stopped and started) run side by
// side, each on its own ports, and must lose nothing, write nothing twice and count nothing twice. Needs
// SCHEMA_REGISTRY_URL (scripts/test.sh exports its test registry); starts and stops its own brokers.
// RELIABILITY_VARIANT=long for the longer variant, RELIABILITY_PARALLEL=0 to run the scenarios one after the other,
// RELIABILITY_SCENARIOS=a (or b) to run one of them (default both).
import { after, suite, test } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ARTIFACTS, kafkaSh } from './infra.ts'
import { VARIANTS, clusterScenario, singleScenario } from './scenarios.ts'
import type { ScenarioResult } from './scenarios.ts'
import { TABLE_HEADER, summaryRows } from './run.ts'

const registryUrl = process.env.SCHEMA_REGISTRY_URL
const variant = VARIANTS[process.env.RELIABILITY_VARIANT === 'long' ? 'long' : 'short']
const runId = `ci${new Date()
  .toISOString()
  .replace(/[-:.TZ]/g, '')
  .slice(0, 14)}`
const results: ScenarioResult[] = []
const scenarios = (process.env.RELIABILITY_SCENARIOS ?? 'a,b').toLowerCase().split(',')
const skipUnless = (id: string): { skip?: string } =>
  scenarios.includes(id) ? {} : { skip: `not in RELIABILITY_SCENARIOS (${scenarios.join(',')})` }

after(async () => {
  await kafkaSh('cluster', 'stop').catch(() => {})
  await kafkaSh('stop').catch(() => {})
  if (results.length > 0) {
    const rows = [...TABLE_HEADER, ...results.flatMap(summaryRows)].join('\n')
    writeFileSync(join(ARTIFACTS, `results-ci-${runId}.json`), JSON.stringify(results, null, 2))
    process.stdout.write(`\n${rows}\n`)
  }
})

function check(r: ScenarioResult): void {
  results.push(r)
  const a = r.accounting
  const context = `${r.scenario}: ${JSON.stringify({ accounting: a, problems: r.problems })}`
  assert.ok(a.accepted > 0, `nothing was acknowledged. ${context}`)
  assert.equal(a.lost, 0, `acknowledged ratings missing from the topic. ${context}`)
  assert.equal(a.duplicatedInTopic, 0, `ratings written twice. ${context}`)
  assert.equal(a.countedTwice, 0, `ratings counted twice. ${context}`)
  assert.equal(a.notCounted, 0, `ratings not counted. ${context}`)
  assert.equal(a.sumMismatch, 0, `wrong sums. ${context}`)
  assert.equal(a.failed, 0, `answers other than 202/503. ${context}`)
  assert.ok(r.transactionalIds > 0, `exactly-once was not in effect. ${context}`)
  assert.equal(r.serviceExitCode, 0, `the service did not shut down cleanly. ${context}`)
  assert.deepEqual(r.problems, [])
}

suite(
  `broker failures under exactly_once_v2 (${variant.name})`,
  { concurrency: process.env.RELIABILITY_PARALLEL !== '0' },
  () => {
    const log = (prefix: string) => (line: string) => process.stdout.write(`# ${prefix} ${line}\n`)

    test(
      'A: 3-node cluster, kill -9 a broker and then the active controller: nothing lost, nothing counted twice',
      skipUnless('a'),
      async () => {
        assert.ok(registryUrl, 'SCHEMA_REGISTRY_URL is not set')
        check(await clusterScenario(variant, registryUrl, runId, log('A')))
      }
    )

    test(
      'B: single broker stopped and started: the service reconnects, /health shows the outage, nothing lost',
      skipUnless('b'),
      async () => {
        assert.ok(registryUrl, 'SCHEMA_REGISTRY_URL is not set')
        const r = await singleScenario(variant, registryUrl, runId, log('B'))
        check(r)
        assert.ok(r.health?.outageReportedAfterS !== undefined, '/health did not report the outage')
        assert.ok(r.health?.readyAgainAfterS !== undefined, '/health did not report the recovery')
      }
    )
  }
)
