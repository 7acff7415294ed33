// Forwards a KTable update either directly (no cache) or, when the store caches, lets the cache's flush forward it.
import type { ProcessorContext } from '../../processor/processor.ts'
import { Record } from '../../processor/record.ts'
import { taskOf } from '../../processor/internals/stream-task.ts'
import type { MeteredKeyValueStore } from '../../state/internals/metered-key-value-store.ts'
import { ValueAndTimestamp } from '../../state/value-and-timestamp.ts'
import { Change } from './change.ts'

export class TimestampedTupleForwarder<K, V> {
  readonly #context: ProcessorContext<unknown, unknown>
  readonly #cached: boolean

  constructor(store: unknown, context: ProcessorContext<unknown, unknown>, sendOldValues: boolean) {
    this.#context = context
    const metered = store as Partial<MeteredKeyValueStore<K, ValueAndTimestamp<V>>>
    if (typeof metered.setFlushListener === 'function') {
      const task = taskOf(context)
      const nodeName = task.currentNodeName()
      this.#cached = metered.setFlushListener((key, newValue, oldValue, rc) => {
        const timestamp = newValue !== null ? newValue.timestamp : rc.timestamp
        task.forwardFrom(
          nodeName,
          new Record(
            key,
            new Change(ValueAndTimestamp.getValueOrNull(newValue), ValueAndTimestamp.getValueOrNull(oldValue)),
            timestamp,
            rc.headers
          )
        )
      }, sendOldValues)
    } else {
      this.#cached = false
    }
  }

  maybeForward(record: Record<K, Change<V>>): void {
    if (!this.#cached) this.#context.forward(record)
  }
}
