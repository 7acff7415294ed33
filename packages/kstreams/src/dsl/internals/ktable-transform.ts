// KTable filter/filterNot and mapValues: stateless per update unless materialized into their own store.
import type { Processor, ProcessorContext } from '../../processor/processor.ts'
import type { Record } from '../../processor/record.ts'
import type { TimestampedKeyValueStore } from '../../state/key-value-store.ts'
import { ValueAndTimestamp } from '../../state/value-and-timestamp.ts'
import type { Predicate, ValueMapper } from '../functions.ts'
import { Change } from './change.ts'
import type { KTableProcessorSupplier } from './ktable-processor-supplier.ts'
import {
  mappedValueGetterSupplier,
  materializedValueGetterSupplier,
  valueGetterSupplierOf
} from './ktable-value-getter.ts'
import type { KTableValueGetterSupplier } from './ktable-value-getter.ts'
import { TimestampedTupleForwarder } from './timestamped-tuple-forwarder.ts'

export type TableTransform<K, V, VR> =
  | { readonly kind: 'filter'; readonly predicate: Predicate<K, V>; readonly filterNot: boolean }
  | { readonly kind: 'mapValues'; readonly mapper: ValueMapper<K, V, VR> }

export class KTableTransformSupplier<K, V, VR> implements KTableProcessorSupplier {
  readonly #parent: KTableProcessorSupplier
  readonly #transform: TableTransform<K, V, VR>
  readonly storeName: string | undefined
  #sendOldValues = false

  constructor(parent: KTableProcessorSupplier, transform: TableTransform<K, V, VR>, queryableName: string | undefined) {
    this.#parent = parent
    this.#transform = transform
    this.storeName = queryableName
  }

  enableSendingOldValues(force: boolean): boolean {
    if (this.storeName !== undefined) {
      this.#sendOldValues = true
      return true
    }
    if (this.#parent.enableSendingOldValues(force)) this.#sendOldValues = true
    return this.#sendOldValues
  }

  /** Own store when materialized, else the parent's value recomputed (so only the parent needs a store). */
  view(): KTableValueGetterSupplier<unknown, unknown> {
    if (this.storeName !== undefined) return materializedValueGetterSupplier(this.storeName)
    const parent = valueGetterSupplierOf<K, V>(this.#parent)
    return mappedValueGetterSupplier<K, V, VR>(parent, (key, vt) => {
      if (vt === null) return null
      return ValueAndTimestamp.make(this.#compute(key, vt.value), vt.timestamp)
    }) as KTableValueGetterSupplier<unknown, unknown>
  }

  #compute(key: K, value: V | null): VR | null {
    if (value === null) return null
    const t = this.#transform
    if (t.kind === 'filter') return t.filterNot !== t.predicate(key, value) ? (value as unknown as VR) : null
    return t.mapper(value, key)
  }

  readonly supplier = (): Processor<unknown, unknown, unknown, unknown> => {
    const self = this
    let store: TimestampedKeyValueStore<K, VR> | null = null
    let forwarder: TimestampedTupleForwarder<K, VR> | null = null
    let context: ProcessorContext<unknown, unknown>
    return {
      init(ctx) {
        context = ctx
        if (self.storeName !== undefined) {
          store = ctx.getStateStore(self.storeName)
          forwarder = new TimestampedTupleForwarder(store, ctx, self.#sendOldValues)
        }
      },
      process(record: Record<unknown, unknown>) {
        const key = record.key as K
        const change = record.value as Change<V>
        const newValue = self.#compute(key, change.newValue)
        // A materialized filter knows its previous output from its own store; Kafka Streams 4.3 uses it to skip
        // tombstones for keys the filter never emitted (scenario table-filter-materialized).
        const previous =
          store !== null && self.#transform.kind === 'filter' ? ValueAndTimestamp.getValueOrNull(store.get(key)) : null
        const oldValue = self.#sendOldValues ? (store !== null ? previous : self.#compute(key, change.oldValue)) : null
        if (self.#transform.kind === 'filter' && newValue === null) {
          if (store !== null ? previous === null : self.#sendOldValues && oldValue === null) return
        }
        if (store !== null && forwarder !== null) {
          store.put(key, ValueAndTimestamp.make(newValue, record.timestamp))
          forwarder.maybeForward(record.withKey(key).withValue(new Change(newValue, oldValue)))
        } else {
          context.forward(record.withValue(new Change(newValue, oldValue)))
        }
      }
    }
  }
}
