// The engine in its own process (the default): it runs at the configured niceness, and if it dies the server stays
// up, reports the engine as ERROR (liveness 503, as for an engine that failed in process) and answers queries 503.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { getPriority } from 'node:os'
import { build } from '../../src/app.ts'
import { ChildProcessEngine } from '../../src/child-engine.ts'
import { engineNice } from '../../src/plugins/services.ts'
import { brokerEnv, testConfig, waitFor } from '../helpers.ts'

// This file is about the process mode, whatever the suite runs with (each test file has its own process).
process.env.ENGINE_MODE = 'process'

test(
  'the engine process runs niced; when it dies the service reports it instead of failing requests with 500',
  { timeout: 120_000 },
  async (t) => {
    const app = await build({ config: testConfig(brokerEnv()), logger: false })
    t.after(() => app.close())
    await waitFor(
      'the service to be ready',
      async () => ((await app.inject('/health')).statusCode === 200 ? true : undefined),
      60_000
    )
    const engine = app.services.engine
    assert.ok(engine instanceof ChildProcessEngine, 'the engine runs in a child process by default')
    const pid = engine.pid!
    assert.equal(getPriority(pid), engineNice())
    assert.equal((await app.inject('/averages/362')).json().source, 'store')

    process.kill(pid, 'SIGKILL')
    await waitFor('liveness to fail', async () =>
      (await app.inject('/health/live')).statusCode === 503 ? true : undefined
    )
    assert.equal(engine.state, 'ERROR')
    const query = await app.inject('/averages')
    assert.equal(query.statusCode, 503)
    assert.equal(query.json().code, 'NOT_QUERYABLE')
    // Ingestion does not depend on the engine: ratings are still accepted (and processed once it is restarted).
    const post = await app.inject({
      method: 'POST',
      url: '/rating',
      headers: { 'content-type': 'application/json' },
      payload: { movieId: 362, rating: 8 }
    })
    assert.equal(post.statusCode, 202)
  }
)
