import { test } from 'node:test'
import assert from 'node:assert/strict'
import { KafkaClientError } from '../../src/internals/client/client-error.ts'
import type { ProducerClient, TopicPartitionOffset } from '../../src/internals/client/kafka-client.ts'
import { StreamsProducer } from '../../src/runtime/internals/streams-producer.ts'

type Step = 'init' | 'begin' | 'offsets' | 'commit' | 'abort'

/** A producer that records its transactional calls and fails the ones it is told to (by call kind and number). */
function fakeProducer(name: string, calls: string[], failures: Partial<Record<Step, Array<Error | undefined>>> = {}) {
  const counts: Record<Step, number> = { init: 0, begin: 0, offsets: 0, commit: 0, abort: 0 }
  const step = async (kind: Step, detail = ''): Promise<void> => {
    const failure = failures[kind]?.[counts[kind]++]
    calls.push(`${name}:${kind}${detail}${failure === undefined ? '' : ' (fails)'}`)
    if (failure !== undefined) throw failure
  }
  const producer: ProducerClient = {
    produce: (record) => {
      calls.push(`${name}:produce ${record.topic}`)
      return true
    },
    flush: async () => {},
    initTransactions: () => step('init'),
    beginTransaction: () => step('begin'),
    sendOffsetsToTransaction: (offsets: readonly TopicPartitionOffset[]) =>
      step('offsets', ` ${offsets.map((o) => `${o.topic}-${o.partition}@${o.offset}`).join(',')}`),
    commitTransaction: () => step('commit'),
    abortTransaction: () => step('abort'),
    close: async () => {}
  }
  return producer
}

const retriable = (): KafkaClientError =>
  new KafkaClientError('coordinator not available', { code: 15, isRetriable: true })
const abortable = (): KafkaClientError =>
  new KafkaClientError('transaction must be aborted', { code: 48, isTxnRequiresAbort: true })
const timedOut = (): KafkaClientError => new KafkaClientError('Local: Timed out', { code: -185 })
const invalidState = (): KafkaClientError =>
  new KafkaClientError('Producer attempted a transactional operation in an invalid state', { code: 48 })

function metrics() {
  return { abortedTransactions: 0, producerReplacements: 0, transactionRetries: 0 }
}

function setup(failures: Parameters<typeof fakeProducer>[2] = {}, eos = true) {
  const calls: string[] = []
  let replacements = 0
  const m = metrics()
  const producer = new StreamsProducer(
    fakeProducer('p0', calls, failures),
    eos,
    {
      log: () => {},
      replaceProducer: async () => {
        calls.push('replace')
        return fakeProducer(`p${++replacements}`, calls)
      }
    },
    m
  )
  return { calls, producer, metrics: m }
}

const offsets = [{ topic: 'in', partition: 0, offset: 5 }]
const group = { groupId: 'app' }

test('StreamsProducer: begin, offsets and commit in that order; a second begin inside a transaction is a no-op', async () => {
  const { calls, producer } = setup()
  await producer.initTransactions()
  await producer.maybeBeginTransaction()
  await producer.maybeBeginTransaction()
  assert.equal(producer.transactionInFlight, true)
  await producer.commitTransaction(offsets, group)
  assert.equal(producer.transactionInFlight, false)
  assert.deepEqual(calls, ['p0:init', 'p0:begin', 'p0:offsets in-0@5', 'p0:commit'])
})

test('StreamsProducer: at-least-once never touches transactions', async () => {
  const { calls, producer } = setup({}, false)
  await producer.initTransactions()
  await producer.maybeBeginTransaction()
  await producer.abortTransaction()
  assert.equal(producer.transactionInFlight, false)
  await assert.rejects(producer.commitTransaction(offsets, group), { code: 'ILLEGAL_STATE' })
  assert.deepEqual(calls, [])
})

test('StreamsProducer: a retriable error calls the same step again with the same offsets, no abort', async () => {
  const { calls, producer, metrics: m } = setup({ offsets: [retriable()], commit: [retriable()] })
  await producer.maybeBeginTransaction()
  await producer.commitTransaction(offsets, group)
  assert.deepEqual(calls, [
    'p0:begin',
    'p0:offsets in-0@5 (fails)',
    'p0:offsets in-0@5',
    'p0:commit (fails)',
    'p0:commit'
  ])
  assert.equal(m.transactionRetries, 2)
  assert.equal(m.abortedTransactions, 0)
})

test('StreamsProducer: an abortable commit failure leaves the transaction open; the abort makes its outcome certain', async () => {
  const { producer, metrics: m } = setup({ commit: [abortable()] })
  await producer.maybeBeginTransaction()
  await assert.rejects(producer.commitTransaction(offsets, group), /must be aborted/)
  assert.equal(producer.transactionInFlight, true)
  assert.deepEqual(await producer.abortOrReplace(new Error('x')), { uncertain: false })
  assert.equal(producer.transactionInFlight, false)
  assert.equal(m.abortedTransactions, 1)
})

test('StreamsProducer: a commit that failed otherwise (timed out) may have been applied: uncertain even after a clean abort', async () => {
  const { producer } = setup({ commit: [timedOut()] })
  await producer.maybeBeginTransaction()
  await assert.rejects(producer.commitTransaction(offsets, group), /Timed out/)
  assert.deepEqual(await producer.abortOrReplace(new Error('x')), { uncertain: true })
  // The next transaction starts with a clean slate.
  await producer.maybeBeginTransaction()
  assert.deepEqual(await producer.abortOrReplace(new Error('y')), { uncertain: false })
})

test('StreamsProducer: a producer that cannot abort is replaced, and the new one is initialized and used', async () => {
  const { calls, producer, metrics: m } = setup({ offsets: [timedOut()], abort: [invalidState()] })
  await producer.maybeBeginTransaction()
  await assert.rejects(producer.commitTransaction(offsets, group))
  // Offsets that failed to reach the transaction cannot have been committed: certain.
  assert.deepEqual(await producer.abortOrReplace(new Error('send offsets failed')), { uncertain: false })
  producer.produce({ topic: 'out', key: null, value: null }, () => {})
  await producer.maybeBeginTransaction()
  assert.deepEqual(calls, [
    'p0:begin',
    'p0:offsets in-0@5 (fails)',
    'p0:abort (fails)',
    'replace',
    'p1:init',
    'p1:produce out',
    'p1:begin'
  ])
  assert.equal(m.producerReplacements, 1)
  assert.equal(producer.transactionInFlight, true)
})

test('StreamsProducer: when no new producer can be set up the error says so and keeps the cause', async () => {
  const calls: string[] = []
  const producer = new StreamsProducer(
    fakeProducer('p0', calls, { abort: [invalidState()] }),
    true,
    {
      log: () => {},
      replaceProducer: async () => {
        throw new Error('cluster unreachable')
      }
    },
    metrics()
  )
  await producer.maybeBeginTransaction()
  await assert.rejects(producer.abortOrReplace(new Error('commit failed')), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'KAFKA_CLIENT')
    assert.match(e.message, /commit failed.*no new producer could be set up: cluster unreachable/)
    return true
  })
})
