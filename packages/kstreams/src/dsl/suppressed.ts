import { StreamsError } from '../errors.ts'

/**
 * The buffer of a `suppress`, as Kafka Streams' `Suppressed.BufferConfig`: bounded by records and/or bytes
 * (unbounded by default). When full it either emits the oldest records early (`emitEarlyWhenFull`, not allowed
 * for `untilWindowCloses`) or stops the application (`shutDownWhenFull`). The buffer has a changelog unless
 * logging is disabled.
 */
export class BufferConfig {
  readonly maxRecords: number
  readonly maxBytes: number
  readonly whenFull: 'emitEarly' | 'shutDown'
  readonly loggingEnabled: boolean
  readonly topicConfig: Readonly<Record<string, string>>

  private constructor(
    maxRecords: number,
    maxBytes: number,
    whenFull: 'emitEarly' | 'shutDown',
    loggingEnabled = true,
    topicConfig: Readonly<Record<string, string>> = {}
  ) {
    this.maxRecords = maxRecords
    this.maxBytes = maxBytes
    this.whenFull = whenFull
    this.loggingEnabled = loggingEnabled
    this.topicConfig = topicConfig
  }

  /** No limit: the buffer grows with the number of distinct buffered keys. */
  static unbounded(): BufferConfig {
    return new BufferConfig(Infinity, Infinity, 'shutDown')
  }

  static maxRecords(records: number): BufferConfig {
    return new BufferConfig(records, Infinity, 'emitEarly')
  }

  static maxBytes(bytes: number): BufferConfig {
    return new BufferConfig(Infinity, bytes, 'emitEarly')
  }

  withMaxRecords(records: number): BufferConfig {
    return new BufferConfig(records, this.maxBytes, this.whenFull, this.loggingEnabled, this.topicConfig)
  }

  withMaxBytes(bytes: number): BufferConfig {
    return new BufferConfig(this.maxRecords, bytes, this.whenFull, this.loggingEnabled, this.topicConfig)
  }

  withNoBound(): BufferConfig {
    return new BufferConfig(Infinity, Infinity, 'shutDown', this.loggingEnabled, this.topicConfig)
  }

  emitEarlyWhenFull(): BufferConfig {
    return new BufferConfig(this.maxRecords, this.maxBytes, 'emitEarly', this.loggingEnabled, this.topicConfig)
  }

  shutDownWhenFull(): BufferConfig {
    return new BufferConfig(this.maxRecords, this.maxBytes, 'shutDown', this.loggingEnabled, this.topicConfig)
  }

  withLoggingEnabled(config: Readonly<Record<string, string>> = {}): BufferConfig {
    return new BufferConfig(this.maxRecords, this.maxBytes, this.whenFull, true, config)
  }

  withLoggingDisabled(): BufferConfig {
    return new BufferConfig(this.maxRecords, this.maxBytes, this.whenFull, false, {})
  }
}

/**
 * How `KTable.suppress` holds back updates, as Kafka Streams' `Suppressed`:
 * - `untilWindowCloses`: a windowed table emits only the final result of each window, once stream time passes
 *   the window end plus grace; deletions are not emitted.
 * - `untilTimeLimit`: a key's latest update is emitted once stream time passes its timestamp plus the limit.
 * Stream time is the largest timestamp the suppress node has seen; wall-clock time plays no part.
 */
export class Suppressed {
  readonly kind: 'windowCloses' | 'timeLimit'
  readonly timeLimitMs: number
  readonly bufferConfig: BufferConfig
  readonly name: string | undefined

  private constructor(
    kind: 'windowCloses' | 'timeLimit',
    timeLimitMs: number,
    bufferConfig: BufferConfig,
    name: string | undefined
  ) {
    this.kind = kind
    this.timeLimitMs = timeLimitMs
    this.bufferConfig = bufferConfig
    this.name = name
  }

  /** Final results of a windowed table; `bufferConfig` must not emit early (use unbounded or shutDownWhenFull). */
  static untilWindowCloses(bufferConfig: BufferConfig): Suppressed {
    if (bufferConfig.whenFull === 'emitEarly') {
      throw new StreamsError(
        'TOPOLOGY_INVALID',
        'untilWindowCloses needs a buffer that never emits early (BufferConfig.unbounded() or shutDownWhenFull())'
      )
    }
    return new Suppressed('windowCloses', 0, bufferConfig, undefined)
  }

  static untilTimeLimit(timeToWaitForMoreEventsMs: number, bufferConfig: BufferConfig): Suppressed {
    if (!Number.isInteger(timeToWaitForMoreEventsMs) || timeToWaitForMoreEventsMs < 0) {
      throw new StreamsError(
        'TOPOLOGY_INVALID',
        `timeToWaitForMoreEvents must be an integer number of milliseconds >= 0, got ${timeToWaitForMoreEventsMs}`
      )
    }
    return new Suppressed('timeLimit', timeToWaitForMoreEventsMs, bufferConfig, undefined)
  }

  /** Names the suppress processor; its buffer store is then `<name>-store`. */
  withName(name: string): Suppressed {
    return new Suppressed(this.kind, this.timeLimitMs, this.bufferConfig, name)
  }
}
