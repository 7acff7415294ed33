// KTable.groupBy: maps each update to its new group key; a move between groups becomes a removal from the
// old group and an addition to the new one.
import { StreamsError } from '../../errors.ts'
import type { KeyValue } from '../../key-value.ts'
import type { Processor, ProcessorContext } from '../../processor/processor.ts'
import type { Record } from '../../processor/record.ts'
import type { KeyValueMapper } from '../functions.ts'
import { Change } from './change.ts'

export function ktableRepartitionMap<K, V, KR, VR>(
  mapper: KeyValueMapper<K, V, KeyValue<KR, VR>>
): () => Processor<unknown, unknown, unknown, unknown> {
  return () => {
    let ctx: ProcessorContext<unknown, unknown>
    return {
      init(context) {
        ctx = context
      },
      process(record: Record<unknown, unknown>) {
        if (record.key === null) {
          throw new StreamsError('PROCESSING', 'Record key for the grouping KTable should not be null.')
        }
        const change = record.value as Change<V>
        const key = record.key as K
        const newPair = change.newValue === null ? null : mapper(key, change.newValue)
        const oldPair = change.oldValue === null ? null : mapper(key, change.oldValue)
        const oldOk = oldPair != null && oldPair.key != null && oldPair.value != null
        const newOk = newPair != null && newPair.key != null && newPair.value != null
        if (oldOk && newOk && sameKey(oldPair.key, newPair.key)) {
          ctx.forward(record.withKey(oldPair.key).withValue(new Change(newPair.value, oldPair.value)))
          return
        }
        if (oldOk) ctx.forward(record.withKey(oldPair.key).withValue(new Change(null, oldPair.value)))
        if (newOk) ctx.forward(record.withKey(newPair.key).withValue(new Change(newPair.value, null)))
      }
    }
  }
}

function sameKey(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b)
  return false
}
