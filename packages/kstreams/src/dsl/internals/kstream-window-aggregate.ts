// Windowed aggregation over TimeWindows: updates every window the record falls in that has not closed;
// records for closed windows (end <= stream time - grace) are dropped and counted.
import type { Processor, ProcessorContext } from '../../processor/processor.ts'
import type { Record } from '../../processor/record.ts'
import { taskOf } from '../../processor/internals/stream-task.ts'
import type { StreamTask } from '../../processor/internals/stream-task.ts'
import { ValueAndTimestamp } from '../../state/value-and-timestamp.ts'
import type { TimestampedWindowStore } from '../../state/window-store.ts'
import type { Aggregator, Initializer } from '../functions.ts'
import { Windowed } from '../windowed.ts'
import type { TimeWindows } from '../windows.ts'
import { Change } from './change.ts'
import type { KTableProcessorSupplier } from './ktable-processor-supplier.ts'
import { TimestampedTupleForwarder } from './timestamped-tuple-forwarder.ts'

export class KStreamWindowAggregateSupplier<K, V, VA> implements KTableProcessorSupplier {
  readonly storeName: string
  readonly #windows: TimeWindows
  readonly #initializer: Initializer<VA>
  readonly #aggregator: Aggregator<K, V, VA>
  #sendOldValues = false

  constructor(storeName: string, windows: TimeWindows, initializer: Initializer<VA>, aggregator: Aggregator<K, V, VA>) {
    this.storeName = storeName
    this.#windows = windows
    this.#initializer = initializer
    this.#aggregator = aggregator
  }

  /** How long after a window's end (in its Windowed key) the window still takes records; read by suppress. */
  get windowCloseDelayMs(): number {
    return this.#windows.graceMs
  }

  enableSendingOldValues(): boolean {
    this.#sendOldValues = true
    return true
  }

  readonly supplier = (): Processor<unknown, unknown, unknown, unknown> => {
    const self = this
    let store: TimestampedWindowStore<K, VA>
    let task: StreamTask
    let forwarder: TimestampedTupleForwarder<Windowed<K>, VA>
    let observedStreamTime = -1
    return {
      init(ctx: ProcessorContext<unknown, unknown>) {
        task = taskOf(ctx)
        store = ctx.getStateStore(self.storeName)
        // With a cached store, window updates go downstream when the cache flushes.
        forwarder = new TimestampedTupleForwarder(store, ctx, self.#sendOldValues)
      },
      process(record: Record<unknown, unknown>) {
        if (record.key === null) {
          task.recordDropped()
          return
        }
        const key = record.key as K
        observedStreamTime = Math.max(observedStreamTime, record.timestamp)
        const closeTime = observedStreamTime - self.#windows.graceMs
        for (const window of self.#windows.windowsFor(record.timestamp)) {
          if (window.end <= closeTime) {
            task.recordDropped()
            continue
          }
          const old = store.fetch(key, window.start)
          let oldAgg = old === null ? null : old.value
          let timestamp: number
          if (oldAgg === null) {
            oldAgg = self.#initializer()
            timestamp = record.timestamp
          } else {
            timestamp = Math.max(record.timestamp, (old as ValueAndTimestamp<VA>).timestamp)
          }
          const newAgg = self.#aggregator(key, record.value as V, oldAgg)
          store.put(key, new ValueAndTimestamp(newAgg, timestamp), window.start)
          forwarder.maybeForward(
            record
              .withKey(new Windowed(key, window))
              .withValue(new Change(newAgg, self.#sendOldValues ? oldAgg : null))
              .withTimestamp(timestamp)
          )
        }
      }
    }
  }
}
