// The infrastructure scripts themselves: a single broker is ready in under 60 s, stop leaves no process, a broker
// killed with -9 restarts with its data, and the 3-node cluster elects a controller and takes an RF-3 topic.
// Each test starts its own broker(s) on ports of its own, in a temporary data directory.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { confluentClientProvider } from '../../src/internals/client/confluent-client.ts'
import type { ConsumedRecord } from '../../src/internals/client/kafka-client.ts'
import { defer, memoryLogger, REPO_ROOT, run, runKafkaTool, uniqueName, waitFor, type RunResult } from './helpers.ts'

const KAFKA_SH = join(REPO_ROOT, 'infra/kafka.sh')

function kafkaSh(args: string[], env: Record<string, string>, timeoutMs = 180_000): Promise<RunResult> {
  return run('bash', [KAFKA_SH, ...args], { env: { ...process.env, ...env }, timeoutMs })
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function brokerProcesses(configPath: string): Promise<number[]> {
  const result = await run('pgrep', ['-f', `kafka\\.Kafka ${configPath}`])
  return result.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map(Number)
}

function tempDir(t: TestContext, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `kstreams-${prefix}-`))
  defer(t, () => rmSync(dir, { recursive: true, force: true }))
  return dir
}

async function produceAndReadBack(bootstrap: string, topicName: string, count: number, replication: number) {
  const logger = memoryLogger()
  const admin = await confluentClientProvider.createAdmin({ properties: { 'bootstrap.servers': bootstrap }, logger })
  try {
    await admin.createTopics([{ topic: topicName, partitions: 1, replicationFactor: replication }])
  } finally {
    await admin.close()
  }
  const producer = await confluentClientProvider.createProducer({
    properties: { 'bootstrap.servers': bootstrap },
    logger
  })
  try {
    for (let i = 0; i < count; i++) {
      assert.equal(producer.produce({ topic: topicName, key: Buffer.from(`k${i}`), value: Buffer.from(`v${i}`) }), true)
    }
    await producer.flush(30_000)
  } finally {
    await producer.close()
  }
}

async function readAll(bootstrap: string, topicName: string, count: number): Promise<ConsumedRecord[]> {
  const consumer = await confluentClientProvider.createConsumer({
    properties: { 'bootstrap.servers': bootstrap, 'group.id': uniqueName('infra') },
    logger: memoryLogger(),
    connectTimeoutMs: 30_000
  })
  const records: ConsumedRecord[] = []
  try {
    consumer.subscribe([topicName])
    await waitFor(
      `${count} records from ${topicName}`,
      async () => {
        records.push(...(await consumer.consume(count, 500)))
        return records.length >= count
      },
      60_000
    )
  } finally {
    await consumer.close()
  }
  return records
}

test('single broker: ready < 60 s, survives kill -9 with its data, stop leaves no process', async (t) => {
  const dir = tempDir(t, 'single')
  const env = { KAFKA_PORT: '19192', KAFKA_CONTROLLER_PORT: '19193', KAFKA_DATA_DIR: dir }
  const address = '127.0.0.1:19192'
  defer(t, () => kafkaSh(['stop'], env))

  const started = performance.now()
  const start = await kafkaSh(['start'], env)
  const readyMs = performance.now() - started
  assert.equal(start.code, 0, start.stderr)
  assert.equal(start.stdout.trim(), address, 'prints the bootstrap address')
  assert.ok(readyMs < 60_000, `ready after ${Math.round(readyMs)} ms`)
  t.diagnostic(`single broker ready in ${(readyMs / 1000).toFixed(1)} s`)
  assert.match(readFileSync(join(dir, 'broker.log'), 'utf8'), /Kafka Server started/, 'broker log goes to a file')

  const topicName = uniqueName('durable')
  await produceAndReadBack(address, topicName, 50, 1)

  const pid = Number(readFileSync(join(dir, 'kafka.pid'), 'utf8'))
  process.kill(pid, 'SIGKILL')
  await waitFor('the killed broker to exit', () => !alive(pid), 10_000)

  const restarted = performance.now()
  const again = await kafkaSh(['start'], env)
  assert.equal(again.code, 0, again.stderr)
  t.diagnostic(`restart after kill -9 ready in ${((performance.now() - restarted) / 1000).toFixed(1)} s`)
  const records = await readAll(address, topicName, 50)
  assert.deepEqual(
    records.map((r) => r.value?.toString()),
    Array.from({ length: 50 }, (_, i) => `v${i}`),
    'every record acknowledged before the kill is still there, in order'
  )

  const newPid = Number(readFileSync(join(dir, 'kafka.pid'), 'utf8'))
  const stop = await kafkaSh(['stop'], env)
  assert.equal(stop.code, 0, stop.stderr)
  assert.equal(alive(newPid), false, 'broker process is gone')
  assert.deepEqual(await brokerProcesses(join(dir, 'server.properties')), [], 'no broker JVM left for this data dir')
  const status = await kafkaSh(['status'], env)
  assert.equal(status.stdout.trim(), 'stopped')
})

test('3-node cluster: elects a controller, takes an RF-3 topic, keeps serving with one node killed', async (t) => {
  const dir = tempDir(t, 'cluster')
  const env = {
    KAFKA_CLUSTER_DIR: dir,
    KAFKA_CLUSTER_PORT_BASE: '19290',
    KAFKA_CLUSTER_CONTROLLER_PORT_BASE: '19390'
  }
  defer(t, () => kafkaSh(['cluster', 'stop'], env))
  const started = performance.now()
  const start = await kafkaSh(['cluster', 'start'], env)
  assert.equal(start.code, 0, start.stderr)
  const bootstrap = start.stdout.trim()
  assert.equal(bootstrap, '127.0.0.1:19291,127.0.0.1:19292,127.0.0.1:19293')
  t.diagnostic(`3-node cluster ready in ${((performance.now() - started) / 1000).toFixed(1)} s`)

  const quorum = await runKafkaTool('org.apache.kafka.tools.MetadataQuorumCommand', [
    '--bootstrap-server',
    bootstrap,
    'describe',
    '--status'
  ])
  assert.equal(quorum.code, 0, quorum.stderr)
  const leader = /LeaderId:\s+(\d+)/.exec(quorum.stdout)
  assert.ok(leader !== null && [1, 2, 3].includes(Number(leader[1])), quorum.stdout)
  assert.match(quorum.stdout, /CurrentVoters:\s+\[.*"id":\s*1.*"id":\s*2.*"id":\s*3/s)

  const topicName = uniqueName('rf3')
  await produceAndReadBack(bootstrap, topicName, 20, 3)
  const described = await runKafkaTool('org.apache.kafka.tools.TopicCommand', [
    '--bootstrap-server',
    bootstrap,
    '--describe',
    '--topic',
    topicName
  ])
  assert.equal(described.code, 0, described.stderr)
  assert.match(described.stdout, /ReplicationFactor: 3/)
  assert.match(described.stdout, /Isr: \d,\d,\d/)

  // Kill the node that is not the quorum leader (the leader case is covered by the later fault tests).
  const victim = [1, 2, 3].find((n) => n !== Number(leader![1]))!
  const kill = await kafkaSh(['cluster', 'kill', String(victim)], env)
  assert.equal(kill.code, 0, kill.stderr)
  const survivors = [1, 2, 3]
    .filter((n) => n !== victim)
    .map((n) => `127.0.0.1:${19290 + n}`)
    .join(',')
  // acks=all with min.insync.replicas=2 still succeeds with two of three replicas in sync.
  const producer = await confluentClientProvider.createProducer({
    properties: { 'bootstrap.servers': survivors },
    logger: memoryLogger()
  })
  let acked = 0
  producer.produce({ topic: topicName, key: Buffer.from('after-kill'), value: Buffer.from('x') }, (err) => {
    assert.equal(err, null)
    acked++
  })
  await producer.flush(60_000)
  await producer.close()
  assert.equal(acked, 1, 'acks=all write accepted with one node down')

  const restart = await kafkaSh(['cluster', 'start-node', String(victim)], env)
  assert.equal(restart.code, 0, restart.stderr)
  const records = await readAll(bootstrap, topicName, 21)
  assert.equal(records.length, 21)

  const pids = [1, 2, 3].map((n) => Number(readFileSync(join(dir, `node-${n}`, 'kafka.pid'), 'utf8')))
  const stop = await kafkaSh(['cluster', 'stop'], env)
  assert.equal(stop.code, 0, stop.stderr)
  for (const pid of pids) assert.equal(alive(pid), false, `node pid ${pid} is gone`)
  for (const n of [1, 2, 3]) {
    assert.deepEqual(await brokerProcesses(join(dir, `node-${n}`, 'server.properties')), [])
  }
})
