// No secret in any log line, on the real broker and registry (issue 6). The service runs as a process (src/server.ts)
// at log level trace, with a SASL password and a schema registry key/secret configured:
// - a full life: start-up (topics, producer, feed, engine, the registry called with the key/secret), a rating
//   accepted, a bad request refused, SIGTERM and a clean shutdown;
// - a failed connection: SASL_PLAINTEXT against the broker's PLAINTEXT listener.
// Everything it writes to stdout and stderr is searched for the secrets, plain and base64-encoded.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { brokerEnv, waitFor } from '../helpers.ts'

const SERVER = fileURLToPath(new URL('../../src/server.ts', import.meta.url))
const SASL_USER = 'CLUSTERKEY4TEST'
const SASL_PASSWORD = 'sasl-Pa55w0rd-7f3c9e1d'
const REGISTRY_KEY = 'SRKEY4TEST'
const REGISTRY_SECRET = 'sr-s3cr3t-b81d44a0'
const FORMS: ReadonlyArray<readonly [string, string]> = [
  ['SASL password', SASL_PASSWORD],
  ['registry secret', REGISTRY_SECRET],
  ['registry Authorization', Buffer.from(`${REGISTRY_KEY}:${REGISTRY_SECRET}`).toString('base64')],
  ['SASL PLAIN token', Buffer.from(`\u0000${SASL_USER}\u0000${SASL_PASSWORD}`).toString('base64')]
]

interface Service {
  readonly child: ChildProcess
  readonly lines: () => string[]
  readonly exited: Promise<number | null>
}

function start(env: Record<string, string>): Service {
  const id = randomUUID().slice(0, 8)
  const child = spawn(process.execPath, ['--conditions=source', SERVER], {
    env: {
      PATH: process.env.PATH ?? '',
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'trace',
      APPLICATION_ID: `ratings-secrets-${id}`,
      APPLICATION_SERVER: '127.0.0.1:1',
      RATINGS_TOPIC: `ratings-${id}`,
      RATING_AVERAGES_TOPIC: `rating-averages-${id}`,
      RATING_STATS_TOPIC: `rating-stats-${id}`,
      STATE_DIR: mkdtempSync(join(tmpdir(), 'ratings-secrets-')),
      TOPIC_REPLICATION_FACTOR: '1',
      ...env
    },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let out = ''
  child.stdout!.on('data', (d: Buffer) => (out += d.toString('utf8')))
  child.stderr!.on('data', (d: Buffer) => (out += d.toString('utf8')))
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
  return { child, lines: () => out.split('\n').filter((l) => l !== ''), exited }
}

function assertNoSecret(lines: string[]): void {
  for (const line of lines) {
    for (const [what, secret] of FORMS) assert.ok(!line.includes(secret), `the ${what} is in a log line: ${line}`)
  }
}

describe('no secret reaches a log line (broker and registry)', { concurrency: true, timeout: 150_000 }, () => {
  it('start-up, a rating, a bad request and shutdown with the registry key/secret in use', async (t) => {
    const { KAFKA_BOOTSTRAP, SCHEMA_REGISTRY_URL } = brokerEnv()
    const service = start({
      KAFKA_BOOTSTRAP,
      // The local broker has no SASL: the password is configured (and must not be logged) but not used.
      KAFKA_SASL_USERNAME: SASL_USER,
      KAFKA_SASL_PASSWORD: SASL_PASSWORD,
      SCHEMA_REGISTRY_URL,
      SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO: `${REGISTRY_KEY}:${REGISTRY_SECRET}`
    })
    t.after(() => service.child.kill('SIGKILL'))
    const base = await waitFor(
      'the service to listen',
      () => {
        const line = service.lines().find((l) => l.startsWith('ratings-service listening on '))
        return line?.replace('ratings-service listening on ', '').replace('localhost', '127.0.0.1')
      },
      60_000
    )
    await waitFor(
      'the service to be ready',
      async () => ((await fetch(`${base}health/ready`)).status === 200 ? true : undefined),
      60_000
    )
    const post = (body: string): Promise<Response> =>
      fetch(`${base}rating`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
    assert.equal((await post('{"movieId":362,"rating":8}')).status, 202)
    assert.equal((await post('{"movieId":362,"rating":"8"}')).status, 400)
    service.child.kill('SIGTERM')
    assert.equal(await service.exited, 0)

    const lines = service.lines()
    t.diagnostic(`${lines.length} lines written`)
    assert.ok(lines.some((l) => l.includes('"msg":"configuration"') && l.includes('[redacted]')))
    assert.ok(
      lines.some((l) => l.includes('"url":"/rating"')),
      'the requests are logged'
    )
    assertNoSecret(lines)
  })

  it('a failed connection: SASL_PLAINTEXT against a PLAINTEXT listener', async (t) => {
    const { KAFKA_BOOTSTRAP, SCHEMA_REGISTRY_URL } = brokerEnv()
    const service = start({
      KAFKA_BOOTSTRAP,
      KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT',
      KAFKA_SASL_MECHANISM: 'PLAIN',
      KAFKA_SASL_USERNAME: SASL_USER,
      KAFKA_SASL_PASSWORD: SASL_PASSWORD,
      SCHEMA_REGISTRY_URL,
      SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO: `${REGISTRY_KEY}:${REGISTRY_SECRET}`
    })
    t.after(() => service.child.kill('SIGKILL'))
    assert.equal(await service.exited, 1)
    const lines = service.lines()
    t.diagnostic(`${lines.length} lines written; last: ${lines.at(-1)}`)
    assert.ok(lines.some((l) => l.startsWith('ratings-service: cannot start')))
    assertNoSecret(lines)
  })
})
