// StreamsConfig names and defaults shared by KafkaStreams and the TopologyTestDriver.
import { StreamsError } from '../errors.ts'
import type { Serde } from '../serdes/serde.ts'
import type {
  DeserializationExceptionHandler,
  ProcessingExceptionHandler
} from '../processor/internals/error-handlers.ts'

/** Kafka Streams configuration, keyed by Kafka Streams' property names. Client properties pass through. */
export type StreamsConfig = Readonly<Record<string, unknown>>

export const DEFAULT_CACHE_MAX_BYTES = 10 * 1024 * 1024

function number(config: StreamsConfig, key: string, fallback: number): number {
  const raw = config[key]
  if (raw === undefined) return fallback
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN
  if (!Number.isFinite(n) || n < 0) {
    throw new StreamsError('CONFIG_INVALID', `${key}: expected a non-negative number, got ${JSON.stringify(raw)}`, {
      setting: key
    })
  }
  return n
}

/** `statestore.cache.max.bytes`, falling back to the deprecated `cache.max.bytes.buffering`. */
export function cacheMaxBytes(config: StreamsConfig): number {
  if (config['statestore.cache.max.bytes'] !== undefined) {
    return number(config, 'statestore.cache.max.bytes', DEFAULT_CACHE_MAX_BYTES)
  }
  return number(config, 'cache.max.bytes.buffering', DEFAULT_CACHE_MAX_BYTES)
}

export function optionalSerde(config: StreamsConfig, key: string): Serde<unknown> | undefined {
  const raw = config[key]
  if (raw === undefined) return undefined
  if (
    typeof raw === 'object' &&
    raw !== null &&
    typeof (raw as Serde<unknown>).serialize === 'function' &&
    typeof (raw as Serde<unknown>).deserialize === 'function'
  ) {
    return raw as Serde<unknown>
  }
  throw new StreamsError('CONFIG_INVALID', `${key}: expected a Serde object (e.g. Serdes.String())`, { setting: key })
}

export function handlerOption<T>(config: StreamsConfig, key: string, fallback: T): T {
  const raw = config[key]
  if (raw === undefined) return fallback
  if (typeof raw !== 'function') {
    throw new StreamsError('CONFIG_INVALID', `${key}: expected a handler function`, { setting: key })
  }
  return raw as T
}

/** `errors.dead.letter.queue.topic.name`: a valid topic name, or undefined (no dead-letter queue). */
export function deadLetterQueueTopic(config: StreamsConfig): string | undefined {
  const key = 'errors.dead.letter.queue.topic.name'
  const raw = config[key]
  if (raw === undefined || raw === null) return undefined
  if (typeof raw !== 'string' || !/^[a-zA-Z0-9._-]{1,249}$/.test(raw) || raw === '.' || raw === '..') {
    throw new StreamsError(
      'CONFIG_INVALID',
      `${key}: expected a topic name (1-249 characters of a-z, A-Z, 0-9, '.', '_', '-'), got ${JSON.stringify(raw)}`,
      { setting: key }
    )
  }
  return raw
}

export type { DeserializationExceptionHandler, ProcessingExceptionHandler }
