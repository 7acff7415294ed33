// The Kafka client as the runtime sees it. Everything Kafka-specific that the engine needs goes through these
// interfaces, so that the client library (today @confluentinc/kafka-javascript) can be swapped without touching
// the runtime. Offsets are `number`: a partition would need 2^53 records before that loses precision.

import type { Headers } from '../../processor/record.ts'

/**
 * Client properties in librdkafka / Java client naming (`bootstrap.servers`, `security.protocol`, `sasl.username`…).
 * Unknown-to-us properties pass through to the client unchanged, which is how SASL/SSL settings reach it.
 */
export type ClientProperties = Readonly<Record<string, string | number | boolean>>

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

/**
 * Where client logs go. librdkafka's own log lines are routed here instead of stderr. Implementations must not throw.
 * `fields` never contains secret values (passwords, keys, tokens are redacted before they get here).
 */
export interface ClientLogger {
  log(level: LogLevel, message: string, fields?: Readonly<Record<string, unknown>>): void
}

/** Options shared by every client the provider creates. */
export interface ClientOptions {
  /** Client properties; `bootstrap.servers` is required. */
  readonly properties: ClientProperties
  /** Receives the client's logs. Default: errors only, one line each on stderr. */
  readonly logger?: ClientLogger
  /** Lowest level passed to the logger (default 'warn'). 'debug' also turns on librdkafka's `debug=...` if set. */
  readonly logLevel?: LogLevel
  /**
   * Upper bound for connecting: the first metadata request must be answered within this time or the create call
   * rejects with a StreamsError naming `bootstrap.servers` (default 10 000 ms).
   */
  readonly connectTimeoutMs?: number
}

export interface TopicPartition {
  readonly topic: string
  readonly partition: number
}

export interface TopicPartitionOffset extends TopicPartition {
  /** The next offset to read (Kafka's committed-offset convention: last processed + 1). */
  readonly offset: number
}

// ---------------------------------------------------------------- admin

export interface NewTopic {
  readonly topic: string
  readonly partitions: number
  readonly replicationFactor: number
  /** Topic configs such as `cleanup.policy=compact`, as strings. */
  readonly configs?: Readonly<Record<string, string>>
}

export interface CreateTopicResult {
  readonly topic: string
  /** false when the topic already existed (not an error for createTopics). */
  readonly created: boolean
}

/**
 * Topic administration. Every call is bounded by `timeoutMs` (default 30 000 ms) and rejects with a
 * StreamsError (code KAFKA_CLIENT or TIMEOUT) that names the topic.
 */
export interface AdminClient {
  /** Creates the topics that don't exist yet; an existing topic is reported with `created: false`, not checked. */
  createTopics(topics: readonly NewTopic[], timeoutMs?: number): Promise<CreateTopicResult[]>
  /** Names of all topics, internal ones (`__consumer_offsets`…) included. */
  listTopics(timeoutMs?: number): Promise<string[]>
  /** Partition count per topic; a topic that does not exist maps to `undefined`. */
  describePartitionCounts(topics: readonly string[], timeoutMs?: number): Promise<Map<string, number | undefined>>
  /** Deletes the topics; a topic that does not exist is ignored. */
  deleteTopics(topics: readonly string[], timeoutMs?: number): Promise<void>
  /** Releases the connection. Idempotent. */
  close(): Promise<void>
}

// ---------------------------------------------------------------- producer

export interface ProducerRecord {
  readonly topic: string
  /** Explicit partition; when absent the client's partitioner picks one from the key (murmur2, like Java). */
  readonly partition?: number
  readonly key: Buffer | null
  readonly value: Buffer | null
  /** Milliseconds since the epoch; when absent the client stamps the send time. */
  readonly timestamp?: number
  readonly headers?: Headers
}

export interface DeliveryReport extends TopicPartitionOffset {
  readonly timestamp?: number
}

/**
 * Called once per produced record, on the event loop, when the broker acknowledged it (`error === null`) or the
 * client gave up on it. With `enable.idempotence` delivery order per partition is the send order.
 */
export type DeliveryCallback = (error: Error | null, report: DeliveryReport | null) => void

/**
 * A connected producer. The default configuration is idempotent with `acks=all`; setting `transactional.id`
 * enables the transactional methods. Lifecycle: created connected → produce/flush… → close(). After a fatal error
 * (e.g. fenced by a newer instance with the same transactional.id) only close() is valid.
 */
export interface ProducerClient {
  /**
   * Queues one record. Returns false, without queueing, when the client's local queue is full: flush (or wait for
   * delivery callbacks) and try again. Throws a StreamsError for other failures (unknown topic name syntax, closed).
   */
  produce(record: ProducerRecord, onDelivery?: DeliveryCallback): boolean
  /** Resolves when every queued record has a delivery report; rejects with code TIMEOUT after `timeoutMs`. */
  flush(timeoutMs?: number): Promise<void>
  /** Registers the transactional.id with its coordinator and fences older instances. Once, before the first begin. */
  initTransactions(timeoutMs?: number): Promise<void>
  beginTransaction(): Promise<void>
  /**
   * Adds consumed offsets to the current transaction (KIP-447): they commit atomically with the produced records
   * and are fenced by the consumer group generation in `group`.
   */
  sendOffsetsToTransaction(
    offsets: readonly TopicPartitionOffset[],
    group: ConsumerGroupMetadata,
    timeoutMs?: number
  ): Promise<void>
  commitTransaction(timeoutMs?: number): Promise<void>
  abortTransaction(timeoutMs?: number): Promise<void>
  /** Flushes (bounded by `timeoutMs`, default 10 000 ms) and disconnects. Idempotent. */
  close(timeoutMs?: number): Promise<void>
}

// ---------------------------------------------------------------- consumer

export interface ConsumedRecord extends TopicPartitionOffset {
  readonly key: Buffer | null
  readonly value: Buffer | null
  /** Milliseconds since the epoch (CreateTime or LogAppendTime, as the topic says); -1 when unknown. */
  readonly timestamp: number
  readonly headers: Headers
}

/**
 * Partition lifecycle callbacks. Each call is awaited before the client completes that step of the rebalance, so
 * `onPartitionsRevoked` can still commit offsets (or a transaction) for the partitions it loses. With the eager
 * protocol every rebalance revokes everything and reassigns; with cooperative-sticky only the moved partitions
 * appear. `onPartitionsLost` replaces `onPartitionsRevoked` when the group membership was lost (session timeout,
 * fencing): committing is then pointless and will fail. A throwing callback is reported to the logger.
 */
export interface RebalanceListener {
  onPartitionsAssigned(partitions: readonly TopicPartition[]): void | Promise<void>
  onPartitionsRevoked(partitions: readonly TopicPartition[]): void | Promise<void>
  onPartitionsLost?(partitions: readonly TopicPartition[]): void | Promise<void>
}

/** Opaque token identifying the consumer's group generation; only meaningful to sendOffsetsToTransaction. */
export interface ConsumerGroupMetadata {
  readonly groupId: string
}

/**
 * A connected group consumer with auto-commit off: offsets move only through commit() or a transaction.
 * Non-flowing: records are fetched by calling consume(); nothing is buffered in JS between calls.
 */
export interface ConsumerClient {
  /** Joins the group for these topics (replacing any previous subscription). Partitions arrive via the listener. */
  subscribe(topics: readonly string[], listener?: RebalanceListener): void
  /**
   * Up to `max` records from the assigned, unpaused partitions. Waits up to `timeoutMs` (default 1 000) for the
   * first record, then returns what is ready; resolves with [] on timeout. Rebalance callbacks run during this call.
   */
  consume(max: number, timeoutMs?: number): Promise<ConsumedRecord[]>
  /**
   * Manual assignment, outside any group rebalance: reads exactly these partitions from these offsets (replacing any
   * previous manual assignment). For restore consumers; do not mix with subscribe().
   */
  assign(positions: readonly TopicPartitionOffset[]): Promise<void>
  /** Commits the given next-offsets synchronously (one broker round trip), throwing a StreamsError on failure. */
  commit(offsets: readonly TopicPartitionOffset[]): Promise<void>
  /** Committed next-offsets of the group for these partitions; -1001 (librdkafka's INVALID) when none. */
  committed(partitions: readonly TopicPartition[], timeoutMs?: number): Promise<TopicPartitionOffset[]>
  pause(partitions: readonly TopicPartition[]): void
  resume(partitions: readonly TopicPartition[]): void
  /** Moves the fetch position of one assigned partition. */
  seek(position: TopicPartitionOffset, timeoutMs?: number): Promise<void>
  /** Currently assigned partitions. */
  assignment(): TopicPartition[]
  /** Low and high watermark (the high one is the offset the next produced record will get). */
  watermarks(partition: TopicPartition, timeoutMs?: number): Promise<{ low: number; high: number }>
  /**
   * Fetch positions (next offset the consumer will return, past transaction markers) of assigned partitions, from
   * the client's memory without a broker round trip; -1001 when not known yet. Optional: the runtime falls back to
   * its own offsets when a client lacks it.
   */
  positions?(partitions: readonly TopicPartition[]): TopicPartitionOffset[]
  /**
   * The high watermark the client last saw in a fetch response for an assigned partition, without a broker round
   * trip; undefined when no fetch has answered yet. librdkafka keeps the high watermark here even under
   * read_committed, so records of an open transaction (and its marker, once written) count in it. Optional (used
   * for lag metrics).
   */
  cachedHighWatermark?(partition: TopicPartition): number | undefined
  groupMetadata(): ConsumerGroupMetadata
  /** Leaves the group (revoking via the listener) and disconnects. Idempotent. */
  close(): Promise<void>
}

/**
 * Creates connected clients. Each create call validates the configuration first (malformed values reject with
 * StreamsError code CONFIG_INVALID and `setting` naming the property), then connects and fetches metadata within
 * `connectTimeoutMs` (an unreachable cluster rejects with code KAFKA_CLIENT and `setting: 'bootstrap.servers'`).
 */
export interface KafkaClientProvider {
  readonly name: string
  createAdmin(options: ClientOptions): Promise<AdminClient>
  createProducer(options: ClientOptions): Promise<ProducerClient>
  /** `group.id` must be set in `options.properties`. */
  createConsumer(options: ClientOptions): Promise<ConsumerClient>
}
