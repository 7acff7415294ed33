import { StreamsError } from '../errors.ts'

function checkMs(what: string, ms: number): void {
  if (!Number.isInteger(ms) || ms < 0) {
    throw new StreamsError('TOPOLOGY_INVALID', `${what} must be an integer number of milliseconds >= 0, got ${ms}`)
  }
}

/**
 * The window of a stream-stream join, as Kafka Streams' `JoinWindows`: a record at time `t` joins records of the
 * other stream with timestamps in `[t - before, t + after]`. Records later than `grace` after a window closes are
 * dropped; left/outer joins emit a record without a match (joined with `null`) only once its window has closed
 * (stream time > t + after + grace), so no spurious null result precedes a later match.
 */
export class JoinWindows {
  readonly beforeMs: number
  readonly afterMs: number
  readonly graceMs: number

  private constructor(beforeMs: number, afterMs: number, graceMs: number) {
    if (beforeMs + afterMs < 0) {
      throw new StreamsError('TOPOLOGY_INVALID', 'Window interval (ie, beforeMs+afterMs) must not be negative.')
    }
    this.beforeMs = beforeMs
    this.afterMs = afterMs
    this.graceMs = graceMs
  }

  /** Symmetric window of `timeDifferenceMs` each way, with no grace: late records are dropped at window close. */
  static ofTimeDifferenceWithNoGrace(timeDifferenceMs: number): JoinWindows {
    return JoinWindows.ofTimeDifferenceAndGrace(timeDifferenceMs, 0)
  }

  static ofTimeDifferenceAndGrace(timeDifferenceMs: number, graceMs: number): JoinWindows {
    checkMs('timeDifference', timeDifferenceMs)
    checkMs('afterWindowEnd (grace)', graceMs)
    return new JoinWindows(timeDifferenceMs, timeDifferenceMs, graceMs)
  }

  /** How far back (before this stream's record) the other stream's records may be; may be negative. */
  before(timeDifferenceMs: number): JoinWindows {
    if (!Number.isInteger(timeDifferenceMs)) {
      throw new StreamsError(
        'TOPOLOGY_INVALID',
        `before must be an integer number of milliseconds, got ${timeDifferenceMs}`
      )
    }
    return new JoinWindows(timeDifferenceMs, this.afterMs, this.graceMs)
  }

  /** How far ahead of this stream's record the other stream's records may be; may be negative. */
  after(timeDifferenceMs: number): JoinWindows {
    if (!Number.isInteger(timeDifferenceMs)) {
      throw new StreamsError(
        'TOPOLOGY_INVALID',
        `after must be an integer number of milliseconds, got ${timeDifferenceMs}`
      )
    }
    return new JoinWindows(this.beforeMs, timeDifferenceMs, this.graceMs)
  }

  /** `before + after`: the window stores keep records this long plus grace. */
  size(): number {
    return this.beforeMs + this.afterMs
  }

  gracePeriodMs(): number {
    return this.graceMs
  }
}
