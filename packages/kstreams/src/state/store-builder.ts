import type { StateStore } from './state-store.ts'

export type StoreKind = 'keyValue' | 'timestampedKeyValue' | 'window' | 'timestampedWindow' | 'session'

/**
 * Builds one store stack (metered → caching → change-logging → inner) per task. Logging is on by default and
 * gives the store a compacted changelog topic `<application.id>-<name>-changelog`; caching is off by default.
 */
export interface StoreBuilder<S extends StateStore> {
  readonly name: string
  readonly kind: StoreKind
  readonly loggingEnabled: boolean
  readonly cachingEnabled: boolean
  /** Topic configs for the changelog (e.g. `retention.ms` for window stores). */
  readonly logConfig: Readonly<Record<string, string>>
  /** For window and session stores: how long data is kept, which sets the changelog's retention. */
  readonly retentionPeriod: number | undefined
  withCachingEnabled(): this
  withCachingDisabled(): this
  withLoggingEnabled(config?: Readonly<Record<string, string>>): this
  withLoggingDisabled(): this
  build(): S
}
