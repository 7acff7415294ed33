import { test } from 'node:test'
import assert from 'node:assert/strict'
import { KafkaClientError } from '../../src/internals/client/client-error.ts'
import type { DeliveryCallback, ProducerClient, ProducerRecord } from '../../src/internals/client/kafka-client.ts'
import { RecordCollectorImpl } from '../../src/runtime/internals/record-collector-impl.ts'
import { StreamsProducer } from '../../src/runtime/internals/streams-producer.ts'

/** A producer with a local queue of `capacity` records; flush() empties it. */
function queueProducer(capacity: number) {
  const sent: string[] = []
  const callbacks: DeliveryCallback[] = []
  let queued = 0
  let refuse: Error | null = null
  const client: ProducerClient = {
    produce: (record: ProducerRecord, onDelivery?: DeliveryCallback) => {
      if (refuse !== null) throw refuse
      if (queued >= capacity) return false
      queued++
      sent.push(String(record.value))
      if (onDelivery !== undefined) callbacks.push(onDelivery)
      return true
    },
    flush: async () => {
      queued = 0
    },
    initTransactions: async () => {},
    beginTransaction: async () => {},
    sendOffsetsToTransaction: async () => {},
    commitTransaction: async () => {},
    abortTransaction: async () => {},
    close: async () => {}
  }
  const producer = new StreamsProducer(
    client,
    true,
    { log: () => {}, replaceProducer: async () => client },
    {
      abortedTransactions: 0,
      producerReplacements: 0,
      transactionRetries: 0
    }
  )
  return {
    producer,
    sent,
    callbacks,
    refuseWith: (e: Error | null) => {
      refuse = e
    }
  }
}

const send = (c: RecordCollectorImpl, value: string): void => c.send('out', null, Buffer.from(value), [], 0, 0)

test('RecordCollectorImpl: records refused by a full queue wait in order behind the first refused one', async () => {
  const p = queueProducer(2)
  const c = new RecordCollectorImpl(p.producer)
  for (const v of ['a', 'b', 'c', 'd', 'e']) send(c, v)
  assert.deepEqual(p.sent, ['a', 'b'])
  assert.equal(c.hasOverflow, true)
  await c.drain()
  assert.equal(c.hasOverflow, false)
  assert.deepEqual(p.sent, ['a', 'b', 'c', 'd', 'e'])
})

test('RecordCollectorImpl: the first delivery failure is reported by checkError, not thrown at send', () => {
  const p = queueProducer(10)
  const c = new RecordCollectorImpl(p.producer)
  send(c, 'a')
  send(c, 'b')
  c.checkError()
  p.callbacks[1]?.(new Error('broker: message too large'), null)
  p.callbacks[0]?.(new Error('second failure'), null)
  assert.throws(
    () => c.checkError(),
    (e: Error & { code?: string }) =>
      e.code === 'KAFKA_CLIENT' && /could not be written: broker: message too large/.test(e.message)
  )
})

test('RecordCollectorImpl: after clear(), failure reports of records sent before it are ignored', () => {
  const p = queueProducer(10)
  const c = new RecordCollectorImpl(p.producer)
  send(c, 'before abort')
  c.clear()
  p.callbacks[0]?.(new Error('purged by the abort'), null)
  c.checkError()
  send(c, 'after abort')
  p.callbacks[1]?.(new Error('a real failure'), null)
  assert.throws(() => c.checkError(), /a real failure/)
})

test('RecordCollectorImpl: a producer in a failed transaction state is a send failure; other errors are thrown', () => {
  const p = queueProducer(10)
  const c = new RecordCollectorImpl(p.producer)
  p.refuseWith(new KafkaClientError('producing: Local: Erroneous state', { code: -172 }))
  send(c, 'a')
  assert.throws(() => c.checkError(), /Erroneous state/)
  p.refuseWith(new TypeError('bad topic name'))
  assert.throws(() => send(c, 'b'), TypeError)
})

test('RecordCollectorImpl: clear() drops the records still waiting for the queue', async () => {
  const p = queueProducer(1)
  const c = new RecordCollectorImpl(p.producer)
  send(c, 'a')
  send(c, 'b')
  c.clear()
  await c.drain()
  assert.deepEqual(p.sent, ['a'])
})
