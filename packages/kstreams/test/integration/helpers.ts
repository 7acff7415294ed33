// Shared by the broker tests: where the real broker and registry are, unique names, and Kafka's own Java tools.
// The broker and registry are started by scripts/test.sh (or by hand with infra/kafka.sh and infra/registry.sh).
import { execFile, type ExecFileOptions } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import { readFileSync } from 'node:fs'
import type { TestContext } from 'node:test'
import { confluentClientProvider } from '../../src/internals/client/confluent-client.ts'
import { parseJavaProperties } from '../../src/internals/client/client-config.ts'
import type {
  AdminClient,
  ClientLogger,
  ConsumerClient,
  ProducerClient
} from '../../src/internals/client/kafka-client.ts'

export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url))

function required(name: string, hint: string): string {
  const value = process.env[name]
  if (value === undefined || value === '') {
    // Broker tests are not optional: without the infrastructure they fail, they are not skipped.
    throw new Error(`${name} is not set: run the suite with \`npm test\` (scripts/test.sh), or ${hint}`)
  }
  return value
}

/**
 * Extra client properties for every client the tests create: the file named by KAFKA_CLIENT_CONFIG (a Java
 * client.properties, e.g. Confluent Cloud's), so the same tests can run against a secured remote cluster.
 */
export function clientProperties(): Record<string, string> {
  const file = process.env.KAFKA_CLIENT_CONFIG
  return file === undefined || file === '' ? {} : parseJavaProperties(readFileSync(file, 'utf8'))
}

export function bootstrap(): string {
  return required(
    'KAFKA_BOOTSTRAP',
    'start a broker with infra/kafka.sh start and export KAFKA_BOOTSTRAP=127.0.0.1:9092'
  )
}

export function registryUrl(): string {
  return required(
    'SCHEMA_REGISTRY_URL',
    'start a registry with infra/registry.sh start and export SCHEMA_REGISTRY_URL=http://127.0.0.1:8081/apis/ccompat/v7'
  )
}

/** A name no other test (or earlier run against the same broker) uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`
}

/** Collects client log lines so a test can assert on them and the output stays quiet. */
export function memoryLogger(): ClientLogger & { lines: string[] } {
  const lines: string[] = []
  return {
    lines,
    log(level, message, fields) {
      lines.push(`${level} ${message} ${fields === undefined ? '' : JSON.stringify(fields)}`)
    }
  }
}

// Cleanups of one test run last-in first-out (topics are deleted before the admin client that deletes them closes).
const cleanups = new WeakMap<TestContext, (() => unknown)[]>()

/** Registers `fn` to run after the test, in reverse order of registration. */
export function defer(t: TestContext, fn: () => unknown): void {
  let list = cleanups.get(t)
  if (list === undefined) {
    const fresh: (() => unknown)[] = []
    list = fresh
    cleanups.set(t, fresh)
    t.after(async () => {
      for (const f of fresh.reverse()) await f()
    })
  }
  list.push(fn)
}

export async function admin(t: TestContext): Promise<AdminClient> {
  const client = await confluentClientProvider.createAdmin({
    properties: { ...clientProperties(), 'bootstrap.servers': bootstrap() },
    logger: memoryLogger()
  })
  defer(t, () => client.close())
  return client
}

export async function producer(
  t: TestContext,
  properties: Record<string, string | number | boolean> = {}
): Promise<ProducerClient> {
  const client = await confluentClientProvider.createProducer({
    properties: { ...clientProperties(), 'bootstrap.servers': bootstrap(), ...properties },
    logger: memoryLogger()
  })
  defer(t, () => client.close())
  return client
}

export async function consumer(
  t: TestContext,
  properties: Record<string, string | number | boolean> = {}
): Promise<ConsumerClient> {
  const client = await confluentClientProvider.createConsumer({
    properties: {
      ...clientProperties(),
      'bootstrap.servers': bootstrap(),
      'group.id': uniqueName('group'),
      ...properties
    },
    logger: memoryLogger()
  })
  defer(t, () => client.close())
  return client
}

/** Creates a topic owned by the test and deletes it afterwards. */
export async function topic(
  t: TestContext,
  adminClient: AdminClient,
  partitions: number,
  prefix = 'topic'
): Promise<string> {
  const name = uniqueName(prefix)
  // A managed cluster (Confluent Cloud) wants RF 3: KAFKA_REPLICATION_FACTOR=3.
  const replicationFactor = Number(process.env.KAFKA_REPLICATION_FACTOR ?? 1)
  await adminClient.createTopics([{ topic: name, partitions, replicationFactor }])
  defer(t, () => adminClient.deleteTopics([name]))
  return name
}

export interface RunResult {
  readonly stdout: string
  readonly stderr: string
  readonly code: number
}

/** Runs a command to completion (bounded by `timeoutMs`), never rejecting: the caller asserts on the result. */
export function run(
  cmd: string,
  args: readonly string[],
  options: ExecFileOptions & { timeoutMs?: number } = {}
): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { maxBuffer: 64 * 1024 * 1024, timeout: options.timeoutMs ?? 120_000, ...options, encoding: 'utf8' },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1
        resolve({ stdout: String(stdout), stderr: String(stderr), code })
      }
    )
  })
}

/** Runs one of Kafka's own Java tools (from the jars infra/kafka.sh fetched) with a small heap. */
export function runKafkaTool(mainClass: string, args: readonly string[], timeoutMs = 90_000): Promise<RunResult> {
  const classpath = join(REPO_ROOT, '.cache/kafka/libs/*')
  return run(
    process.env.JAVA ?? 'java',
    [
      '-Xmx256m',
      '-XX:TieredStopAtLevel=1',
      `-Dlog4j2.configurationFile=file:${join(REPO_ROOT, 'infra/kafka/log4j2.properties')}`,
      '-cp',
      classpath,
      mainClass,
      ...args
    ],
    { timeoutMs }
  )
}

/** Resolves when `check` returns true; rejects with `what` after `timeoutMs`. Polls, never sleeps blindly. */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 30_000
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await check()) return
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}
