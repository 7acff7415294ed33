// No secret in any log line (issue 6): the service runs as a process (src/server.ts) with a SASL password and a
// schema registry key/secret, configured through environment variables or a Confluent Cloud client.properties, at
// the most verbose log level; everything it writes to stdout and stderr (pino lines, start-up errors, anything the
// native Kafka client prints) is captured through start-up, configuration errors and a failed connection attempt
// (nothing listens on the broker's port), and searched for the secrets, plain and base64-encoded.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadConfig, redactConfig } from '../../src/config.ts'

const SERVER = fileURLToPath(new URL('../../src/server.ts', import.meta.url))
const SASL_USER = 'CLUSTERKEY4TEST'
const SASL_PASSWORD = 'sasl-Pa55w0rd-7f3c9e1d'
const REGISTRY_KEY = 'SRKEY4TEST'
const REGISTRY_SECRET = 'sr-s3cr3t-b81d44a0'

/** Every form a secret could take in a log line. */
const FORMS: ReadonlyArray<readonly [string, string]> = [
  ['SASL password', SASL_PASSWORD],
  ['registry secret', REGISTRY_SECRET],
  ['registry Authorization', Buffer.from(`${REGISTRY_KEY}:${REGISTRY_SECRET}`).toString('base64')],
  ['SASL PLAIN token', Buffer.from(`\u0000${SASL_USER}\u0000${SASL_PASSWORD}`).toString('base64')],
  ['URL-encoded password', encodeURIComponent(SASL_PASSWORD)]
]

interface Run {
  readonly code: number | null
  readonly lines: string[]
}

/** A port nothing listens on: taken from the kernel, then released. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** Runs src/server.ts until it exits (a start-up that cannot connect exits 1, a config error 2). */
function runService(env: Record<string, string>, timeoutMs = 60_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=source', SERVER], {
      env: {
        PATH: process.env.PATH ?? '',
        HOST: '127.0.0.1',
        PORT: '0',
        LOG_LEVEL: 'trace',
        APPLICATION_SERVER: '127.0.0.1:1',
        STATE_DIR: mkdtempSync(join(tmpdir(), 'ratings-secrets-')),
        TOPIC_REPLICATION_FACTOR: '1',
        PRODUCE_TIMEOUT_MS: '2000',
        ...env
      },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')))
    child.stderr.on('data', (d: Buffer) => (out += d.toString('utf8')))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`the service did not exit within ${timeoutMs} ms; output:\n${out}`))
    }, timeoutMs)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, lines: out.split('\n').filter((l) => l !== '') })
    })
  })
}

function assertNoSecret(run: Run): void {
  for (const line of run.lines) {
    for (const [what, secret] of FORMS) {
      assert.ok(!line.includes(secret), `the ${what} is in a log line: ${line}`)
    }
  }
}

function confluentCloudProperties(bootstrap: string, registry: string): string {
  // As Confluent Cloud's "client.properties" download, filled in.
  return [
    '# Required connection configs for Kafka producer, consumer, and admin',
    `bootstrap.servers=${bootstrap}`,
    'security.protocol=SASL_SSL',
    `sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username='${SASL_USER}' password='${SASL_PASSWORD}';`,
    'sasl.mechanism=PLAIN',
    '# Required for correctness in Apache Kafka clients prior to 2.6',
    'client.dns.lookup=use_all_dns_ips',
    '# Best practice for higher availability in Apache Kafka clients prior to 3.0',
    'session.timeout.ms=45000',
    '# Best practice for Kafka producer to prevent data loss',
    'acks=all',
    '# Required connection configs for Confluent Cloud Schema Registry',
    `schema.registry.url=${registry}`,
    'basic.auth.credentials.source=USER_INFO',
    `basic.auth.user.info=${REGISTRY_KEY}:${REGISTRY_SECRET}`,
    ''
  ].join('\n')
}

it('registry credentials in the URL are moved out of it into basicAuth, which the logged copy redacts', () => {
  const config = loadConfig({
    SCHEMA_REGISTRY_URL: `https://${REGISTRY_KEY}:${encodeURIComponent(REGISTRY_SECRET)}@psrc-x.example.com/ccompat`
  })
  assert.equal(config.registry.url, 'https://psrc-x.example.com/ccompat')
  assert.equal(config.registry.basicAuth, `${REGISTRY_KEY}:${REGISTRY_SECRET}`)
  const logged = JSON.stringify(redactConfig(config))
  for (const [what, secret] of FORMS) assert.ok(!logged.includes(secret), `the ${what} is in ${logged}`)
  // Explicit user info wins over the URL's; the URL is stripped either way.
  const explicit = loadConfig({
    SCHEMA_REGISTRY_URL: `https://a:b@psrc-x.example.com`,
    SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO: `${REGISTRY_KEY}:${REGISTRY_SECRET}`
  })
  assert.equal(explicit.registry.url, 'https://psrc-x.example.com/')
  assert.equal(explicit.registry.basicAuth, `${REGISTRY_KEY}:${REGISTRY_SECRET}`)
})

describe('no secret reaches a log line', { concurrency: 4, timeout: 120_000 }, () => {
  it('env vars, SASL_PLAINTEXT to a port nothing listens on: start-up and the failed connection', async () => {
    const port = await closedPort()
    const run = await runService({
      KAFKA_BOOTSTRAP: `127.0.0.1:${port}`,
      KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT',
      KAFKA_SASL_MECHANISM: 'PLAIN',
      KAFKA_SASL_USERNAME: SASL_USER,
      KAFKA_SASL_PASSWORD: SASL_PASSWORD,
      SCHEMA_REGISTRY_URL: `http://127.0.0.1:${port}/apis/ccompat/v7`,
      SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO: `${REGISTRY_KEY}:${REGISTRY_SECRET}`
    })
    assert.equal(run.code, 1, run.lines.join('\n'))
    // The test sees what it must: the configuration line (redacted) and the connection failure.
    assert.ok(run.lines.some((l) => l.includes('"msg":"configuration"') && l.includes('[redacted]')))
    assert.ok(run.lines.some((l) => l.startsWith('ratings-service: cannot start')))
    assertNoSecret(run)
  })

  it('a Confluent Cloud client.properties with debug=all: start-up and the failed connection', async () => {
    const port = await closedPort()
    const dir = mkdtempSync(join(tmpdir(), 'ratings-secrets-'))
    const file = join(dir, 'client.properties')
    writeFileSync(
      file,
      confluentCloudProperties(`127.0.0.1:${port}`, `http://127.0.0.1:${port}`) +
        // librdkafka's own debug output, the most it ever prints (configuration dumps included).
        'debug=all\n'
    )
    const run = await runService({ KAFKA_CONFIG_FILE: file })
    assert.ok(run.code === 1, run.lines.slice(-20).join('\n'))
    assert.ok(run.lines.some((l) => l.includes('"msg":"configuration"') && l.includes('[redacted]')))
    assertNoSecret(run)
  })

  it('registry credentials in the URL (basic.auth.credentials.source=URL)', async () => {
    const port = await closedPort()
    const run = await runService({
      KAFKA_BOOTSTRAP: `127.0.0.1:${port}`,
      SCHEMA_REGISTRY_URL: `http://${REGISTRY_KEY}:${encodeURIComponent(REGISTRY_SECRET)}@127.0.0.1:${port}/apis/ccompat/v7`,
      KAFKA_SASL_PASSWORD: SASL_PASSWORD
    })
    assert.equal(run.code, 1, run.lines.join('\n'))
    assert.ok(run.lines.some((l) => l.includes('"msg":"configuration"')))
    assertNoSecret(run)
  })

  const configErrors: ReadonlyArray<readonly [string, Record<string, string>]> = [
    ['an unknown SASL mechanism', { KAFKA_SECURITY_PROTOCOL: 'SASL_SSL', KAFKA_SASL_MECHANISM: 'PLAN' }],
    ['an unknown security protocol', { KAFKA_SECURITY_PROTOCOL: 'SASL_TLS' }],
    ['registry user info without a colon', { SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO: REGISTRY_SECRET }],
    ['a bootstrap server with credentials in it', { KAFKA_BOOTSTRAP: `SASL_SSL://${SASL_USER}:${SASL_PASSWORD}@host` }],
    ['a registry URL that is not http(s)', { SCHEMA_REGISTRY_URL: `ftp://${REGISTRY_KEY}:${REGISTRY_SECRET}@host/` }],
    ['a registry URL that does not parse', { SCHEMA_REGISTRY_URL: `http://${REGISTRY_KEY}:${REGISTRY_SECRET}@` }],
    ['a bad port', { PORT: 'eighty' }],
    ['a missing properties file', { KAFKA_CONFIG_FILE: '/nonexistent/client.properties' }],
    [
      'an unquoted JAAS password',
      {
        JAAS: `org.apache.kafka.common.security.plain.PlainLoginModule required username=${SASL_USER} password=${SASL_PASSWORD};`
      }
    ]
  ]
  for (const [name, env] of configErrors) {
    it(`configuration error: ${name}`, async () => {
      let settings: Record<string, string> = {
        KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
        KAFKA_SASL_USERNAME: SASL_USER,
        KAFKA_SASL_PASSWORD: SASL_PASSWORD,
        SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO: `${REGISTRY_KEY}:${REGISTRY_SECRET}`,
        ...env
      }
      if (env.JAAS !== undefined) {
        // The credentials only in the file's JAAS line, which the service cannot read.
        const file = join(mkdtempSync(join(tmpdir(), 'ratings-secrets-')), 'client.properties')
        writeFileSync(file, `security.protocol=SASL_SSL\nsasl.mechanism=PLAIN\nsasl.jaas.config=${env.JAAS}\n`)
        settings = { KAFKA_CONFIG_FILE: file }
      }
      const run = await runService(settings)
      assert.equal(run.code, 2, run.lines.join('\n'))
      assert.match(run.lines.join('\n'), /ratings-service: invalid configuration: /)
      assertNoSecret(run)
    })
  }
})
