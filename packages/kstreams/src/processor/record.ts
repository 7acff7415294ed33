/** A record header. Kafka allows duplicate keys, so headers are an ordered list. */
export interface Header {
  readonly key: string
  readonly value: Buffer | null
}

export type Headers = readonly Header[]
