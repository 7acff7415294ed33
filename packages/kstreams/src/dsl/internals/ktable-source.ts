// Turns a changelog stream into table updates; stores them when the table is materialized.
import type { Processor, ProcessorContext } from '../../processor/processor.ts'
import type { Record } from '../../processor/record.ts'
import { taskOf } from '../../processor/internals/stream-task.ts'
import type { StreamTask } from '../../processor/internals/stream-task.ts'
import type { TimestampedKeyValueStore } from '../../state/key-value-store.ts'
import { ValueAndTimestamp } from '../../state/value-and-timestamp.ts'
import { Change } from './change.ts'
import type { KTableProcessorSupplier } from './ktable-processor-supplier.ts'
import { materializedValueGetterSupplier } from './ktable-value-getter.ts'
import type { KTableValueGetterSupplier } from './ktable-value-getter.ts'
import { TimestampedTupleForwarder } from './timestamped-tuple-forwarder.ts'

export class KTableSourceSupplier<K, V> implements KTableProcessorSupplier {
  /** The store name (always allocated); the store exists only when `materialized`. */
  readonly allocatedStoreName: string
  #queryableName: string | undefined
  #sendOldValues = false

  constructor(storeName: string, queryableName: string | undefined) {
    this.allocatedStoreName = storeName
    this.#queryableName = queryableName
  }

  get storeName(): string | undefined {
    return this.#queryableName
  }

  get materialized(): boolean {
    return this.#queryableName !== undefined
  }

  materialize(): void {
    this.#queryableName = this.allocatedStoreName
  }

  /** Reading a source table by key needs its store: asking for the view materializes it, as in Kafka Streams. */
  view(): KTableValueGetterSupplier<unknown, unknown> {
    this.materialize()
    return materializedValueGetterSupplier(this.allocatedStoreName)
  }

  enableSendingOldValues(force: boolean): boolean {
    if (!force && !this.materialized) return false
    this.materialize()
    this.#sendOldValues = true
    return true
  }

  readonly supplier = (): Processor<unknown, unknown, unknown, unknown> => {
    const self = this
    let store: TimestampedKeyValueStore<K, V> | null = null
    let forwarder: TimestampedTupleForwarder<K, V> | null = null
    let task: StreamTask
    let context: ProcessorContext<unknown, unknown>
    return {
      init(ctx) {
        context = ctx
        task = taskOf(ctx)
        if (self.#queryableName !== undefined) {
          store = ctx.getStateStore(self.#queryableName)
          forwarder = new TimestampedTupleForwarder(store, ctx, self.#sendOldValues)
        }
      },
      process(record: Record<unknown, unknown>) {
        if (record.key === null) {
          task.recordDropped()
          return
        }
        const key = record.key as K
        const value = record.value as V | null
        if (store !== null && forwarder !== null) {
          const old = store.get(key)
          const oldValue = old === null ? null : old.value
          store.put(key, ValueAndTimestamp.make(value, record.timestamp))
          forwarder.maybeForward(
            record.withKey(key).withValue(new Change(value, self.#sendOldValues ? oldValue : null))
          )
        } else {
          context.forward(record.withValue(new Change(value, null)))
        }
      }
    }
  }
}
