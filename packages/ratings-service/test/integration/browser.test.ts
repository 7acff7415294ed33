// Lives in integration/ because it needs the broker: scripts/test.sh runs this folder once the infrastructure is up.
// End to end in a real headless Chromium against the running service (src/server.ts as its own process) on the real
// broker and registry: submit 8 then 10 for Lethal Weapon and the live table shows 9 within 5 s. The screenshot is
// kept in test-artifacts/. Then SIGTERM: the service shuts down cleanly (exit code 0).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import { brokerEnv, testConfig, waitFor } from '../helpers.ts'

const SERVICE_ROOT = fileURLToPath(new URL('../../', import.meta.url))
const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url))
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

test('the page: submit 8 then 10 for Lethal Weapon, the table shows 9 within 5 s', { timeout: 180_000 }, async (t) => {
  const c = testConfig()
  const env = {
    ...process.env,
    ...brokerEnv(),
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    APPLICATION_ID: c.applicationId,
    RATINGS_TOPIC: c.topics.ratings,
    RATING_AVERAGES_TOPIC: c.topics.averages,
    RATING_STATS_TOPIC: c.topics.stats,
    STATE_DIR: c.stateDir ?? '',
    TOPIC_REPLICATION_FACTOR: '1'
  }
  const child = spawn(process.execPath, ['--conditions=source', join(SERVICE_ROOT, 'src/server.ts')], {
    env,
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  t.after(() => child.kill('SIGKILL'))
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => {
    stdout += String(d)
  })
  child.stderr.on('data', (d) => {
    stderr += String(d)
  })
  const url = await waitFor(
    'the service to print its URL',
    () => {
      if (child.exitCode !== null) throw new Error(`service exited ${child.exitCode}: ${stderr}`)
      return /listening on (http:\/\/\S+)/.exec(stdout)?.[1]
    },
    60_000
  )
  await waitFor(
    'readiness',
    async () => ((await fetch(new URL('/health', url))).status === 200 ? true : undefined),
    60_000
  )

  // A fresh profile each run (playwright passes it as --user-data-dir).
  const context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'ratings-chromium-')), {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync'
    ]
  })
  t.after(() => context.close())
  const page = context.pages()[0] ?? (await context.newPage())
  const external: string[] = []
  page.on('request', (r) => {
    if (!r.url().startsWith(url.replace('localhost', '127.0.0.1')) && !r.url().startsWith(url)) external.push(r.url())
  })
  await page.goto(url)
  await page.getByText('Live: averages update as ratings arrive.').waitFor({ timeout: 10_000 })

  // Keyboard only: the labels name the selects, Enter on the focused button submits.
  await page.getByLabel('Movie Title').selectOption({ label: 'Lethal Weapon' })
  await page.getByLabel('Rating').selectOption('8')
  await page.getByRole('button', { name: 'Submit' }).focus()
  await page.keyboard.press('Enter')
  const thanks = page.getByRole('status').filter({ hasText: 'Thank you for submitting your rating' })
  await thanks.waitFor({ state: 'visible', timeout: 10_000 })
  await page.getByRole('button', { name: 'Dismiss' }).first().click()
  await thanks.waitFor({ state: 'hidden', timeout: 2_000 })

  const started = Date.now()
  await page.getByLabel('Rating').selectOption('10')
  await page.getByRole('button', { name: 'Submit' }).click()
  await thanks.waitFor({ state: 'visible', timeout: 5_000 })
  const cell = page.locator('tr[data-movie-id="362"] td.average')
  await page.waitForFunction(
    () => document.querySelector('tr[data-movie-id="362"] td.average')?.textContent === '9',
    undefined,
    { timeout: 5_000 }
  )
  const elapsed = Date.now() - started
  assert.equal(await cell.textContent(), '9')
  assert.equal(await page.locator('tr[data-movie-id="362"] td.count').textContent(), '2')
  assert.ok(elapsed < 5_000, `9 shown after ${elapsed} ms`)
  assert.deepEqual(external, [], 'every asset is served locally')

  const artifacts = join(REPO_ROOT, 'test-artifacts')
  mkdirSync(artifacts, { recursive: true })
  await page.screenshot({ path: join(artifacts, 'ratings-service-e2e.png'), fullPage: true })
  t.diagnostic(`9 shown ${elapsed} ms after the second submit; screenshot in test-artifacts/ratings-service-e2e.png`)

  child.kill('SIGTERM')
  assert.equal(await exited, 0, `graceful shutdown: ${stderr}`)
})
