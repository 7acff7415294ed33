// Session-window aggregation: a record joins every session of its key that ends or starts within the inactivity
// gap of it; those sessions are merged into one (removed, each with a tombstone downstream) and the record is
// aggregated into the result. A record whose merged session ends before stream time - gap - grace is dropped.
import type { Processor, ProcessorContext } from '../../processor/processor.ts'
import { Record } from '../../processor/record.ts'
import { taskOf } from '../../processor/internals/stream-task.ts'
import type { StreamTask } from '../../processor/internals/stream-task.ts'
import type { MeteredSessionStore } from '../../state/internals/session-store-layers.ts'
import type { SessionStore } from '../../state/session-store.ts'
import type { Aggregator, Initializer, Merger } from '../functions.ts'
import { Window, Windowed } from '../windowed.ts'
import type { SessionWindows } from '../windows.ts'
import { Change } from './change.ts'
import type { KTableProcessorSupplier } from './ktable-processor-supplier.ts'

export class KStreamSessionWindowAggregateSupplier<K, V, VA> implements KTableProcessorSupplier {
  readonly storeName: string
  readonly #windows: SessionWindows
  readonly #initializer: Initializer<VA>
  readonly #aggregator: Aggregator<K, V, VA>
  readonly #merger: Merger<K, VA>
  #sendOldValues = false

  constructor(
    storeName: string,
    windows: SessionWindows,
    initializer: Initializer<VA>,
    aggregator: Aggregator<K, V, VA>,
    merger: Merger<K, VA>
  ) {
    this.storeName = storeName
    this.#windows = windows
    this.#initializer = initializer
    this.#aggregator = aggregator
    this.#merger = merger
  }

  /** How long after a window's end (in its Windowed key) the window still takes records; read by suppress. */
  get windowCloseDelayMs(): number {
    return this.#windows.gapMs + this.#windows.graceMs
  }

  enableSendingOldValues(): boolean {
    this.#sendOldValues = true
    return true
  }

  readonly supplier = (): Processor<unknown, unknown, unknown, unknown> => {
    const self = this
    const gap = this.#windows.gapMs
    const grace = this.#windows.graceMs
    let store: SessionStore<K, VA>
    let task: StreamTask
    let context: ProcessorContext<unknown, unknown>
    // With a cache, updates travel downstream when the cache flushes (with the headers of the record that wrote
    // them); without one, at once and without headers, as Kafka Streams does. Either way stamped with the session end.
    let cached = false
    let observedStreamTime = -1

    const forward = (session: Windowed<K>, newAgg: VA | null, oldAgg: VA | null): void => {
      if (cached) return
      context.forward(new Record(session, new Change(newAgg, self.#sendOldValues ? oldAgg : null), session.window.end))
    }

    return {
      init(ctx) {
        context = ctx
        task = taskOf(ctx)
        store = ctx.getStateStore(self.storeName)
        const metered = store as Partial<MeteredSessionStore<K, VA>>
        if (typeof metered.setFlushListener === 'function') {
          const nodeName = task.currentNodeName()
          cached = metered.setFlushListener((key, newValue, oldValue, rc) => {
            task.forwardFrom(nodeName, new Record(key, new Change(newValue, oldValue), key.window.end, rc.headers))
          }, self.#sendOldValues)
        }
      },
      process(record: Record<unknown, unknown>) {
        if (record.key === null) {
          task.recordDropped()
          return
        }
        const key = record.key as K
        const timestamp = record.timestamp
        observedStreamTime = Math.max(observedStreamTime, timestamp)
        const closeTime = observedStreamTime - grace - gap
        // Read every overlapping session before changing the store.
        const overlapping = [...store.findSessions(key, timestamp - gap, timestamp + gap)]
        let start = timestamp
        let end = timestamp
        let agg = self.#initializer()
        for (const session of overlapping) {
          agg = self.#merger(key, agg, session.value)
          start = Math.min(start, session.key.window.start)
          end = Math.max(end, session.key.window.end)
        }
        if (end < closeTime) {
          task.recordDropped()
          return
        }
        if (start !== timestamp || end !== timestamp) {
          for (const session of overlapping) {
            store.remove(session.key)
            forward(session.key, null, session.value)
          }
        }
        agg = self.#aggregator(key, record.value as V, agg)
        const merged = new Windowed(key, new Window(start, end))
        store.put(merged, agg)
        forward(merged, agg, null)
      }
    }
  }
}
