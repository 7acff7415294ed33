// The engine's policy for records it cannot read (random bytes, an unknown schema id, JSON that breaks the schema,
// an empty key) or process (a null value): Kafka Streams' exception handlers and KIP-1034's dead-letter topic, with
// the service's structured logger (coordinates and error only, never the record's bytes).
import { buildDeadLetterRecord } from 'kstreams-ts'
import type {
  DeserializationExceptionHandler,
  HandlerResponse,
  ProcessingExceptionHandler,
  StreamsConfig,
  StreamsLogger
} from 'kstreams-ts'
import type { ServiceConfig } from './config.ts'

type PolicyConfig = Pick<ServiceConfig, 'poisonRecordPolicy' | 'topics'>

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/**
 * The KafkaStreams settings for `POISON_RECORD_POLICY`: `dead-letter` logs, skips and writes the record to the
 * dead-letter topic with the error in `__streams.errors.*` headers; `skip` logs and skips; `fail` logs and stops the
 * engine. Every skipped record counts in the engine's dropped-records metric.
 */
export function poisonRecordSettings(config: PolicyConfig, logger: StreamsLogger): StreamsConfig {
  const policy = config.poisonRecordPolicy
  const dlq = policy === 'dead-letter' ? config.topics.deadLetter : undefined
  const respond = (dead: () => ReturnType<typeof buildDeadLetterRecord>): HandlerResponse =>
    policy === 'fail' ? 'fail' : { result: 'continue', deadLetterRecords: dlq === undefined ? [] : [dead()] }

  const deserialization: DeserializationExceptionHandler = (error, record) => {
    logger.log(policy === 'fail' ? 'error' : 'warn', `poison record: cannot deserialize (${policy})`, {
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
      error: message(error),
      ...(dlq === undefined ? {} : { deadLetterTopic: dlq })
    })
    return respond(() => buildDeadLetterRecord(dlq as string, error, record))
  }

  const processing: ProcessingExceptionHandler = (error, context) => {
    const r = context.record
    logger.log(policy === 'fail' ? 'error' : 'warn', `poison record: processing failed (${policy})`, {
      processor: context.processorNodeId,
      task: context.taskId,
      topic: r.topic,
      partition: r.partition,
      offset: r.offset,
      error: message(error),
      ...(dlq === undefined ? {} : { deadLetterTopic: dlq })
    })
    return respond(() =>
      buildDeadLetterRecord(dlq as string, error, {
        ...r,
        key: context.sourceRawKey,
        value: context.sourceRawValue
      })
    )
  }

  return {
    'deserialization.exception.handler': deserialization,
    'processing.exception.handler': processing,
    ...(dlq === undefined ? {} : { 'errors.dead.letter.queue.topic.name': dlq })
  }
}
