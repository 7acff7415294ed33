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
  ConsumedRecord,
  ConsumerClient,
  ProducerClient,
  TopicPartition
} from '../../src/internals/client/kafka-client.ts'
import type { Topology } from '../../src/index.ts'
import { SourceDescription } from '../../src/processor/topology-description.ts'

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

/**
 * The real names of the source topics of every sub-topology, as the broker lists them: user topics as named, and
 * each internal (repartition) source as the one broker topic `<applicationId>-…<name>` (the runtime prefixes the
 * application id). Throws when a source topic is not on the broker.
 */
export async function sourceTopics(
  adminClient: AdminClient,
  topology: Topology,
  applicationId: string
): Promise<string[]> {
  const onBroker = await adminClient.listTopics()
  const out: string[] = []
  for (const sub of topology.describe().subtopologies) {
    for (const node of sub.nodes) {
      if (!(node instanceof SourceDescription)) continue
      for (const name of node.topics) {
        const found = topology.internalBuilder.isRepartitionTopic(name)
          ? onBroker.filter((t) => t.startsWith(`${applicationId}-`) && t.endsWith(name))
          : onBroker.filter((t) => t === name)
        if (found.length !== 1) {
          throw new Error(`source topic ${name} of sub-topology ${sub.id}: ${found.length} matching broker topics`)
        }
        out.push(found[0]!)
      }
    }
  }
  return out
}

/** Where a group stands on one partition, as the broker answers. */
export interface PartitionProgress {
  readonly topic: string
  readonly partition: number
  /** The group's committed next-offset (-1001 when none). */
  readonly committed: number
  /** The read_committed end offset: the last stable offset (ListOffsets at READ_COMMITTED). */
  readonly end: number
  /**
   * True when no record a read_committed consumer would return lies in [committed, end): the two are equal, or only
   * transaction markers and aborted records are between them (a group that commits "last record + 1" stops one short
   * of the commit marker that ends a transactional partition).
   */
  readonly caughtUp: boolean
}

/** One line per partition: `topic-p committed/end`, marked when not caught up. */
export function formatProgress(progress: readonly PartitionProgress[]): string {
  return progress
    .map((p) => `${p.topic}-${p.partition} committed ${p.committed} end ${p.end}${p.caughtUp ? '' : ' (behind)'}`)
    .join('; ')
}

/**
 * Reads where `groupId` stands on every partition of `topics`, from the broker: first the group's committed offsets
 * (OffsetFetch; librdkafka asks for stable offsets under read_committed, so a pending transactional commit is not
 * seen, KIP-447), then the read_committed end offsets. In that order, because both only grow and committed never
 * passes the end: a committed offset equal to an end read after it is still the end.
 */
export class GroupProgressReader {
  readonly #offsets: ConsumerClient
  readonly #reader: ConsumerClient
  readonly #partitions: TopicPartition[]

  private constructor(offsets: ConsumerClient, reader: ConsumerClient, partitions: TopicPartition[]) {
    this.#offsets = offsets
    this.#reader = reader
    this.#partitions = partitions
  }

  static async create(
    t: TestContext,
    adminClient: AdminClient,
    groupId: string,
    topics: readonly string[]
  ): Promise<GroupProgressReader> {
    const counts = await adminClient.describePartitionCounts(topics)
    const partitions: TopicPartition[] = []
    for (const topic of topics) {
      const n = counts.get(topic)
      if (n === undefined) throw new Error(`topic ${topic} is not on the broker`)
      for (let partition = 0; partition < n; partition++) partitions.push({ topic, partition })
    }
    // Never subscribes, so it never joins the group it reads the offsets of.
    const offsets = await consumer(t, { 'group.id': groupId, 'isolation.level': 'read_committed' })
    const reader = await consumer(t, { 'isolation.level': 'read_committed', 'auto.offset.reset': 'earliest' })
    return new GroupProgressReader(offsets, reader, partitions)
  }

  async read(): Promise<PartitionProgress[]> {
    const committed = await this.#offsets.committed(this.#partitions, 10_000)
    const out: PartitionProgress[] = []
    for (const c of committed) {
      const { high: end } = await this.#reader.watermarks({ topic: c.topic, partition: c.partition })
      const from = c.offset < 0 ? 0 : c.offset
      const caughtUp = from === end || (from < end && (await this.#nothingToRead(c.topic, c.partition, from, end)))
      out.push({ topic: c.topic, partition: c.partition, committed: c.offset, end, caughtUp })
    }
    return out
  }

  // Reads [from, end) with read_committed: true when the position reaches `end` without a record (librdkafka moves
  // the position past control records), false at the first record.
  async #nothingToRead(topic: string, partition: number, from: number, end: number): Promise<boolean> {
    await this.#reader.assign([{ topic, partition, offset: from }])
    const deadline = Date.now() + 10_000
    while (Date.now() < deadline) {
      const records = await this.#reader.consume(1, 200)
      if (records.some((r) => r.topic === topic && r.partition === partition && r.offset < end)) return false
      const position = this.#reader.positions?.([{ topic, partition }])[0]?.offset ?? -1001
      if (position >= end) return true
    }
    throw new Error(`reading ${topic}-${partition} from ${from} to ${end}: the position did not reach ${end} in 10 s`)
  }
}

/**
 * Waits until the group's committed offsets are at the read_committed end of every partition of `topics` (Kafka's
 * EosTestDriver condition), polling the broker. `stillValid` is asked first each time: a string it returns (e.g. "the
 * instance exited") ends the wait with that failure. On timeout the error lists committed and end per partition.
 */
export async function waitForGroupAtEnd(
  t: TestContext,
  adminClient: AdminClient,
  groupId: string,
  topics: readonly string[],
  timeoutMs: number,
  stillValid: () => string | undefined = () => undefined
): Promise<PartitionProgress[]> {
  const reader = await GroupProgressReader.create(t, adminClient, groupId, topics)
  const deadline = Date.now() + timeoutMs
  let last: PartitionProgress[] = []
  let lastError = ''
  for (;;) {
    const invalid = stillValid()
    if (invalid !== undefined) throw new Error(`${invalid}; group ${groupId}: ${formatProgress(last)}`)
    try {
      last = await reader.read()
      lastError = ''
      if (last.every((p) => p.caughtUp)) return last
    } catch (error) {
      // E.g. offsets still unstable while a crashed member's transaction waits to be aborted.
      lastError = ` (last read failed: ${(error as Error).message})`
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for group ${groupId} to commit up to the read_committed end of ` +
          `${topics.join(', ')}: ${formatProgress(last)}${lastError}`
      )
    }
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

/** A topic's records up to its read_committed end offsets, and those ends. */
export interface CommittedContents {
  readonly records: ConsumedRecord[]
  /** Last stable offset per partition, read before the records. */
  readonly ends: Map<number, number>
}

/**
 * Every record of `topic` a read_committed consumer returns below the topic's read_committed end offsets (asked
 * first, so records committed meanwhile are left out). Bounded by `timeoutMs`.
 */
export async function readCommitted(
  t: TestContext,
  adminClient: AdminClient,
  topic: string,
  timeoutMs = 60_000
): Promise<CommittedContents> {
  const n = (await adminClient.describePartitionCounts([topic])).get(topic)
  if (n === undefined) throw new Error(`topic ${topic} is not on the broker`)
  const c = await consumer(t, { 'isolation.level': 'read_committed', 'auto.offset.reset': 'earliest' })
  const ends = new Map<number, number>()
  for (let partition = 0; partition < n; partition++) {
    ends.set(partition, (await c.watermarks({ topic, partition })).high)
  }
  const open = [...ends].filter(([, end]) => end > 0).map(([partition]) => partition)
  await c.assign(open.map((partition) => ({ topic, partition, offset: 0 })))
  const records: ConsumedRecord[] = []
  const deadline = Date.now() + timeoutMs
  for (;;) {
    for (const r of await c.consume(5000, 200)) if (r.offset < ends.get(r.partition)!) records.push(r)
    const positions = c.positions?.(open.map((partition) => ({ topic, partition }))) ?? []
    if (positions.length === open.length && positions.every((p) => p.offset >= ends.get(p.partition)!)) {
      return { records, ends }
    }
    if (Date.now() > deadline) {
      const at = positions.map((p) => `${p.partition}@${p.offset}/${ends.get(p.partition)}`).join(' ')
      throw new Error(`timed out after ${timeoutMs} ms reading ${topic} to its read_committed end: ${at}`)
    }
  }
}
