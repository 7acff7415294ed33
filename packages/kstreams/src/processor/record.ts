/** A record header. Kafka allows duplicate keys, so headers are an ordered list. */
export interface Header {
  readonly key: string
  readonly value: Buffer | null
}

export type Headers = readonly Header[]

const NO_HEADERS: Headers = Object.freeze([])

/**
 * An immutable record flowing through a topology, as Kafka Streams' `Record`. To change a field,
 * use `withKey` / `withValue` / `withTimestamp` / `withHeaders`, which return a new record.
 * `key` and `value` may be `null` (a null value is a tombstone for tables).
 */
export class Record<K, V> {
  readonly key: K
  readonly value: V
  readonly timestamp: number
  readonly headers: Headers

  constructor(key: K, value: V, timestamp: number, headers: Headers = NO_HEADERS) {
    this.key = key
    this.value = value
    this.timestamp = timestamp
    this.headers = headers
  }

  withKey<NK>(key: NK): Record<NK, V> {
    return new Record(key, this.value, this.timestamp, this.headers)
  }

  withValue<NV>(value: NV): Record<K, NV> {
    return new Record(this.key, value, this.timestamp, this.headers)
  }

  withTimestamp(timestamp: number): Record<K, V> {
    return new Record(this.key, this.value, timestamp, this.headers)
  }

  withHeaders(headers: Headers): Record<K, V> {
    return new Record(this.key, this.value, this.timestamp, headers)
  }
}
