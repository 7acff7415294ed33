import type { StateStore } from '../state-store.ts'
import type { StoreBuilder, StoreKind } from '../store-builder.ts'

export interface StackOptions {
  readonly logging: boolean
  readonly caching: boolean
}

export class StoreBuilderImpl<S extends StateStore> implements StoreBuilder<S> {
  readonly name: string
  readonly kind: StoreKind
  readonly retentionPeriod: number | undefined
  readonly #assemble: (options: StackOptions) => S
  #logging = true
  #caching = false
  #logConfig: Readonly<Record<string, string>> = {}

  constructor(name: string, kind: StoreKind, assemble: (options: StackOptions) => S, retentionPeriod?: number) {
    this.name = name
    this.kind = kind
    this.#assemble = assemble
    this.retentionPeriod = retentionPeriod
  }

  get loggingEnabled(): boolean {
    return this.#logging
  }

  get cachingEnabled(): boolean {
    return this.#caching
  }

  get logConfig(): Readonly<Record<string, string>> {
    return this.#logConfig
  }

  withCachingEnabled(): this {
    this.#caching = true
    return this
  }

  withCachingDisabled(): this {
    this.#caching = false
    return this
  }

  withLoggingEnabled(config: Readonly<Record<string, string>> = {}): this {
    this.#logging = true
    this.#logConfig = { ...config }
    return this
  }

  withLoggingDisabled(): this {
    this.#logging = false
    return this
  }

  build(): S {
    return this.#assemble({ logging: this.#logging, caching: this.#caching })
  }
}
