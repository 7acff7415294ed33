// Test utilities (the `kstreams-ts/testing` entry point), as Kafka Streams' test-utils artifact.
export { TopologyTestDriver } from './topology-test-driver.ts'
export { TestInputTopic } from './test-input-topic.ts'
export { TestOutputTopic } from './test-output-topic.ts'
export type { TestRecord } from './test-record.ts'
