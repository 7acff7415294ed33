// Errors from the native client, turned into StreamsErrors that keep what the runtime needs to decide what to do
// next (retry, abort the transaction, or give up because the producer is fenced).
import { StreamsError, type StreamsErrorDetails } from '../../errors.ts'

/** The fields librdkafka errors carry in @confluentinc/kafka-javascript. */
export interface NativeErrorLike {
  readonly message?: string
  readonly code?: number
  readonly isFatal?: boolean
  readonly isRetriable?: boolean
  readonly isTxnRequiresAbort?: boolean
}

/** A StreamsError (code KAFKA_CLIENT or TIMEOUT) raised by the Kafka client, with librdkafka's error flags. */
export class KafkaClientError extends StreamsError {
  /** librdkafka error code (negative: local to the client; positive: Kafka protocol error code). */
  readonly kafkaCode: number
  /** The producer/consumer can no longer be used (e.g. fenced by a newer transactional instance). */
  readonly fatal: boolean
  readonly retriable: boolean
  /** The current transaction must be aborted; the producer itself stays usable. */
  readonly txnRequiresAbort: boolean

  constructor(message: string, native: NativeErrorLike, details: StreamsErrorDetails = {}) {
    super(native.code === TIMED_OUT || native.code === TIMED_OUT_QUEUE ? 'TIMEOUT' : 'KAFKA_CLIENT', message, details)
    this.name = 'KafkaClientError'
    this.kafkaCode = native.code ?? 0
    this.fatal = native.isFatal === true
    this.retriable = native.isRetriable === true
    this.txnRequiresAbort = native.isTxnRequiresAbort === true
  }
}

export const TIMED_OUT = -185
const TIMED_OUT_QUEUE = -166
export const QUEUE_FULL = -184
/** librdkafka's RD_KAFKA_RESP_ERR__PREV_IN_PROGRESS: a previous call of the same kind is still running. */
export const PREV_IN_PROGRESS = -177
export const TOPIC_ALREADY_EXISTS = 36
export const UNKNOWN_TOPIC_OR_PART = 3
export const ASSIGN_PARTITIONS = -175
export const REVOKE_PARTITIONS = -174

/** Wraps a native error as `"<what>: <librdkafka message>"`; `cause` keeps the original. */
export function clientError(what: string, err: unknown, details: StreamsErrorDetails = {}): KafkaClientError {
  const native: NativeErrorLike = typeof err === 'object' && err !== null ? (err as NativeErrorLike) : {}
  const text = native.message ?? String(err)
  return new KafkaClientError(`${what}: ${text}`, native, { ...details, cause: err })
}
