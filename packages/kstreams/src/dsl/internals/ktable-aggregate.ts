// KGroupedTable aggregate/reduce/count: subtract the old value, then add the new one.
import { StreamsError } from '../../errors.ts'
import type { Processor, ProcessorContext } from '../../processor/processor.ts'
import type { Record } from '../../processor/record.ts'
import type { TimestampedKeyValueStore } from '../../state/key-value-store.ts'
import { ValueAndTimestamp } from '../../state/value-and-timestamp.ts'
import type { Aggregator, Initializer } from '../functions.ts'
import { Change } from './change.ts'
import type { KTableProcessorSupplier } from './ktable-processor-supplier.ts'
import { TimestampedTupleForwarder } from './timestamped-tuple-forwarder.ts'

export class KTableAggregateSupplier<K, V, VA> implements KTableProcessorSupplier {
  readonly storeName: string
  readonly #initializer: Initializer<VA> | null
  readonly #adder: Aggregator<K, V, VA>
  readonly #subtractor: Aggregator<K, V, VA>
  #sendOldValues = false

  /** `initializer === null` is reduce: the first value becomes the aggregate. */
  constructor(
    storeName: string,
    initializer: Initializer<VA> | null,
    adder: Aggregator<K, V, VA>,
    subtractor: Aggregator<K, V, VA>
  ) {
    this.storeName = storeName
    this.#initializer = initializer
    this.#adder = adder
    this.#subtractor = subtractor
  }

  enableSendingOldValues(): boolean {
    this.#sendOldValues = true
    return true
  }

  readonly supplier = (): Processor<unknown, unknown, unknown, unknown> => {
    const self = this
    let store: TimestampedKeyValueStore<K, VA>
    let forwarder: TimestampedTupleForwarder<K, VA>
    return {
      init(ctx: ProcessorContext<unknown, unknown>) {
        store = ctx.getStateStore(self.storeName)
        forwarder = new TimestampedTupleForwarder(store, ctx, self.#sendOldValues)
      },
      process(record: Record<unknown, unknown>) {
        if (record.key === null) {
          throw new StreamsError(
            'PROCESSING',
            `Record key for KTable aggregate operator with state ${self.storeName} should not be null.`
          )
        }
        const key = record.key as K
        const change = record.value as Change<V>
        const old = store.get(key)
        const oldAgg = old === null ? null : old.value
        let timestamp = record.timestamp
        let intermediate: VA | null
        if (change.oldValue !== null && oldAgg !== null) {
          intermediate = self.#subtractor(key, change.oldValue, oldAgg)
          timestamp = Math.max(record.timestamp, (old as ValueAndTimestamp<VA>).timestamp)
        } else {
          intermediate = oldAgg
        }
        let newAgg: VA | null
        if (change.newValue !== null) {
          if (self.#initializer === null) {
            newAgg =
              intermediate === null
                ? (change.newValue as unknown as VA)
                : self.#adder(key, change.newValue, intermediate)
          } else {
            newAgg = self.#adder(key, change.newValue, intermediate ?? self.#initializer())
          }
          if (old !== null) timestamp = Math.max(record.timestamp, old.timestamp)
        } else {
          newAgg = intermediate
        }
        store.put(key, ValueAndTimestamp.make(newAgg, timestamp))
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
