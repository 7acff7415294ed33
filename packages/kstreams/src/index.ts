// kstreams-ts: the Kafka Streams DSL, state stores and runtime for TypeScript. The test driver is in `kstreams-ts/testing`.
export { StreamsBuilder } from './dsl/streams-builder.ts'
export { KStream, BranchedKStream } from './dsl/kstream.ts'
export type { KTable } from './dsl/ktable.ts'
export type { KGroupedStream } from './dsl/kgrouped-stream.ts'
export type { KGroupedTable } from './dsl/kgrouped-table.ts'
export type { TimeWindowedKStream } from './dsl/time-windowed-kstream.ts'
export type { SessionWindowedKStream } from './dsl/session-windowed-kstream.ts'
export { Consumed } from './dsl/consumed.ts'
export { Produced } from './dsl/produced.ts'
export { Grouped } from './dsl/grouped.ts'
export { Materialized } from './dsl/materialized.ts'
export { Named } from './dsl/named.ts'
export { Repartitioned } from './dsl/repartitioned.ts'
export { Joined } from './dsl/joined.ts'
export { JoinWindows } from './dsl/join-windows.ts'
export { StreamJoined } from './dsl/stream-joined.ts'
export { Suppressed, BufferConfig } from './dsl/suppressed.ts'
export { TimeWindows, SessionWindows, SlidingWindows } from './dsl/windows.ts'
export { Windowed, Window } from './dsl/windowed.ts'
export type * from './dsl/functions.ts'
export { KeyValue } from './key-value.ts'
export { Topology } from './processor/topology.ts'
export { Record } from './processor/record.ts'
export type { Header, Headers } from './processor/record.ts'
export type {
  Processor,
  ProcessorContext,
  ProcessorSupplier,
  RecordMetadata,
  PunctuationType,
  Punctuator,
  Cancellable
} from './processor/processor.ts'
export * from './processor/errors.ts'
export { Stores } from './state/stores.ts'
export { ValueAndTimestamp } from './state/value-and-timestamp.ts'
export type { KeyValueStore, ReadOnlyKeyValueStore, TimestampedKeyValueStore } from './state/key-value-store.ts'
export type { WindowStore, ReadOnlyWindowStore } from './state/window-store.ts'
export type { SessionStore, ReadOnlySessionStore } from './state/session-store.ts'
export type { StateStore, StateStoreContext } from './state/state-store.ts'
export type { StoreBuilder } from './state/store-builder.ts'
export * from './serdes/index.ts'
export { StreamsError, ErrorCodes } from './errors.ts'
export type { ErrorCode } from './errors.ts'
export type { StreamsConfig } from './runtime/streams-config.ts'
export { KafkaStreams } from './runtime/kafka-streams.ts'
export type {
  KafkaStreamsOptions,
  KafkaStreamsState,
  KeyQueryMetadata,
  PartitionLag,
  StateListener,
  StreamsLogger,
  StreamsMetadata,
  StreamsMetrics
} from './runtime/kafka-streams.ts'
