import { StreamsError } from '../errors.ts'
import { Window } from './windowed.ts'

function checkDuration(name: string, ms: number, min = 0): void {
  if (!Number.isInteger(ms) || ms < min) {
    throw new StreamsError('TOPOLOGY_INVALID', `${name} must be an integer number of milliseconds >= ${min}, got ${ms}`)
  }
}

/**
 * Fixed-size windows, tumbling (advance = size) or hopping (advance < size), aligned to the epoch.
 * A window is `[start, start + size)`. Records later than `grace` past a window's end are dropped.
 */
export class TimeWindows {
  readonly sizeMs: number
  readonly advanceMs: number
  readonly graceMs: number

  private constructor(sizeMs: number, advanceMs: number, graceMs: number) {
    this.sizeMs = sizeMs
    this.advanceMs = advanceMs
    this.graceMs = graceMs
  }

  static ofSizeWithNoGrace(sizeMs: number): TimeWindows {
    return TimeWindows.ofSizeAndGrace(sizeMs, 0)
  }

  static ofSizeAndGrace(sizeMs: number, graceMs: number): TimeWindows {
    checkDuration('window size', sizeMs, 1)
    checkDuration('grace period', graceMs)
    return new TimeWindows(sizeMs, sizeMs, graceMs)
  }

  advanceBy(advanceMs: number): TimeWindows {
    checkDuration('advance', advanceMs, 1)
    if (advanceMs > this.sizeMs) {
      throw new StreamsError(
        'TOPOLOGY_INVALID',
        `advance (${advanceMs}) must not exceed the window size (${this.sizeMs})`
      )
    }
    return new TimeWindows(this.sizeMs, advanceMs, this.graceMs)
  }

  /** The windows containing `timestamp`, in ascending start order. */
  windowsFor(timestamp: number): Window[] {
    let start = Math.floor(Math.max(0, timestamp - this.sizeMs + this.advanceMs) / this.advanceMs) * this.advanceMs
    const out: Window[] = []
    while (start <= timestamp) {
      out.push(new Window(start, start + this.sizeMs))
      start += this.advanceMs
    }
    return out
  }

  gracePeriodMs(): number {
    return this.graceMs
  }

  size(): number {
    return this.sizeMs
  }
}

/** Activity-based windows: records of one key closer than `gap` join one session `[first, last]`. */
export class SessionWindows {
  readonly gapMs: number
  readonly graceMs: number

  private constructor(gapMs: number, graceMs: number) {
    this.gapMs = gapMs
    this.graceMs = graceMs
  }

  static ofInactivityGapWithNoGrace(gapMs: number): SessionWindows {
    return SessionWindows.ofInactivityGapAndGrace(gapMs, 0)
  }

  static ofInactivityGapAndGrace(gapMs: number, graceMs: number): SessionWindows {
    checkDuration('inactivity gap', gapMs, 1)
    checkDuration('grace period', graceMs)
    return new SessionWindows(gapMs, graceMs)
  }

  gracePeriodMs(): number {
    return this.graceMs
  }

  inactivityGap(): number {
    return this.gapMs
  }
}

/** Windows defined by the maximum time difference between records, as Kafka Streams' `SlidingWindows`. */
export class SlidingWindows {
  readonly timeDifferenceMs: number
  readonly graceMs: number

  private constructor(timeDifferenceMs: number, graceMs: number) {
    this.timeDifferenceMs = timeDifferenceMs
    this.graceMs = graceMs
  }

  static ofTimeDifferenceWithNoGrace(timeDifferenceMs: number): SlidingWindows {
    return SlidingWindows.ofTimeDifferenceAndGrace(timeDifferenceMs, 0)
  }

  static ofTimeDifferenceAndGrace(timeDifferenceMs: number, graceMs: number): SlidingWindows {
    checkDuration('time difference', timeDifferenceMs)
    checkDuration('grace period', graceMs)
    return new SlidingWindows(timeDifferenceMs, graceMs)
  }

  gracePeriodMs(): number {
    return this.graceMs
  }
}
