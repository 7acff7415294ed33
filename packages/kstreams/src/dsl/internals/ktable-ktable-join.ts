// Table-table joins, as Kafka Streams' KTableKTable{Inner,Left,Right,Outer}Join and KTableKTableJoinMerger.
// Each side has its own processor: an update of one table is joined with the other table's current value (read
// through that table's value getter); both processors feed the merge node, which is the result table.
import type { Processor, ProcessorContext } from '../../processor/processor.ts'
import type { Record } from '../../processor/record.ts'
import { taskOf } from '../../processor/internals/stream-task.ts'
import type { StreamTask } from '../../processor/internals/stream-task.ts'
import type { TimestampedKeyValueStore } from '../../state/key-value-store.ts'
import { ValueAndTimestamp } from '../../state/value-and-timestamp.ts'
import type { ValueJoiner } from '../functions.ts'
import { Change } from './change.ts'
import type { KTableProcessorSupplier } from './ktable-processor-supplier.ts'
import { materializedValueGetterSupplier, unionStoreNames } from './ktable-value-getter.ts'
import type { KTableValueGetter, KTableValueGetterSupplier } from './ktable-value-getter.ts'
import { TimestampedTupleForwarder } from './timestamped-tuple-forwarder.ts'

/** `right` is the other side of a left join (the update comes from the right table, the left one must exist). */
export type TableJoinKind = 'inner' | 'left' | 'right' | 'outer'

const UNKNOWN = -1

type Getter = KTableValueGetter<unknown, unknown>
type GetterSupplier = KTableValueGetterSupplier<unknown, unknown>
type Joiner = ValueJoiner<unknown, unknown, unknown>

/**
 * One side of a table-table join. `table1` is the table whose updates this processor receives, `table2` the
 * one it looks up; `joiner` takes (table1 value, table2 value), already reversed by the caller for the other side.
 */
export class KTableKTableJoinSupplier implements KTableProcessorSupplier {
  readonly storeName = undefined
  readonly #kind: TableJoinKind
  readonly #table1: KTableProcessorSupplier
  readonly #table2: KTableProcessorSupplier
  readonly #getter1: GetterSupplier
  readonly #getter2: GetterSupplier
  readonly #joiner: Joiner
  #sendOldValues = false

  constructor(
    kind: TableJoinKind,
    table1: KTableProcessorSupplier,
    table2: KTableProcessorSupplier,
    getter1: GetterSupplier,
    getter2: GetterSupplier,
    joiner: Joiner
  ) {
    this.#kind = kind
    this.#table1 = table1
    this.#table2 = table2
    this.#getter1 = getter1
    this.#getter2 = getter2
    this.#joiner = joiner
  }

  enableSendingOldValues(): boolean {
    // Old join results need old values from both tables, which may materialize them.
    this.#table1.enableSendingOldValues(true)
    this.#table2.enableSendingOldValues(true)
    this.#sendOldValues = true
    return true
  }

  view(): GetterSupplier {
    const kind = this.#kind
    const joiner = this.#joiner
    const s1 = this.#getter1
    const s2 = this.#getter2
    return {
      storeNames: () => unionStoreNames(s1.storeNames(), s2.storeNames()),
      get: (): Getter => {
        const g1 = s1.get()
        const g2 = s2.get()
        return {
          init(context) {
            g1.init(context)
            g2.init(context)
          },
          get: (key) => joinedValue(kind, joiner, g1, g2, key)
        }
      }
    }
  }

  readonly supplier = (): Processor<unknown, unknown, unknown, unknown> => {
    const self = this
    const getter = this.#getter2.get()
    let context: ProcessorContext<unknown, unknown>
    let task: StreamTask
    return {
      init(ctx) {
        context = ctx
        task = taskOf(ctx)
        getter.init(ctx)
      },
      process(record: Record<unknown, unknown>) {
        // Keys must be equal to join: a null key cannot join anything.
        if (record.key === null) {
          task.recordDropped()
          return
        }
        const change = record.value as Change<unknown>
        const other = getter.get(record.key)
        const otherValue = ValueAndTimestamp.getValueOrNull(other)
        const joiner = self.#joiner
        const sendOld = self.#sendOldValues
        let newValue: unknown = null
        let oldValue: unknown = null
        let timestamp: number
        switch (self.#kind) {
          case 'inner':
            if (otherValue === null) return
            timestamp = Math.max(record.timestamp, (other as ValueAndTimestamp<unknown>).timestamp)
            if (change.newValue !== null) newValue = joiner(change.newValue, otherValue)
            if (sendOld && change.oldValue !== null) oldValue = joiner(change.oldValue, otherValue)
            break
          case 'left':
            if (otherValue === null && change.newValue === null && change.oldValue === null) return
            timestamp = Math.max(
              record.timestamp,
              otherValue === null ? UNKNOWN : (other as ValueAndTimestamp<unknown>).timestamp
            )
            if (change.newValue !== null) newValue = joiner(change.newValue, otherValue)
            if (sendOld && change.oldValue !== null) oldValue = joiner(change.oldValue, otherValue)
            break
          case 'right':
            // The left table must have a value; a right-side deletion then yields (left, null).
            if (otherValue === null) return
            timestamp = Math.max(record.timestamp, (other as ValueAndTimestamp<unknown>).timestamp)
            newValue = joiner(change.newValue, otherValue)
            if (sendOld) oldValue = joiner(change.oldValue, otherValue)
            break
          case 'outer':
            if (otherValue === null && change.newValue === null && change.oldValue === null) return
            timestamp =
              otherValue === null
                ? record.timestamp
                : Math.max(record.timestamp, (other as ValueAndTimestamp<unknown>).timestamp)
            if (otherValue !== null || change.newValue !== null) newValue = joiner(change.newValue, otherValue)
            if (sendOld && (otherValue !== null || change.oldValue !== null)) {
              oldValue = joiner(change.oldValue, otherValue)
            }
            break
        }
        context.forward(record.withValue(new Change(newValue, oldValue, change.isLatest)).withTimestamp(timestamp))
      }
    }
  }
}

function joinedValue(
  kind: TableJoinKind,
  joiner: Joiner,
  g1: Getter,
  g2: Getter,
  key: unknown
): ValueAndTimestamp<unknown> | null {
  if (kind === 'outer') {
    const vt1 = g1.get(key)
    const vt2 = g2.get(key)
    const v1 = ValueAndTimestamp.getValueOrNull(vt1)
    const v2 = ValueAndTimestamp.getValueOrNull(vt2)
    const value = v1 !== null || v2 !== null ? joiner(v1, v2) : null
    return ValueAndTimestamp.make(value, Math.max(vt1?.timestamp ?? UNKNOWN, vt2?.timestamp ?? UNKNOWN))
  }
  // inner and left need table1's value; right needs table2's (the left table of a left join).
  const [required, optional] = kind === 'right' ? [g2, g1] : [g1, g2]
  const vtRequired = required.get(key)
  if (vtRequired === null) return null
  const vtOptional = optional.get(key)
  if (vtOptional === null && kind === 'inner') return null
  const timestamp = vtOptional === null ? vtRequired.timestamp : Math.max(vtRequired.timestamp, vtOptional.timestamp)
  const value =
    kind === 'right'
      ? joiner(vtOptional?.value ?? null, vtRequired.value)
      : joiner(vtRequired.value, vtOptional?.value ?? null)
  return ValueAndTimestamp.make(value, timestamp)
}

/**
 * The result table of a table-table join: passes both sides' results on, storing them first when materialized.
 */
export class KTableKTableJoinMerger implements KTableProcessorSupplier {
  readonly storeName: string | undefined
  readonly #parent1: KTableKTableJoinSupplier
  readonly #parent2: KTableKTableJoinSupplier
  #sendOldValues = false

  constructor(parent1: KTableKTableJoinSupplier, parent2: KTableKTableJoinSupplier, storeName: string | undefined) {
    this.#parent1 = parent1
    this.#parent2 = parent2
    this.storeName = storeName
  }

  enableSendingOldValues(): boolean {
    this.#parent1.enableSendingOldValues()
    this.#parent2.enableSendingOldValues()
    this.#sendOldValues = true
    return true
  }

  view(): GetterSupplier {
    if (this.storeName !== undefined) return materializedValueGetterSupplier(this.storeName)
    const v1 = this.#parent1.view()
    const v2 = this.#parent2.view()
    return { get: () => v1.get(), storeNames: () => unionStoreNames(v1.storeNames(), v2.storeNames()) }
  }

  readonly supplier = (): Processor<unknown, unknown, unknown, unknown> => {
    const self = this
    let context: ProcessorContext<unknown, unknown>
    let store: TimestampedKeyValueStore<unknown, unknown> | null = null
    let forwarder: TimestampedTupleForwarder<unknown, unknown> | null = null
    return {
      init(ctx) {
        context = ctx
        if (self.storeName !== undefined) {
          store = ctx.getStateStore(self.storeName)
          forwarder = new TimestampedTupleForwarder(store, ctx, self.#sendOldValues)
        }
      },
      process(record: Record<unknown, unknown>) {
        const change = record.value as Change<unknown>
        const out = self.#sendOldValues ? record : record.withValue(new Change(change.newValue, null, change.isLatest))
        if (store !== null && forwarder !== null) {
          store.put(record.key, ValueAndTimestamp.make(change.newValue, record.timestamp))
          forwarder.maybeForward(out as Record<unknown, Change<unknown>>)
        } else {
          context.forward(out)
        }
      }
    }
  }
}
