// Stream-table join, as Kafka Streams' KStreamKTableJoin: each stream record is joined with the table's value
// for its key at that moment (read through the table's value getter). Table updates trigger nothing.
import type { Processor, ProcessorContext, ProcessorSupplier } from '../../processor/processor.ts'
import type { Record } from '../../processor/record.ts'
import { taskOf } from '../../processor/internals/stream-task.ts'
import type { StreamTask } from '../../processor/internals/stream-task.ts'
import { ValueAndTimestamp } from '../../state/value-and-timestamp.ts'
import type { ValueJoiner } from '../functions.ts'
import type { KTableValueGetterSupplier } from './ktable-value-getter.ts'

export function kstreamKTableJoin(
  table: KTableValueGetterSupplier<unknown, unknown>,
  joiner: ValueJoiner<unknown, unknown, unknown>,
  leftJoin: boolean
): ProcessorSupplier<unknown, unknown, unknown, unknown> {
  return (): Processor<unknown, unknown, unknown, unknown> => {
    const getter = table.get()
    let context: ProcessorContext<unknown, unknown>
    let task: StreamTask
    return {
      init(ctx) {
        context = ctx
        task = taskOf(ctx)
        getter.init(ctx)
      },
      process(record: Record<unknown, unknown>) {
        // A left join still joins a null-key record (with null); otherwise a null key or a null value (nothing
        // to join) is dropped and counted.
        const nullKeyLeft = leftJoin && record.key === null && record.value !== null
        if (!nullKeyLeft && (record.key === null || record.value === null)) {
          task.recordDropped()
          return
        }
        const other = record.key === null ? null : ValueAndTimestamp.getValueOrNull(getter.get(record.key))
        if (leftJoin || other !== null) context.forward(record.withValue(joiner(record.value, other)))
      }
    }
  }
}
