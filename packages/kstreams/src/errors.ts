/**
 * Every error the library throws is a {@link StreamsError} with a stable `code` from {@link ErrorCodes}.
 * The list is mirrored in docs/errors.md; a test keeps the two in sync.
 */
export const ErrorCodes = {
  CONFIG_INVALID: 'A configuration value is missing, unknown or of the wrong type',
  SERIALIZATION: 'A value could not be serialized',
  DESERIALIZATION: 'Bytes read from a topic could not be deserialized',
  SCHEMA_INVALID: 'A value does not match its JSON Schema',
  SCHEMA_REGISTRY: 'The schema registry could not be reached or refused a request',
  SCHEMA_NOT_CACHED: 'A schema must be fetched from the registry before the record can be handled',
  TOPOLOGY_INVALID: 'The topology cannot be built as written',
  STORE_NOT_FOUND: 'No state store with that name exists',
  STORE_CLOSED: 'The state store is closed',
  STORE_INVALID_OPERATION: 'The operation is not allowed on this store',
  PROCESSING: 'A processor threw while handling a record',
  KAFKA_CLIENT: 'The Kafka client reported an error',
  SOURCE_TOPIC_MISSING: 'A source topic does not exist',
  ILLEGAL_STATE: 'The operation is not valid in the current state',
  TIMEOUT: 'An operation did not finish in time'
} as const

export type ErrorCode = keyof typeof ErrorCodes

export interface StreamsErrorDetails {
  cause?: unknown
  taskId?: string
  topic?: string
  partition?: number
  offset?: string
  storeName?: string
  setting?: string
}

/** Root of every error raised by the library. `code` is stable; `message` is for humans. */
export class StreamsError extends Error {
  readonly code: ErrorCode
  readonly taskId: string | undefined
  readonly topic: string | undefined
  readonly partition: number | undefined
  readonly offset: string | undefined
  readonly storeName: string | undefined
  readonly setting: string | undefined

  constructor(code: ErrorCode, message: string, details: StreamsErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause })
    this.name = 'StreamsError'
    this.code = code
    this.taskId = details.taskId
    this.topic = details.topic
    this.partition = details.partition
    this.offset = details.offset
    this.storeName = details.storeName
    this.setting = details.setting
  }
}
