import type { KeyValueBytesStore, SessionBytesStore, WindowBytesStore } from './internals/bytes-store.ts'

/** Creates the innermost (bytes) store of a key-value stack; called once per task. */
export interface KeyValueBytesStoreSupplier {
  readonly name: string
  readonly metricsScope: string
  get(): KeyValueBytesStore
}

export interface WindowBytesStoreSupplier {
  readonly name: string
  readonly metricsScope: string
  readonly retentionPeriod: number
  readonly windowSize: number
  readonly retainDuplicates: boolean
  get(): WindowBytesStore
}

export interface SessionBytesStoreSupplier {
  readonly name: string
  readonly metricsScope: string
  readonly retentionPeriod: number
  get(): SessionBytesStore
}
