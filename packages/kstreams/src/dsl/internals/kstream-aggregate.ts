// KGroupedStream aggregate/reduce/count: one timestamped key-value store, one update per input record.
import type { Processor, ProcessorContext } from '../../processor/processor.ts'
import type { Record } from '../../processor/record.ts'
import { taskOf } from '../../processor/internals/stream-task.ts'
import type { StreamTask } from '../../processor/internals/stream-task.ts'
import type { TimestampedKeyValueStore } from '../../state/key-value-store.ts'
import { ValueAndTimestamp } from '../../state/value-and-timestamp.ts'
import type { Aggregator, Initializer, Reducer } from '../functions.ts'
import { Change } from './change.ts'
import type { KTableProcessorSupplier } from './ktable-processor-supplier.ts'
import { TimestampedTupleForwarder } from './timestamped-tuple-forwarder.ts'

export type AggregateMode<K, V, VA> =
  | { readonly kind: 'aggregate'; readonly initializer: Initializer<VA>; readonly aggregator: Aggregator<K, V, VA> }
  | { readonly kind: 'reduce'; readonly reducer: Reducer<V> }

export class KStreamAggregateSupplier<K, V, VA> implements KTableProcessorSupplier {
  readonly storeName: string
  readonly #mode: AggregateMode<K, V, VA>
  #sendOldValues = false

  constructor(storeName: string, mode: AggregateMode<K, V, VA>) {
    this.storeName = storeName
    this.#mode = mode
  }

  enableSendingOldValues(): boolean {
    this.#sendOldValues = true
    return true
  }

  readonly supplier = (): Processor<unknown, unknown, unknown, unknown> => {
    const self = this
    let store: TimestampedKeyValueStore<K, VA>
    let forwarder: TimestampedTupleForwarder<K, VA>
    let task: StreamTask
    return {
      init(context: ProcessorContext<unknown, unknown>) {
        task = taskOf(context)
        store = context.getStateStore(self.storeName)
        forwarder = new TimestampedTupleForwarder(store, context, self.#sendOldValues)
      },
      process(record: Record<unknown, unknown>) {
        // Null keys or values cannot be aggregated; Kafka Streams drops and counts them.
        if (record.key === null || record.value === null) {
          task.recordDropped()
          return
        }
        const key = record.key as K
        const old = store.get(key)
        let oldAgg = old === null ? null : old.value
        let newAgg: VA
        let timestamp: number
        const mode = self.#mode
        if (mode.kind === 'aggregate') {
          if (oldAgg === null) {
            oldAgg = mode.initializer()
            timestamp = record.timestamp
          } else {
            timestamp = Math.max(record.timestamp, (old as ValueAndTimestamp<VA>).timestamp)
          }
          newAgg = mode.aggregator(key, record.value as V, oldAgg)
        } else if (oldAgg === null) {
          newAgg = record.value as unknown as VA
          timestamp = record.timestamp
        } else {
          newAgg = mode.reducer(oldAgg as unknown as V, record.value as V) as unknown as VA
          timestamp = Math.max(record.timestamp, (old as ValueAndTimestamp<VA>).timestamp)
        }
        store.put(key, new ValueAndTimestamp(newAgg, timestamp))
        forwarder.maybeForward(
          record
            .withKey(key)
            .withValue(new Change(newAgg, self.#sendOldValues ? oldAgg : null))
            .withTimestamp(timestamp)
        )
      }
    }
  }
}
