import type { RecordContext } from '../../state/internals/internal-store-context.ts'
import type { Headers } from '../record.ts'

export type HandlerResult = 'continue' | 'fail'

/**
 * A record written to the dead-letter queue topic (Kafka Streams' KIP-1034), inside the task's transaction under
 * exactly-once; under at-least-once the input offset is committed only after it is acknowledged.
 */
export interface DeadLetterRecord {
  readonly topic: string
  readonly key: Buffer | null
  readonly value: Buffer | null
  readonly headers: Headers
  readonly timestamp: number
}

/**
 * What a handler decides: skip the record (`'continue'`) or stop the instance (`'fail'`), optionally with records
 * for the dead-letter queue (written in both cases, as Kafka Streams does).
 */
export type HandlerResponse =
  HandlerResult | { readonly result: HandlerResult; readonly deadLetterRecords: readonly DeadLetterRecord[] }

/** The failed input record as read from Kafka, before deserialization. */
export interface DeserializationErrorContext {
  readonly topic: string
  readonly partition: number
  readonly offset: number
  readonly key: Buffer | null
  readonly value: Buffer | null
  readonly timestamp: number
  readonly headers: Headers
  readonly taskId: string
  /** `errors.dead.letter.queue.topic.name`, or `undefined` when no dead-letter queue is configured. */
  readonly deadLetterQueueTopic: string | undefined
}

export interface ProcessingErrorContext {
  readonly processorNodeId: string
  readonly taskId: string
  /** The record being processed when the processor threw (a punctuation has topic '' and offset -1). */
  readonly record: RecordContext
  /** The key and value bytes of the input record that led here; `null` inside a punctuation. */
  readonly sourceRawKey: Buffer | null
  readonly sourceRawValue: Buffer | null
  /** `errors.dead.letter.queue.topic.name`, or `undefined` when no dead-letter queue is configured. */
  readonly deadLetterQueueTopic: string | undefined
}

/** Decides what happens to a record whose key or value cannot be deserialized. */
export type DeserializationExceptionHandler = (error: unknown, record: DeserializationErrorContext) => HandlerResponse

/** Decides what happens when a processor throws while handling a record. */
export type ProcessingExceptionHandler = (error: unknown, context: ProcessingErrorContext) => HandlerResponse

export function handlerResult(response: HandlerResponse): HandlerResult {
  return typeof response === 'string' ? response : response.result
}

export function deadLetters(response: HandlerResponse): readonly DeadLetterRecord[] {
  return typeof response === 'string' ? [] : response.deadLetterRecords
}

export interface ErrorLogger {
  warn(message: string, fields?: Record<string, unknown>): void
  error(message: string, fields?: Record<string, unknown>): void
}

export const consoleLogger: ErrorLogger = {
  warn: (message, fields) => console.warn(message, fields ?? ''),
  error: (message, fields) => console.error(message, fields ?? '')
}
