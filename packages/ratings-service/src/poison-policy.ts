// The engine's policy for records it cannot read (random bytes, an unknown schema id, JSON that breaks the schema,
// an empty key) or process (a null value): Kafka Streams' exception handlers and KIP-1034's dead-letter topic.
import {
  logAndContinueDeserialization,
  logAndContinueProcessing,
  logAndFailDeserialization,
  logAndFailProcessing
} from 'kstreams-ts'
import type { StreamsConfig } from 'kstreams-ts'
import type { ServiceConfig } from './config.ts'

/** The KafkaStreams settings for `POISON_RECORD_POLICY`. Every skipped record counts in `dropped-records`. */
export function poisonRecordSettings(config: Pick<ServiceConfig, 'poisonRecordPolicy' | 'topics'>): StreamsConfig {
  if (config.poisonRecordPolicy === 'fail') {
    return {
      'deserialization.exception.handler': logAndFailDeserialization,
      'processing.exception.handler': logAndFailProcessing
    }
  }
  return {
    'deserialization.exception.handler': logAndContinueDeserialization,
    'processing.exception.handler': logAndContinueProcessing,
    ...(config.poisonRecordPolicy === 'dead-letter'
      ? { 'errors.dead.letter.queue.topic.name': config.topics.deadLetter }
      : {})
  }
}
