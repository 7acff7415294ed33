import { StreamsError, type StreamsErrorDetails } from '../errors.ts'

/** Details of a registry failure: `status` is the HTTP status, `registryErrorCode` Confluent's `error_code`. */
export interface SchemaRegistryErrorDetails extends StreamsErrorDetails {
  status?: number
  registryErrorCode?: number
}

/** StreamsError('SCHEMA_REGISTRY') with the HTTP status and the registry's error code when there was an answer. */
export class SchemaRegistryError extends StreamsError {
  readonly status: number | undefined
  readonly registryErrorCode: number | undefined

  constructor(message: string, details: SchemaRegistryErrorDetails = {}) {
    super('SCHEMA_REGISTRY', message, details)
    this.name = 'SchemaRegistryError'
    this.status = details.status
    this.registryErrorCode = details.registryErrorCode
  }

  /** True for "subject not found", "version not found" and "schema not found" answers. */
  get notFound(): boolean {
    return this.status === 404
  }
}

/**
 * StreamsError('SCHEMA_NOT_CACHED'): a schema serde needs registry data it has not fetched yet, and the
 * synchronous hot path cannot wait for it. Await {@link SchemaNotCachedError.fetch} (it fetches and caches
 * what is missing; it rejects with a {@link SchemaRegistryError} when the registry fails), then retry the record.
 */
export class SchemaNotCachedError extends StreamsError {
  readonly fetch: () => Promise<void>

  constructor(message: string, fetch: () => Promise<void>, details: StreamsErrorDetails = {}) {
    super('SCHEMA_NOT_CACHED', message, details)
    this.name = 'SchemaNotCachedError'
    this.fetch = fetch
  }
}
