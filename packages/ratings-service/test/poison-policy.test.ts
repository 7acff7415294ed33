// POISON_RECORD_POLICY maps onto Kafka Streams' exception handlers and the dead-letter topic.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DeadLetterHeaders } from 'kstreams-ts'
import type {
  DeadLetterRecord,
  DeserializationExceptionHandler,
  HandlerResponse,
  ProcessingExceptionHandler
} from 'kstreams-ts'
import { ConfigError, loadConfig } from '../src/config.ts'
import { poisonRecordSettings } from '../src/poison-policy.ts'

const record = {
  topic: 'ratings',
  partition: 1,
  offset: 42,
  key: Buffer.from('k'),
  value: Buffer.from('secret-ish payload'),
  timestamp: 7,
  headers: [],
  taskId: '0_1',
  deadLetterQueueTopic: undefined
}

function handlers(env: Record<string, string>): {
  settings: Record<string, unknown>
  lines: Array<{ level: string; message: string; fields: Record<string, unknown> | undefined }>
  deserialize: (error: unknown) => HandlerResponse
  process: (error: unknown) => HandlerResponse
} {
  const lines: Array<{ level: string; message: string; fields: Record<string, unknown> | undefined }> = []
  const settings = poisonRecordSettings(loadConfig(env), {
    log: (level, message, fields) => lines.push({ level, message, fields })
  }) as Record<string, unknown>
  const d = settings['deserialization.exception.handler'] as DeserializationExceptionHandler
  const p = settings['processing.exception.handler'] as ProcessingExceptionHandler
  return {
    settings,
    lines,
    deserialize: (error) => d(error, record),
    process: (error) =>
      p(error, {
        processorNodeId: 'KSTREAM-MAP-0000000001',
        taskId: '0_1',
        record: { topic: 'ratings', partition: 1, offset: 43, timestamp: 8, headers: [] },
        sourceRawKey: Buffer.from('k2'),
        sourceRawValue: null,
        deadLetterQueueTopic: undefined
      })
  }
}

function deadLetters(response: HandlerResponse): readonly DeadLetterRecord[] {
  assert.ok(typeof response === 'object', `expected a response with dead letters, got ${String(response)}`)
  assert.equal(response.result, 'continue')
  return response.deadLetterRecords
}

test('default policy: log, skip and dead-letter to ratings-dlq, with the error and coordinates in headers', () => {
  const h = handlers({})
  assert.equal(h.settings['errors.dead.letter.queue.topic.name'], 'ratings-dlq')
  const [dead] = deadLetters(h.deserialize(new Error('bad magic byte')))
  assert.equal(dead?.topic, 'ratings-dlq')
  assert.deepEqual([dead?.key, dead?.value, dead?.timestamp], [record.key, record.value, 7])
  const header = (key: string): string | undefined => dead?.headers.find((x) => x.key === key)?.value?.toString()
  assert.equal(header(DeadLetterHeaders.message), 'bad magic byte')
  assert.equal(header(DeadLetterHeaders.offset), '42')

  const [fromProcessing] = deadLetters(h.process(new TypeError('null value')))
  assert.deepEqual([fromProcessing?.key, fromProcessing?.value], [Buffer.from('k2'), null])

  assert.equal(h.lines.length, 2)
  assert.equal(h.lines[0]?.level, 'warn')
  assert.deepEqual(h.lines[0]?.fields, {
    topic: 'ratings',
    partition: 1,
    offset: 42,
    error: 'bad magic byte',
    deadLetterTopic: 'ratings-dlq'
  })
  assert.ok(!JSON.stringify(h.lines).includes('payload'), 'the record bytes are never logged')
})

test('skip: no dead letters; fail: the engine stops; RATINGS_DLQ_TOPIC renames the topic', () => {
  const skip = handlers({ POISON_RECORD_POLICY: 'skip' })
  assert.equal(skip.settings['errors.dead.letter.queue.topic.name'], undefined)
  assert.deepEqual(deadLetters(skip.deserialize(new Error('x'))), [])
  const fail = handlers({ POISON_RECORD_POLICY: 'fail' })
  assert.equal(fail.deserialize(new Error('x')), 'fail')
  assert.equal(fail.process(new Error('x')), 'fail')
  assert.equal(fail.lines[0]?.level, 'error')
  assert.equal(handlers({ RATINGS_DLQ_TOPIC: 'poison' }).settings['errors.dead.letter.queue.topic.name'], 'poison')
})

test('an unknown policy or a bad dead-letter topic name stops startup naming the key', () => {
  assert.throws(
    () => loadConfig({ POISON_RECORD_POLICY: 'ignore' }),
    (e: unknown) => e instanceof ConfigError && e.message.includes('POISON_RECORD_POLICY')
  )
  assert.throws(
    () => loadConfig({ RATINGS_DLQ_TOPIC: 'no spaces' }),
    (e: unknown) => e instanceof ConfigError && e.message.includes('RATINGS_DLQ_TOPIC')
  )
})
