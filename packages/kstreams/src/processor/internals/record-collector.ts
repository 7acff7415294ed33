import type { Headers } from '../record.ts'

/** Where sinks and changelogging stores hand serialized records; the runtime sends them to Kafka. */
export interface RecordCollector {
  /** `partition` undefined: the collector chooses (default partitioner on the key bytes). */
  send(
    topic: string,
    key: Buffer | null,
    value: Buffer | null,
    headers: Headers,
    timestamp: number,
    partition: number | undefined
  ): void
}
