import type { Headers } from '../processor/record.ts'

/** A record piped into or read from a test topic. */
export interface TestRecord<K, V> {
  readonly key: K | null
  readonly value: V | null
  readonly timestamp: number
  readonly headers: Headers
}
