// Sliding-window aggregation, as Kafka Streams' KStreamSlidingWindowAggregate: windows of `timeDifference` that
// start or end at record timestamps. A record updates the windows it falls in, creates its own left window
// [t - d, t] and, when later records exist within d, its right window [t + 1, t + 1 + d]; it may also create the
// right window of the record before it. Window ends are inclusive. Records whose left window ended before stream
// time - grace are dropped, as is each update of a window that has closed.
import type { Processor, ProcessorContext } from '../../processor/processor.ts'
import type { Record } from '../../processor/record.ts'
import { taskOf } from '../../processor/internals/stream-task.ts'
import type { StreamTask } from '../../processor/internals/stream-task.ts'
import { ValueAndTimestamp } from '../../state/value-and-timestamp.ts'
import type { TimestampedWindowStore } from '../../state/window-store.ts'
import { StreamsError } from '../../errors.ts'
import type { Aggregator, Initializer } from '../functions.ts'
import { Window, Windowed } from '../windowed.ts'
import type { SlidingWindows } from '../windows.ts'
import { Change } from './change.ts'
import type { KTableProcessorSupplier } from './ktable-processor-supplier.ts'
import { TimestampedTupleForwarder } from './timestamped-tuple-forwarder.ts'

type Aggregate<VA> = ValueAndTimestamp<VA> | null

export class KStreamSlidingWindowAggregateSupplier<K, V, VA> implements KTableProcessorSupplier {
  readonly storeName: string
  readonly #windows: SlidingWindows
  readonly #initializer: Initializer<VA>
  readonly #aggregator: Aggregator<K, V, VA>
  #sendOldValues = false

  constructor(
    storeName: string,
    windows: SlidingWindows,
    initializer: Initializer<VA>,
    aggregator: Aggregator<K, V, VA>
  ) {
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
    const diff = this.#windows.timeDifferenceMs
    const grace = this.#windows.graceMs
    let store: TimestampedWindowStore<K, VA>
    let task: StreamTask
    let forwarder: TimestampedTupleForwarder<Windowed<K>, VA>
    let observedStreamTime = -1

    const forward = (
      record: Record<unknown, unknown>,
      key: K,
      start: number,
      oldAgg: VA | null,
      newAgg: VA,
      timestamp: number
    ): void => {
      forwarder.maybeForward(
        record
          .withKey(new Windowed(key, new Window(start, start + diff)))
          .withValue(new Change(newAgg, self.#sendOldValues ? oldAgg : null))
          .withTimestamp(timestamp)
      )
    }

    const updateWindow = (
      record: Record<unknown, unknown>,
      key: K,
      start: number,
      current: Aggregate<VA>,
      closeTime: number
    ): void => {
      if (start + diff < closeTime) {
        task.recordDropped()
        return
      }
      const oldAgg = ValueAndTimestamp.getValueOrNull(current)
      const newAgg = self.#aggregator(key, record.value as V, oldAgg as VA)
      const timestamp =
        oldAgg === null ? record.timestamp : Math.max(record.timestamp, (current as ValueAndTimestamp<VA>).timestamp)
      store.put(key, new ValueAndTimestamp(newAgg, timestamp), start)
      forward(record, key, start, oldAgg, newAgg, timestamp)
    }

    // The right window of the current record holds the later records it was found with.
    const createRightWindow = (record: Record<unknown, unknown>, key: K, rightAgg: ValueAndTimestamp<VA>): void => {
      const start = record.timestamp + 1
      store.put(key, rightAgg, start)
      forward(record, key, start, null, rightAgg.value, rightAgg.timestamp)
    }

    const fresh = (record: Record<unknown, unknown>): Aggregate<VA> =>
      ValueAndTimestamp.make(self.#initializer(), record.timestamp)

    const createWindows = (
      record: Record<unknown, unknown>,
      key: K,
      closeTime: number,
      starts: Set<number>,
      rightAgg: Aggregate<VA>,
      leftAgg: Aggregate<VA>,
      leftCreated: boolean,
      rightCreated: boolean,
      previous: number | null
    ): void => {
      const ts = record.timestamp
      // The previous record's right window, if the current record falls in it and it does not exist yet.
      if (previous !== null && !starts.has(previous + 1) && previous + 1 + diff >= ts) {
        updateWindow(record, key, previous + 1, fresh(record), closeTime)
      }
      if (!leftCreated) {
        const leftNotEmpty = previous !== null && ts - diff <= previous
        const agg = leftNotEmpty ? ValueAndTimestamp.make((leftAgg as ValueAndTimestamp<VA>).value, ts) : fresh(record)
        updateWindow(record, key, ts - diff, agg, closeTime)
      }
      if (!rightCreated && rightAgg !== null && rightAgg.timestamp > ts) createRightWindow(record, key, rightAgg)
    }

    // Newest window first, as Kafka Streams does when the store can iterate backwards (its default stores can).
    const processReverse = (record: Record<unknown, unknown>, key: K, closeTime: number): void => {
      const ts = record.timestamp
      const starts = new Set<number>()
      let leftAgg: Aggregate<VA> = null
      let rightAgg: Aggregate<VA> = null
      let leftCreated = false
      let rightCreated = false
      let previous: number | null = null
      for (const { key: start, value: agg } of [...store.backwardFetchRange(key, Math.max(0, ts - 2 * diff), ts + 1)]) {
        starts.add(start)
        const end = start + diff
        if (start === ts + 1) {
          rightCreated = true
        } else if (end > ts) {
          rightAgg ??= agg
          updateWindow(record, key, start, agg, closeTime)
        } else if (end === ts) {
          leftCreated = true
          updateWindow(record, key, start, agg, closeTime)
          // A left window already holding a record at ts: every window this record needs exists already.
          if (agg.timestamp >= ts) return
          previous = agg.timestamp
        } else {
          leftAgg = agg
          previous = agg.timestamp
          break
        }
      }
      createWindows(record, key, closeTime, starts, rightAgg, leftAgg, leftCreated, rightCreated, previous)
    }

    // Records earlier than the time difference cannot have a left window with a non-negative start: they all go into
    // the window [0, d], and their right windows are created as later records arrive.
    const processEarly = (record: Record<unknown, unknown>, key: K, closeTime: number): void => {
      const ts = record.timestamp
      const starts = new Set<number>()
      let combined: { start: number; agg: ValueAndTimestamp<VA> } | null = null
      let rightAgg: Aggregate<VA> = null
      let rightCreated = false
      let previous: number | null = null
      for (const { key: start, value: agg } of [...store.fetchRange(key, 0, ts + 1)]) {
        starts.add(start)
        if (start === 0) {
          combined = { start, agg }
          if (agg.timestamp < ts) previous = agg.timestamp
        } else if (start <= ts) {
          rightAgg = agg
          updateWindow(record, key, start, agg, closeTime)
        } else if (start === ts + 1) {
          rightCreated = true
        } else {
          throw new StreamsError(
            'ILLEGAL_STATE',
            `Unexpected window with start ${start} found when processing record at ${ts} in sliding windows`
          )
        }
      }
      if (rightAgg === null && combined !== null && combined.agg.timestamp > ts) rightAgg = combined.agg
      if (!rightCreated && rightAgg !== null && rightAgg.timestamp > ts) createRightWindow(record, key, rightAgg)
      if (previous !== null && !starts.has(previous + 1)) {
        updateWindow(record, key, previous + 1, fresh(record), closeTime)
      }
      if (combined === null) updateWindow(record, key, 0, fresh(record), closeTime)
      else updateWindow(record, key, combined.start, combined.agg, closeTime)
    }

    return {
      init(ctx: ProcessorContext<unknown, unknown>) {
        task = taskOf(ctx)
        store = ctx.getStateStore(self.storeName)
        forwarder = new TimestampedTupleForwarder(store, ctx, self.#sendOldValues)
      },
      process(record: Record<unknown, unknown>) {
        if (record.key === null || record.value === null) {
          task.recordDropped()
          return
        }
        const key = record.key as K
        observedStreamTime = Math.max(observedStreamTime, record.timestamp)
        const closeTime = observedStreamTime - grace
        if (record.timestamp + diff < closeTime) {
          task.recordDropped()
          return
        }
        if (record.timestamp < diff) processEarly(record, key, closeTime)
        else processReverse(record, key, closeTime)
      }
    }
  }
}
