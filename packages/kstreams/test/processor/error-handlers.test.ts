// Poison records through the TopologyTestDriver: the deserialization and processing exception handlers decide
// whether a bad record is skipped (and counted) or stops the task.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  Consumed,
  DeadLetterHeaders,
  Produced,
  Serdes,
  StreamsBuilder,
  logAndContinueDeserialization,
  logAndContinueProcessing,
  logAndFailDeserialization
} from '../../src/index.ts'
import type {
  DeserializationExceptionHandler,
  ProcessingExceptionHandler,
  StreamsConfig,
  Topology
} from '../../src/index.ts'
import { TopologyTestDriver } from '../../src/testing/index.ts'

function topology(): Topology {
  const builder = new StreamsBuilder()
  builder
    .stream('in', Consumed.with(Serdes.Long(), Serdes.String()))
    .mapValues((v) => {
      if (v === 'boom') throw new Error('cannot handle boom')
      return v.toUpperCase()
    })
    .to('out', Produced.with(Serdes.Long(), Serdes.String()))
  return builder.build()
}

function driver(config: StreamsConfig): TopologyTestDriver {
  return new TopologyTestDriver(topology(), { 'application.id': 'errors', ...config }, 0)
}

const quiet = { warn: console.warn, error: console.error }
function silence(t: { after: (fn: () => void) => void }): void {
  console.warn = () => {}
  console.error = () => {}
  t.after(() => {
    console.warn = quiet.warn
    console.error = quiet.error
  })
}

test('log-and-fail (default): a poison key stops processing with DESERIALIZATION', (t) => {
  silence(t)
  const d = driver({})
  t.after(() => d.close())
  const raw = d.createInputTopic('in', Serdes.ByteArray(), Serdes.String())
  assert.throws(
    () => raw.pipeInput(Buffer.from([1, 2, 3]), 'hello', 1),
    (e: Error & { code?: string; topic?: string; offset?: string }) => {
      return e.code === 'DESERIALIZATION' && e.topic === 'in' && e.offset === '0' && /LongDeserializer/.test(e.message)
    }
  )
})

test('log-and-continue: the poison record is skipped and counted, the next ones are processed', (t) => {
  silence(t)
  const d = driver({ 'deserialization.exception.handler': logAndContinueDeserialization })
  t.after(() => d.close())
  const raw = d.createInputTopic('in', Serdes.ByteArray(), Serdes.String())
  const good = d.createInputTopic('in', Serdes.Long(), Serdes.String())
  good.pipeInput(1n, 'a', 1)
  raw.pipeInput(Buffer.from([1, 2, 3]), 'poison', 2)
  good.pipeInput(2n, 'b', 3)
  const out = d.createOutputTopic('out', Serdes.Long(), Serdes.String())
  assert.deepEqual(out.readValuesToList(), ['A', 'B'])
  assert.equal(d.metrics()['dropped-records-total'], 1)
})

test('a custom deserialization handler sees the bad record and decides', (t) => {
  const seen: Array<{ topic: string; offset: number; key: Buffer | null }> = []
  const handler: DeserializationExceptionHandler = (_error, record) => {
    seen.push({ topic: record.topic, offset: record.offset, key: record.key })
    return 'continue'
  }
  const d = driver({ 'deserialization.exception.handler': handler })
  t.after(() => d.close())
  d.createInputTopic('in', Serdes.Long(), Serdes.String()).pipeInput(1n, 'a', 1)
  d.createInputTopic('in', Serdes.ByteArray(), Serdes.String()).pipeInput(Buffer.from('xyz'), 'bad', 2)
  assert.deepEqual(seen, [{ topic: 'in', offset: 1, key: Buffer.from('xyz') }])
})

test('processing errors: log-and-fail throws PROCESSING with the processor name; log-and-continue skips and counts', (t) => {
  silence(t)
  const failing = driver({})
  t.after(() => failing.close())
  assert.throws(
    () => failing.createInputTopic('in', Serdes.Long(), Serdes.String()).pipeInput(1n, 'boom', 1),
    (e: Error & { code?: string }) => {
      return (
        e.code === 'PROCESSING' &&
        e.message.includes('KSTREAM-MAPVALUES-0000000001') &&
        e.message.includes('cannot handle boom')
      )
    }
  )

  const continuing = driver({ 'processing.exception.handler': logAndContinueProcessing })
  t.after(() => continuing.close())
  const input = continuing.createInputTopic('in', Serdes.Long(), Serdes.String())
  input.pipeInput(1n, 'boom', 1)
  input.pipeInput(2n, 'ok', 2)
  assert.deepEqual(continuing.createOutputTopic('out', Serdes.Long(), Serdes.String()).readValuesToList(), ['OK'])
  assert.equal(continuing.metrics()['dropped-records-total'], 1)
})

test('a custom processing handler receives the processor and the record context', (t) => {
  const calls: string[] = []
  const handler: ProcessingExceptionHandler = (error, context) => {
    calls.push(
      `${context.processorNodeId} ${context.record.topic}@${context.record.offset}: ${(error as Error).message}`
    )
    return 'continue'
  }
  const d = driver({ 'processing.exception.handler': handler })
  t.after(() => d.close())
  d.createInputTopic('in', Serdes.Long(), Serdes.String()).pipeInput(7n, 'boom', 5)
  assert.deepEqual(calls, ['KSTREAM-MAPVALUES-0000000001 in@0: cannot handle boom'])
})

function header(headers: ReadonlyArray<{ key: string; value: Buffer | null }>, key: string): string | undefined {
  return headers.find((h) => h.key === key)?.value?.toString()
}

test('dead-letter queue: a poison record goes to errors.dead.letter.queue.topic.name with its bytes and the error in headers', (t) => {
  silence(t)
  const d = driver({
    'deserialization.exception.handler': logAndContinueDeserialization,
    'processing.exception.handler': logAndContinueProcessing,
    'errors.dead.letter.queue.topic.name': 'in-dlq'
  })
  t.after(() => d.close())
  const raw = d.createInputTopic('in', Serdes.ByteArray(), Serdes.ByteArray())
  const good = d.createInputTopic('in', Serdes.Long(), Serdes.String())
  good.pipeInput(1n, 'a', 10)
  raw.pipeInput(Buffer.from([1, 2, 3]), Buffer.from('poison'), 20, [{ key: 'trace', value: Buffer.from('t-1') }])
  good.pipeInput(2n, 'boom', 30)
  good.pipeInput(3n, 'c', 40)

  assert.deepEqual(d.createOutputTopic('out', Serdes.Long(), Serdes.String()).readValuesToList(), ['A', 'C'])
  assert.equal(d.metrics()['dropped-records-total'], 2)
  const dlq = d.createOutputTopic('in-dlq', Serdes.ByteArray(), Serdes.ByteArray()).readRecordsToList()
  assert.equal(dlq.length, 2)

  const [poison, boom] = dlq
  assert.deepEqual(poison?.key, Buffer.from([1, 2, 3]))
  assert.deepEqual(poison?.value, Buffer.from('poison'))
  assert.equal(poison?.timestamp, 20)
  const ph = poison?.headers ?? []
  assert.equal(header(ph, 'trace'), 't-1', 'the input headers are kept')
  assert.equal(header(ph, DeadLetterHeaders.topic), 'in')
  assert.equal(header(ph, DeadLetterHeaders.partition), '0')
  assert.equal(header(ph, DeadLetterHeaders.offset), '1')
  assert.match(header(ph, DeadLetterHeaders.message) ?? '', /LongDeserializer/)
  assert.match(header(ph, DeadLetterHeaders.exception) ?? '', /Error/)
  assert.match(header(ph, DeadLetterHeaders.stacktrace) ?? '', /at /)

  // A processing error: the dead letter carries the input record's bytes, not the processor's view of it.
  assert.deepEqual(boom?.key, Serdes.Long().serialize('in', 2n, []))
  assert.deepEqual(boom?.value, Buffer.from('boom'))
  assert.equal(header(boom?.headers ?? [], DeadLetterHeaders.offset), '2')
  assert.equal(header(boom?.headers ?? [], DeadLetterHeaders.message), 'cannot handle boom')
})

test('dead-letter queue with log-and-fail: the handler returns the dead letter and still fails', (t) => {
  silence(t)
  const context = {
    topic: 'in',
    partition: 2,
    offset: 41,
    key: Buffer.from('k'),
    value: Buffer.from('v'),
    timestamp: 5,
    headers: [],
    taskId: '0_2'
  }
  assert.equal(logAndFailDeserialization(new Error('bad'), { ...context, deadLetterQueueTopic: undefined }), 'fail')
  const response = logAndFailDeserialization(new Error('bad'), { ...context, deadLetterQueueTopic: 'in-dlq' })
  assert.ok(typeof response === 'object')
  assert.equal(response.result, 'fail')
  assert.equal(response.deadLetterRecords.length, 1)
  const [dead] = response.deadLetterRecords
  assert.deepEqual(
    [dead?.topic, dead?.key, dead?.value, dead?.timestamp],
    ['in-dlq', Buffer.from('k'), Buffer.from('v'), 5]
  )
  assert.equal(header(dead?.headers ?? [], DeadLetterHeaders.partition), '2')
  assert.equal(header(dead?.headers ?? [], DeadLetterHeaders.offset), '41')
})

test('a custom handler may return its own dead-letter records', (t) => {
  const handler: DeserializationExceptionHandler = (_error, record) => ({
    result: 'continue',
    deadLetterRecords: [
      { topic: 'quarantine', key: record.key, value: record.value, headers: [], timestamp: record.timestamp }
    ]
  })
  const d = driver({ 'deserialization.exception.handler': handler })
  t.after(() => d.close())
  d.createInputTopic('in', Serdes.ByteArray(), Serdes.String()).pipeInput(Buffer.from('k'), 'bad', 7)
  const q = d.createOutputTopic('quarantine', Serdes.ByteArray(), Serdes.String()).readRecord()
  assert.deepEqual([q.key, q.value, q.timestamp], [Buffer.from('k'), 'bad', 7])
})

test('errors.dead.letter.queue.topic.name must be a valid topic name', () => {
  assert.throws(
    () => driver({ 'errors.dead.letter.queue.topic.name': 'bad topic!' }),
    (e: Error & { code?: string; setting?: string }) =>
      e.code === 'CONFIG_INVALID' && e.setting === 'errors.dead.letter.queue.topic.name'
  )
})
