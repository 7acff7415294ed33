// Poison records through the TopologyTestDriver: the deserialization and processing exception handlers decide
// whether a bad record is skipped (and counted) or stops the task.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  Consumed,
  Produced,
  Serdes,
  StreamsBuilder,
  logAndContinueDeserialization,
  logAndContinueProcessing
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
