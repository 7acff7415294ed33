import type { RecordContext } from '../../state/internals/internal-store-context.ts'

export type HandlerResponse = 'continue' | 'fail'

/** Decides what happens to a record whose key or value cannot be deserialized. */
export type DeserializationExceptionHandler = (
  error: unknown,
  record: {
    topic: string
    partition: number
    offset: number
    key: Buffer | null
    value: Buffer | null
    timestamp: number
  }
) => HandlerResponse

/** Decides what happens when a processor throws while handling a record. */
export type ProcessingExceptionHandler = (
  error: unknown,
  context: { processorNodeId: string; taskId: string; record: RecordContext }
) => HandlerResponse

export interface ErrorLogger {
  warn(message: string, fields?: Record<string, unknown>): void
  error(message: string, fields?: Record<string, unknown>): void
}

export const consoleLogger: ErrorLogger = {
  warn: (message, fields) => console.warn(message, fields ?? ''),
  error: (message, fields) => console.error(message, fields ?? '')
}
