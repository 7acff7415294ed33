import type { Headers } from '../processor/record.ts'

/**
 * Turns values into bytes. `null` in gives `null` out (a tombstone stays a tombstone).
 * Implementations are synchronous: they run on the per-record hot path.
 */
export interface Serializer<T> {
  serialize(topic: string, data: T | null, headers?: Headers): Buffer | null
}

/** Turns bytes into values. `null` bytes give `null`. Throws a StreamsError('DESERIALIZATION') on bad bytes. */
export interface Deserializer<T> {
  deserialize(topic: string, data: Buffer | null, headers?: Headers): T | null
}

/** How the runtime uses a serde on a topic: only reads it (a source), only writes it (a sink), or both. */
export type SerdeUsage = 'read' | 'write' | 'both'

/**
 * A serializer and a deserializer for one type, in the shape of Kafka's `Serde<T>`.
 * `prepare`, when present, is awaited by the runtime once per (topic, isKey) before any record of that
 * topic is handled (for example to register a schema); a serde that needs no I/O leaves it out.
 * `usage` (default 'both') lets a schema serde skip registering a schema on a topic it only reads.
 */
export interface Serde<T> extends Serializer<T>, Deserializer<T> {
  readonly name?: string
  prepare?(topic: string, isKey: boolean, usage?: SerdeUsage): Promise<void>
}
