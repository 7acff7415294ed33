// Internal Kafka client adapter: the interfaces the runtime codes against, and the librdkafka-based implementation.
export type * from './kafka-client.ts'
export { confluentClientProvider } from './confluent-client.ts'
export { KafkaClientError } from './client-error.ts'
export { isSecretSetting, parseBootstrapServers, parseJavaProperties, redactProperties } from './client-config.ts'
