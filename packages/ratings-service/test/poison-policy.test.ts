// POISON_RECORD_POLICY maps onto Kafka Streams' exception handlers and the dead-letter topic.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  logAndContinueDeserialization,
  logAndContinueProcessing,
  logAndFailDeserialization,
  logAndFailProcessing
} from 'kstreams-ts'
import { ConfigError, loadConfig } from '../src/config.ts'
import { poisonRecordSettings } from '../src/poison-policy.ts'

test('the default policy skips poison records and sends them to ratings-dlq', () => {
  const config = loadConfig({})
  assert.equal(config.poisonRecordPolicy, 'dead-letter')
  assert.equal(config.topics.deadLetter, 'ratings-dlq')
  assert.deepEqual(poisonRecordSettings(config), {
    'deserialization.exception.handler': logAndContinueDeserialization,
    'processing.exception.handler': logAndContinueProcessing,
    'errors.dead.letter.queue.topic.name': 'ratings-dlq'
  })
})

test('skip and fail policies; RATINGS_DLQ_TOPIC renames the dead-letter topic', () => {
  assert.deepEqual(poisonRecordSettings(loadConfig({ POISON_RECORD_POLICY: 'skip' })), {
    'deserialization.exception.handler': logAndContinueDeserialization,
    'processing.exception.handler': logAndContinueProcessing
  })
  assert.deepEqual(poisonRecordSettings(loadConfig({ POISON_RECORD_POLICY: 'fail' })), {
    'deserialization.exception.handler': logAndFailDeserialization,
    'processing.exception.handler': logAndFailProcessing
  })
  assert.equal(loadConfig({ RATINGS_DLQ_TOPIC: 'poison' }).topics.deadLetter, 'poison')
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
