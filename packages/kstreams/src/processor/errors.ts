// Ready-made failure policies, as Kafka Streams' LogAndContinue/LogAndFail handlers. With
// `errors.dead.letter.queue.topic.name` set they also write the failed input record to that topic (KIP-1034).
import type {
  DeadLetterRecord,
  DeserializationErrorContext,
  DeserializationExceptionHandler,
  HandlerResponse,
  HandlerResult,
  ProcessingErrorContext,
  ProcessingExceptionHandler
} from './internals/error-handlers.ts'
import type { Headers } from './record.ts'

export type {
  DeadLetterRecord,
  DeserializationErrorContext,
  DeserializationExceptionHandler,
  HandlerResponse,
  HandlerResult,
  ProcessingErrorContext,
  ProcessingExceptionHandler
}

/** Header names Kafka Streams puts on a dead-letter record (the values are UTF-8 strings). */
export const DeadLetterHeaders = {
  exception: '__streams.errors.exception',
  message: '__streams.errors.message',
  stacktrace: '__streams.errors.stacktrace',
  topic: '__streams.errors.topic',
  partition: '__streams.errors.partition',
  offset: '__streams.errors.offset'
} as const

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/**
 * Builds the dead-letter record for a failed input record as Kafka Streams does: the input's key and value bytes and
 * headers, plus the `__streams.errors.*` headers (exception name, message, stack, and the input's coordinates).
 */
export function buildDeadLetterRecord(
  dlqTopic: string,
  error: unknown,
  source: {
    readonly topic: string
    readonly partition: number
    readonly offset: number
    readonly timestamp: number
    readonly key: Buffer | null
    readonly value: Buffer | null
    readonly headers: Headers
  }
): DeadLetterRecord {
  const name = error instanceof Error ? error.name : typeof error
  const stack = error instanceof Error ? (error.stack ?? error.message) : String(error)
  const headers: Headers = [
    ...source.headers,
    { key: DeadLetterHeaders.exception, value: Buffer.from(name) },
    { key: DeadLetterHeaders.message, value: Buffer.from(describe(error)) },
    { key: DeadLetterHeaders.stacktrace, value: Buffer.from(stack) },
    { key: DeadLetterHeaders.topic, value: Buffer.from(source.topic) },
    { key: DeadLetterHeaders.partition, value: Buffer.from(String(source.partition)) },
    { key: DeadLetterHeaders.offset, value: Buffer.from(String(source.offset)) }
  ]
  return { topic: dlqTopic, key: source.key, value: source.value, headers, timestamp: source.timestamp }
}

function deserializationResponse(
  result: HandlerResult,
  error: unknown,
  record: DeserializationErrorContext
): HandlerResponse {
  if (record.deadLetterQueueTopic === undefined) return result
  return { result, deadLetterRecords: [buildDeadLetterRecord(record.deadLetterQueueTopic, error, record)] }
}

function processingResponse(result: HandlerResult, error: unknown, context: ProcessingErrorContext): HandlerResponse {
  if (context.deadLetterQueueTopic === undefined) return result
  const r = context.record
  return {
    result,
    deadLetterRecords: [
      buildDeadLetterRecord(context.deadLetterQueueTopic, error, {
        topic: r.topic,
        partition: r.partition,
        offset: r.offset,
        timestamp: r.timestamp,
        key: context.sourceRawKey,
        value: context.sourceRawValue,
        headers: r.headers
      })
    ]
  }
}

function where(record: { topic: string; partition: number; offset: number }): string {
  return `topic=${record.topic} partition=${record.partition} offset=${record.offset}`
}

function dlqNote(topic: string | undefined): string {
  return topic === undefined ? '' : ` (sent to dead-letter topic ${topic})`
}

/** Logs the bad record's coordinates (never its bytes) and skips it; the task's dropped-records metric counts it. */
export const logAndContinueDeserialization: DeserializationExceptionHandler = (error, record) => {
  console.warn(
    `Skipping record due to deserialization error: ${where(record)}${dlqNote(record.deadLetterQueueTopic)}: ${describe(error)}`
  )
  return deserializationResponse('continue', error, record)
}

/** Logs and stops processing: the task fails with a StreamsError('DESERIALIZATION'). The default. */
export const logAndFailDeserialization: DeserializationExceptionHandler = (error, record) => {
  console.error(`Deserialization error: ${where(record)}${dlqNote(record.deadLetterQueueTopic)}: ${describe(error)}`)
  return deserializationResponse('fail', error, record)
}

export const logAndContinueProcessing: ProcessingExceptionHandler = (error, context) => {
  console.warn(
    `Skipping record after processing error in ${context.processorNodeId} (task ${context.taskId}, ${where(context.record)})${dlqNote(context.deadLetterQueueTopic)}: ${describe(error)}`
  )
  return processingResponse('continue', error, context)
}

/** The default: the task fails with a StreamsError('PROCESSING'). */
export const logAndFailProcessing: ProcessingExceptionHandler = (error, context) => {
  console.error(
    `Processing error in ${context.processorNodeId} (task ${context.taskId}, ${where(context.record)})${dlqNote(context.deadLetterQueueTopic)}: ${describe(error)}`
  )
  return processingResponse('fail', error, context)
}
