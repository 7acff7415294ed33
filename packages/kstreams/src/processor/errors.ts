// Ready-made failure policies, as Kafka Streams' LogAndContinue/LogAndFail handlers.
import type {
  DeserializationExceptionHandler,
  HandlerResponse,
  ProcessingExceptionHandler
} from './internals/error-handlers.ts'

export type { DeserializationExceptionHandler, HandlerResponse, ProcessingExceptionHandler }

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** Logs the bad record's coordinates (never its bytes) and skips it; the task's dropped-records metric counts it. */
export const logAndContinueDeserialization: DeserializationExceptionHandler = (error, record) => {
  console.warn(
    `Skipping record due to deserialization error: topic=${record.topic} partition=${record.partition} offset=${record.offset}: ${describe(error)}`
  )
  return 'continue'
}

/** Logs and stops processing: the task fails with a StreamsError('DESERIALIZATION'). The default. */
export const logAndFailDeserialization: DeserializationExceptionHandler = (error, record) => {
  console.error(
    `Deserialization error: topic=${record.topic} partition=${record.partition} offset=${record.offset}: ${describe(error)}`
  )
  return 'fail'
}

export const logAndContinueProcessing: ProcessingExceptionHandler = (error, context) => {
  console.warn(
    `Skipping record after processing error in ${context.processorNodeId} (task ${context.taskId}, topic=${context.record.topic} partition=${context.record.partition} offset=${context.record.offset}): ${describe(error)}`
  )
  return 'continue'
}

/** The default: the task fails with a StreamsError('PROCESSING'). */
export const logAndFailProcessing: ProcessingExceptionHandler = (error, context) => {
  console.error(`Processing error in ${context.processorNodeId} (task ${context.taskId}): ${describe(error)}`)
  return 'fail'
}
