import type { ProcessorSupplier } from '../../processor/processor.ts'

/**
 * A processor supplier of a KTable operator. `enableSendingOldValues` asks it to forward old values too
 * (needed by table groupBy and by some joins); `force` may materialize a source table to make that possible.
 */
export interface KTableProcessorSupplier {
  readonly supplier: ProcessorSupplier<unknown, unknown, unknown, unknown>
  enableSendingOldValues (force: boolean): boolean
  /** Name of the store holding this table's values, when it is materialized. */
  readonly storeName: string | undefined
}
