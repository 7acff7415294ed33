import type { ProcessorSupplier } from '../../processor/processor.ts'
import type { KTableValueGetterSupplier } from './ktable-value-getter.ts'

/**
 * A processor supplier of a KTable operator. `enableSendingOldValues` asks it to forward old values too
 * (needed by table groupBy and by some joins); `force` may materialize a source table to make that possible.
 */
export interface KTableProcessorSupplier {
  readonly supplier: ProcessorSupplier<unknown, unknown, unknown, unknown>
  enableSendingOldValues(force: boolean): boolean
  /** Name of the store holding this table's values, when it is materialized. */
  readonly storeName: string | undefined
  /**
   * How to read this table's current value by key (Kafka Streams' `view()`). Optional: a table with a store
   * (`storeName`) is read from it; sources, filters and mapValues provide their own (see ktable-value-getter.ts).
   */
  view?(): KTableValueGetterSupplier<unknown, unknown>
  /**
   * Windowed aggregations only: how long after a window's end (as in its `Windowed` key) the window still takes
   * records (grace; gap + grace for sessions). `suppress(untilWindowCloses)` waits this long.
   */
  readonly windowCloseDelayMs?: number
}
