// Unit tests of the simulated cluster itself: transactions and markers, the LSO, read_committed, fencing,
// transaction timeouts, group generations, KIP-447 offsets and require_stable, and the fault hooks.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { KafkaClientError } from '../../src/internals/client/client-error.ts'
import type {
  ConsumerClient,
  ProducerClient,
  RebalanceListener,
  TopicPartition
} from '../../src/internals/client/kafka-client.ts'
import { SimCluster } from './sim/cluster.ts'

const props = { 'bootstrap.servers': 'sim:9092' }
const b = (s: string): Buffer => Buffer.from(s)

async function transactional(
  cluster: SimCluster,
  id: string,
  instance = 'a',
  timeoutMs = 10_000
): Promise<ProducerClient> {
  const p = await cluster
    .provider(instance)
    .createProducer({ properties: { ...props, 'transactional.id': id, 'transaction.timeout.ms': timeoutMs } })
  await p.initTransactions()
  return p
}

async function consumer(
  cluster: SimCluster,
  group: string,
  isolation: 'read_committed' | 'read_uncommitted',
  instance = 'a',
  extra: Record<string, string | number> = {}
): Promise<ConsumerClient> {
  return await cluster
    .provider(instance)
    .createConsumer({ properties: { ...props, 'group.id': group, 'isolation.level': isolation, ...extra } })
}

/** Consumes until `n` records arrived or the deadline passed. */
async function consumeN(c: ConsumerClient, n: number, ms = 1000): Promise<string[]> {
  const out: string[] = []
  const deadline = Date.now() + ms
  while (out.length < n && Date.now() < deadline) {
    for (const r of await c.consume(100, 20)) out.push(String(r.value))
  }
  return out
}

test('records of an open transaction are invisible to read_committed and hold the LSO', async (t) => {
  const cluster = new SimCluster()
  t.after(() => cluster.close())
  cluster.createTopic('t', 1)
  const p = await transactional(cluster, 'tx')
  cluster.log('t', 0)?.append(null, b('plain'), 1, [], null)
  await p.beginTransaction()
  p.produce({ topic: 't', partition: 0, key: null, value: b('in-txn') })
  await p.flush()
  const log = cluster.log('t', 0)
  assert.equal(log?.end, 2)
  assert.equal(log?.lso, 1, 'LSO is the first offset of the open transaction')
  const rc = await consumer(cluster, 'g1', 'read_committed')
  await rc.assign([{ topic: 't', partition: 0, offset: 0 }])
  assert.deepEqual(await consumeN(rc, 2, 100), ['plain'])
  const ru = await consumer(cluster, 'g2', 'read_uncommitted')
  await ru.assign([{ topic: 't', partition: 0, offset: 0 }])
  assert.deepEqual(await consumeN(ru, 2), ['plain', 'in-txn'])
  await p.commitTransaction()
  assert.equal(log?.end, 3, 'the commit marker takes an offset')
  assert.equal(log?.lso, 3)
  assert.deepEqual(await consumeN(rc, 1), ['in-txn'])
  assert.deepEqual(rc.positions?.([{ topic: 't', partition: 0 }]), [{ topic: 't', partition: 0, offset: 3 }])
  assert.equal(rc.cachedHighWatermark?.({ topic: 't', partition: 0 }), 3)
})

test('an aborted transaction leaves an abort marker; read_committed skips its records, positions pass both', async (t) => {
  const cluster = new SimCluster()
  t.after(() => cluster.close())
  cluster.createTopic('t', 1)
  const p = await transactional(cluster, 'tx')
  await p.beginTransaction()
  p.produce({ topic: 't', partition: 0, key: null, value: b('aborted') })
  await p.flush()
  await p.abortTransaction()
  await p.beginTransaction()
  p.produce({ topic: 't', partition: 0, key: null, value: b('kept') })
  await p.commitTransaction()
  const log = cluster.log('t', 0)
  assert.deepEqual(
    log?.entries.map((e) => (e.control ? `marker:${e.txn?.state}` : String(e.value))),
    ['aborted', 'marker:aborted', 'kept', 'marker:committed']
  )
  const rc = await consumer(cluster, 'g', 'read_committed')
  await rc.assign([{ topic: 't', partition: 0, offset: 0 }])
  assert.deepEqual(await consumeN(rc, 1), ['kept'])
  assert.equal(rc.positions?.([{ topic: 't', partition: 0 }])[0]?.offset, 4)
  const rcw = await rc.watermarks({ topic: 't', partition: 0 })
  assert.deepEqual(rcw, { low: 0, high: 4 })
})

test('a newer initTransactions fences the older producer (fatal ERR__FENCED) and aborts its transaction', async (t) => {
  const cluster = new SimCluster()
  t.after(() => cluster.close())
  cluster.createTopic('t', 1)
  const old = await transactional(cluster, 'tx', 'a')
  await old.beginTransaction()
  old.produce({ topic: 't', partition: 0, key: null, value: b('zombie') })
  await old.flush()
  const fresh = await transactional(cluster, 'tx', 'b')
  const log = cluster.log('t', 0)
  assert.equal(log?.entries[1]?.control, true, 'the old transaction was aborted with a marker')
  assert.equal(log?.entries[0]?.txn?.state, 'aborted')
  await assert.rejects(old.commitTransaction(), (e: unknown) => {
    assert.ok(e instanceof KafkaClientError)
    assert.equal(e.kafkaCode, -144)
    assert.equal(e.fatal, true)
    return true
  })
  assert.throws(() => old.produce({ topic: 't', key: null, value: b('x') }), /Fatal/)
  await fresh.beginTransaction()
  fresh.produce({ topic: 't', partition: 0, key: null, value: b('ok') })
  await fresh.commitTransaction()
  assert.deepEqual(
    log?.committed().map((e) => String(e.value)),
    ['ok']
  )
})

test('the broker aborts a transaction open longer than transaction.timeout.ms; the producer is then fenced', async (t) => {
  const cluster = new SimCluster({ txnTimeout: 'fenced' })
  t.after(() => cluster.close())
  cluster.createTopic('t', 1)
  const p = await transactional(cluster, 'tx', 'a', 50)
  await p.beginTransaction()
  p.produce({ topic: 't', partition: 0, key: null, value: b('slow') })
  await p.flush()
  assert.ok(await cluster.until(() => cluster.log('t', 0)?.lso === 2, 2000), 'aborted by the broker')
  await assert.rejects(p.commitTransaction(), (e: unknown) => (e as KafkaClientError).kafkaCode === -144)
})

test('with txnTimeout abortable the timed-out producer must abort, and then goes on', async (t) => {
  const cluster = new SimCluster({ txnTimeout: 'abortable' })
  t.after(() => cluster.close())
  cluster.createTopic('t', 1)
  const p = await transactional(cluster, 'tx', 'a', 50)
  await p.beginTransaction()
  p.produce({ topic: 't', partition: 0, key: null, value: b('slow') })
  await p.flush()
  assert.ok(await cluster.until(() => cluster.log('t', 0)?.lso === 2, 2000))
  await assert.rejects(p.commitTransaction(), (e: unknown) => (e as KafkaClientError).txnRequiresAbort)
  await p.abortTransaction()
  await p.beginTransaction()
  p.produce({ topic: 't', partition: 0, key: null, value: b('next') })
  await p.commitTransaction()
  assert.deepEqual(
    cluster
      .log('t', 0)
      ?.committed()
      .map((e) => String(e.value)),
    ['next']
  )
})

/** A listener that records every callback. */
function recorder(): RebalanceListener & { events: string[] } {
  const events: string[] = []
  const fmt = (ps: readonly TopicPartition[]): string =>
    ps
      .map((p) => `${p.topic}-${p.partition}`)
      .sort()
      .join(',')
  return {
    events,
    onPartitionsAssigned: (ps) => {
      events.push(`assigned ${fmt(ps)}`)
    },
    onPartitionsRevoked: (ps) => {
      events.push(`revoked ${fmt(ps)}`)
    },
    onPartitionsLost: (ps) => {
      events.push(`lost ${fmt(ps)}`)
    }
  }
}

/** Polls both consumers until `done` holds. */
async function pollUntil(cs: ConsumerClient[], done: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms
  while (!done()) {
    assert.ok(Date.now() < deadline, 'condition not reached in time')
    await Promise.all(cs.map((c) => c.consume(10, 5)))
  }
}

test('eager rebalance: revoke everything, then a co-partitioned range assignment; generations advance', async (t) => {
  const cluster = new SimCluster()
  t.after(() => cluster.close())
  cluster.createTopic('a', 2)
  cluster.createTopic('b', 2)
  const c1 = await consumer(cluster, 'g', 'read_committed', 'x')
  const l1 = recorder()
  c1.subscribe(['a', 'b'], l1)
  await pollUntil([c1], () => c1.assignment().length === 4)
  const g = cluster.groups.get('g')
  assert.equal(g?.generation, 1)
  const c2 = await consumer(cluster, 'g', 'read_committed', 'y')
  const l2 = recorder()
  c2.subscribe(['a', 'b'], l2)
  await pollUntil([c1, c2], () => c1.assignment().length === 2 && c2.assignment().length === 2)
  assert.equal(g?.generation, 2)
  assert.deepEqual(l1.events, ['assigned a-0,a-1,b-0,b-1', 'revoked a-0,a-1,b-0,b-1', 'assigned a-0,b-0'])
  assert.deepEqual(l2.events, ['assigned a-1,b-1'])
})

test('cooperative rebalance: only moved partitions are revoked, and handed over in a follow-up', async (t) => {
  const cluster = new SimCluster()
  t.after(() => cluster.close())
  cluster.createTopic('a', 2)
  const extra = { 'partition.assignment.strategy': 'cooperative-sticky' }
  const c1 = await consumer(cluster, 'g', 'read_committed', 'x', extra)
  const l1 = recorder()
  c1.subscribe(['a'], l1)
  await pollUntil([c1], () => c1.assignment().length === 2)
  const c2 = await consumer(cluster, 'g', 'read_committed', 'y', extra)
  const l2 = recorder()
  c2.subscribe(['a'], l2)
  await pollUntil([c1, c2], () => c2.assignment().length === 1)
  assert.deepEqual(l1.events.slice(0, 2), ['assigned a-0,a-1', 'revoked a-1'])
  assert.ok(!l1.events.some((e) => e.includes('revoked a-0')), 'a-0 stays where it was')
  assert.ok(l2.events.includes('assigned a-1'))
})

test('session timeout: a crashed member is expelled; a member cut off loses its partitions and rejoins', async (t) => {
  const cluster = new SimCluster()
  t.after(() => cluster.close())
  cluster.createTopic('a', 2)
  const timing = { 'session.timeout.ms': 50 }
  const c1 = await consumer(cluster, 'g', 'read_committed', 'x', timing)
  const l1 = recorder()
  c1.subscribe(['a'], l1)
  const c2 = await consumer(cluster, 'g', 'read_committed', 'y', timing)
  c2.subscribe(['a'], recorder())
  await pollUntil([c1, c2], () => c1.assignment().length === 1 && c2.assignment().length === 1)
  cluster.faults.crash('y')
  await pollUntil([c1], () => c1.assignment().length === 2)
  cluster.faults.unreachable('x', 150)
  assert.ok(await cluster.until(() => cluster.groups.get('g')?.members.size === 0, 1000), 'x expelled while cut off')
  await pollUntil([c1], () => l1.events.some((e) => e.startsWith('lost')) && c1.assignment().length === 2)
})

test('KIP-447: offsets sent in a transaction commit with it, are pending (require_stable) until then, and a stale generation is rejected', async (t) => {
  const cluster = new SimCluster()
  t.after(() => cluster.close())
  cluster.createTopic('in', 1)
  cluster.createTopic('out', 1)
  const c = await consumer(cluster, 'g', 'read_committed')
  c.subscribe(['in'], recorder())
  await pollUntil([c], () => c.assignment().length === 1)
  const p = await transactional(cluster, 'tx')
  await p.beginTransaction()
  p.produce({ topic: 'out', partition: 0, key: null, value: b('r') })
  await p.sendOffsetsToTransaction([{ topic: 'in', partition: 0, offset: 7 }], c.groupMetadata())
  const other = await consumer(cluster, 'g', 'read_committed', 'z')
  await assert.rejects(
    other.committed([{ topic: 'in', partition: 0 }], 30),
    (e: unknown) => (e as KafkaClientError).code === 'TIMEOUT'
  )
  await p.commitTransaction()
  assert.deepEqual(await other.committed([{ topic: 'in', partition: 0 }]), [{ topic: 'in', partition: 0, offset: 7 }])
  // A rebalance moves the group on; the consumer has not rejoined, so its generation is stale once it completes.
  const g = cluster.groups.get('g')
  const stale = g?.generation ?? 0
  g?.rebalance()
  await pollUntil([c], () => (g?.generation ?? 0) > stale)
  const metadata = c.groupMetadata()
  const member = [...(g?.members.values() ?? [])][0]
  if (member !== undefined) member.generation = stale
  await p.beginTransaction()
  await assert.rejects(
    p.sendOffsetsToTransaction([{ topic: 'in', partition: 0, offset: 9 }], metadata),
    (e: unknown) => (e as KafkaClientError).kafkaCode === 22 && (e as KafkaClientError).txnRequiresAbort
  )
  await p.abortTransaction()
  assert.equal(cluster.committedOffset('g', { topic: 'in', partition: 0 }), 7)
})

test('faults: a given error, a timeout, an outage and a crash', async (t) => {
  const cluster = new SimCluster()
  t.after(() => cluster.close())
  cluster.createTopic('t', 1)
  const c = await consumer(cluster, 'g', 'read_committed', 'x')
  cluster.faults.inject({
    instance: 'x',
    method: 'watermarks',
    action: { kind: 'error', error: 'retriable' },
    times: 1
  })
  await assert.rejects(c.watermarks({ topic: 't', partition: 0 }), (e: unknown) => (e as KafkaClientError).retriable)
  assert.deepEqual(await c.watermarks({ topic: 't', partition: 0 }), { low: 0, high: 0 })
  cluster.faults.inject({ instance: 'x', method: 'committed', action: { kind: 'timeout', ms: 5 }, times: 1 })
  await assert.rejects(
    c.committed([{ topic: 't', partition: 0 }]),
    (e: unknown) => (e as KafkaClientError).code === 'TIMEOUT'
  )
  cluster.faults.unreachable('x', 1000, 'fail')
  await assert.rejects(
    c.committed([{ topic: 't', partition: 0 }]),
    (e: unknown) => (e as KafkaClientError).kafkaCode === -195
  )
  cluster.faults.heal()
  cluster.faults.crash('x')
  const settled = await Promise.race([
    c.committed([{ topic: 't', partition: 0 }]).then(() => 'answered'),
    new Promise((resolve) => setTimeout(() => resolve('no answer'), 30))
  ])
  assert.equal(settled, 'no answer')
})
