// The internal Kafka client adapter against the real broker: admin calls, the consumer's group lifecycle (rebalance
// listener, commit, committed, seek, pause/resume, watermarks) and transactions with KIP-447 offsets.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { ConsumedRecord, ConsumerClient, TopicPartition } from '../../src/internals/client/kafka-client.ts'
import { admin, consumer, defer, producer, topic, uniqueName, waitFor } from './helpers.ts'

async function consumeUntil(c: ConsumerClient, count: number, what: string): Promise<ConsumedRecord[]> {
  const out: ConsumedRecord[] = []
  await waitFor(what, async () => {
    out.push(...(await c.consume(count - out.length, 200)))
    return out.length >= count
  })
  return out
}

test('admin: create (idempotent), list, describe partition counts, delete', async (t) => {
  const a = await admin(t)
  const name = uniqueName('admin')
  const missing = uniqueName('missing')
  defer(t, () => a.deleteTopics([name]))
  assert.deepEqual(
    await a.createTopics([
      { topic: name, partitions: 3, replicationFactor: 1, configs: { 'cleanup.policy': 'compact' } }
    ]),
    [{ topic: name, created: true }]
  )
  assert.deepEqual(await a.createTopics([{ topic: name, partitions: 3, replicationFactor: 1 }]), [
    { topic: name, created: false }
  ])
  assert.ok((await a.listTopics()).includes(name))
  const counts = await a.describePartitionCounts([name, missing])
  assert.equal(counts.get(name), 3)
  assert.equal(counts.has(missing), true)
  assert.equal(counts.get(missing), undefined)
  await a.deleteTopics([name, missing])
  await waitFor('the topic to disappear', async () => !(await a.listTopics()).includes(name))
})

test('consumer: rebalance listener, commit/committed, seek, pause/resume, watermarks, revoke on close', async (t) => {
  const a = await admin(t)
  const name = await topic(t, a, 3, 'consumer')
  const p = await producer(t)
  for (let i = 0; i < 30; i++) {
    assert.equal(
      p.produce({ topic: name, partition: i % 3, key: Buffer.from(`k${i}`), value: Buffer.from(`v${i}`) }),
      true
    )
  }
  await p.flush()

  const c = await consumer(t)
  const assigned: TopicPartition[] = []
  const revoked: TopicPartition[] = []
  c.subscribe([name], {
    onPartitionsAssigned: async (partitions) => {
      // Awaited before the rebalance completes: an async listener must not lose partitions.
      await new Promise((resolve) => setImmediate(resolve))
      assigned.push(...partitions)
    },
    onPartitionsRevoked: (partitions) => {
      revoked.push(...partitions)
    }
  })
  const first = await consumeUntil(c, 30, '30 records')
  assert.deepEqual(assigned.map((tp) => tp.partition).sort(), [0, 1, 2])
  assert.deepEqual(
    c
      .assignment()
      .map((tp) => tp.partition)
      .sort(),
    [0, 1, 2]
  )
  assert.equal(first.length, 30)
  const p0 = first.filter((r) => r.partition === 0)
  assert.deepEqual(
    p0.map((r) => r.offset),
    [...Array(10).keys()],
    'offsets 0..9 in order on partition 0'
  )
  assert.deepEqual(
    p0.map((r) => r.value?.toString()),
    [0, 3, 6, 9, 12, 15, 18, 21, 24, 27].map((i) => `v${i}`)
  )

  assert.deepEqual(await c.watermarks({ topic: name, partition: 1 }), { low: 0, high: 10 })
  await c.commit([
    { topic: name, partition: 0, offset: 10 },
    { topic: name, partition: 1, offset: 4 }
  ])
  const committed = await c.committed([
    { topic: name, partition: 0 },
    { topic: name, partition: 1 },
    { topic: name, partition: 2 }
  ])
  assert.deepEqual(
    committed.map((o) => [o.partition, o.offset]),
    [
      [0, 10],
      [1, 4],
      [2, -1001]
    ]
  )

  // Seek partition 2 back to 7 while partition 1 is paused: only partition 2's last three records come again.
  c.pause([{ topic: name, partition: 1 }])
  await c.seek({ topic: name, partition: 2, offset: 7 })
  await c.seek({ topic: name, partition: 1, offset: 0 })
  const again = await consumeUntil(c, 3, 'the re-read of partition 2')
  assert.deepEqual(
    again.map((r) => [r.partition, r.offset]),
    [
      [2, 7],
      [2, 8],
      [2, 9]
    ]
  )
  assert.deepEqual(await c.consume(10, 300), [], 'nothing from the paused partition')
  c.resume([{ topic: name, partition: 1 }])
  const resumed = await consumeUntil(c, 10, 'partition 1 after resume')
  assert.deepEqual(
    resumed.map((r) => r.offset),
    [...Array(10).keys()]
  )

  await c.close()
  assert.deepEqual(revoked.map((tp) => tp.partition).sort(), [0, 1, 2], 'close revokes through the listener')
  await assert.rejects(c.consume(1), { code: 'ILLEGAL_STATE' })
})

test('transactions: committed records and KIP-447 offsets become visible together; aborted ones never', async (t) => {
  const a = await admin(t)
  const input = await topic(t, a, 1, 'txn-in')
  const output = await topic(t, a, 1, 'txn-out')
  const plain = await producer(t)
  for (let i = 0; i < 5; i++) plain.produce({ topic: input, key: null, value: Buffer.from(`in${i}`) })
  await plain.flush()

  const groupId = uniqueName('txn-group')
  const source = await consumer(t, { 'group.id': groupId, 'isolation.level': 'read_committed' })
  source.subscribe([input])
  const read = await consumeUntil(source, 5, 'the input records')

  const txn = await producer(t, { 'transactional.id': uniqueName('txn') })
  await txn.initTransactions()

  // Aborted: neither the output nor the offsets count.
  await txn.beginTransaction()
  txn.produce({ topic: output, key: null, value: Buffer.from('aborted') })
  await txn.sendOffsetsToTransaction([{ topic: input, partition: 0, offset: 2 }], source.groupMetadata())
  await txn.abortTransaction()

  // Committed: the output records and the group's offset land atomically.
  await txn.beginTransaction()
  for (const r of read) txn.produce({ topic: output, key: null, value: Buffer.from(`out-${r.value?.toString()}`) })
  await txn.sendOffsetsToTransaction([{ topic: input, partition: 0, offset: 5 }], source.groupMetadata())
  await txn.commitTransaction()

  assert.deepEqual(await source.committed([{ topic: input, partition: 0 }]), [
    { topic: input, partition: 0, offset: 5 }
  ])
  const reader = await consumer(t, { 'isolation.level': 'read_committed' })
  reader.subscribe([output])
  const out = await consumeUntil(reader, 5, 'the committed output')
  assert.deepEqual(
    out.map((r) => r.value?.toString()),
    ['out-in0', 'out-in1', 'out-in2', 'out-in3', 'out-in4']
  )
  assert.deepEqual(await reader.consume(10, 500), [], 'the aborted record stays invisible')
})

test('transactions: a call made while another still runs waits for it instead of being refused as conflicting', async (t) => {
  const a = await admin(t)
  const input = await topic(t, a, 1, 'txn-serial-in')
  const output = await topic(t, a, 1, 'txn-serial-out')
  const source = await consumer(t, { 'group.id': uniqueName('txn-serial'), 'isolation.level': 'read_committed' })
  source.subscribe([input])
  const txn = await producer(t, { 'transactional.id': uniqueName('txn-serial') })
  await txn.initTransactions()
  for (let round = 1; round <= 3; round++) {
    await txn.beginTransaction()
    txn.produce({ topic: output, key: null, value: Buffer.from(`r${round}`) })
    // Both started at once: librdkafka alone refuses the commit ("Conflicting send_offsets_to_transaction API call
    // is already in progress") while the offsets' broker round trip runs.
    const offsets = txn.sendOffsetsToTransaction(
      [{ topic: input, partition: 0, offset: round }],
      source.groupMetadata()
    )
    const commit = txn.commitTransaction()
    await Promise.all([offsets, commit])
    assert.deepEqual(await source.committed([{ topic: input, partition: 0 }]), [
      { topic: input, partition: 0, offset: round }
    ])
  }
  const reader = await consumer(t, { 'isolation.level': 'read_committed' })
  reader.subscribe([output])
  const out = await consumeUntil(reader, 3, 'the committed output')
  assert.deepEqual(
    out.map((r) => r.value?.toString()),
    ['r1', 'r2', 'r3']
  )
})

test('delivery.report.only.error: every failed record has reached its callback when flush() resolves', async (t) => {
  const a = await admin(t)
  const name = await topic(t, a, 1, 'only-errors')
  const p = await producer(t, { 'delivery.report.only.error': true, 'message.timeout.ms': 2000 })
  let failed = 0
  let succeeded = 0
  for (let i = 0; i < 1000; i++) {
    // Every tenth record goes to a topic that does not exist (auto-creation is off): it fails after the timeout.
    const target = i % 10 === 0 ? `${name}-missing` : name
    p.produce({ topic: target, key: Buffer.from('k'), value: Buffer.from(String(i)) }, (error) => {
      if (error === null) succeeded++
      else failed++
    })
  }
  await p.flush(30_000)
  assert.equal(failed, 100, 'all failures reported before flush() resolved')
  assert.equal(succeeded, 0, 'successes are not reported in this mode')
})
