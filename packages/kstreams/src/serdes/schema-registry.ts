import {
  HttpSchemaRegistryClient,
  MockSchemaRegistryClient,
  dropMockScope
} from './internals/schema-registry-client.ts'

/** A schema as stored in the registry. `schemaType` is 'JSON', 'AVRO' (the registry's default) or 'PROTOBUF'. */
export interface RegisteredSchema {
  readonly schema: string
  readonly schemaType: string
}

/** One version of a subject. */
export interface SubjectVersion extends RegisteredSchema {
  readonly subject: string
  readonly id: number
  readonly version: number
}

/** The synchronous face of an in-memory registry: same operations and errors as {@link SchemaRegistryClient}. */
export interface SyncSchemaRegistry {
  register(subject: string, schema: string, schemaType: string): number
  lookup(subject: string, schema: string, schemaType: string): SubjectVersion
  getSchemaById(id: number): RegisteredSchema
  getLatest(subject: string): SubjectVersion
}

/**
 * The part of Confluent's Schema Registry REST API the serdes use (also served by Apicurio's
 * `/apis/ccompat/v7`). Every failure is a {@link SchemaRegistryError}.
 */
export interface SchemaRegistryClient {
  /** The registry's base URL, without credentials (safe to log). */
  readonly url: string
  /** `POST /subjects/{subject}/versions`: registers the schema (or finds it) and returns its global id. */
  register(subject: string, schema: string, schemaType: string): Promise<number>
  /** `POST /subjects/{subject}`: the version of `subject` holding this schema; 404 when it has none. */
  lookup(subject: string, schema: string, schemaType: string): Promise<SubjectVersion>
  /** `GET /schemas/ids/{id}`. */
  getSchemaById(id: number): Promise<RegisteredSchema>
  /** `GET /subjects/{subject}/versions/latest`. */
  getLatest(subject: string): Promise<SubjectVersion>
  /** Present on in-memory (`mock://`) registries, which can answer without I/O. */
  readonly sync?: SyncSchemaRegistry
}

/**
 * Where the registry is. `url` is `http(s)://host:port[/path]` (for Apicurio: `.../apis/ccompat/v7`) or
 * `mock://<scope>` for an in-memory registry shared by every client of the same scope (for tests).
 * Credentials come from `basicAuth` (`'user:password'`, Confluent's `basic.auth.user.info`) or from the
 * URL's user-info part; they are sent as HTTP basic auth and never appear in errors.
 */
export interface SchemaRegistryConfig {
  readonly url: string
  readonly basicAuth?: string
  /** Alias of `basicAuth`, spelt as Confluent's client setting. */
  readonly 'basic.auth.user.info'?: string
  /** Per-request timeout in ms; default 10000. */
  readonly timeoutMs?: number
}

/** Creates a client for `config` (`mock://` URLs give the in-memory registry of that scope). */
export function createSchemaRegistryClient(config: SchemaRegistryConfig | string): SchemaRegistryClient {
  const resolved = typeof config === 'string' ? { url: config } : config
  if (resolved.url.startsWith('mock://')) return new MockSchemaRegistryClient(resolved.url.slice('mock://'.length))
  return new HttpSchemaRegistryClient(resolved)
}

/** Forgets every schema of the in-memory registry `mock://<scope>` (call it between tests). */
export function dropMockSchemaRegistryScope(scope: string): void {
  dropMockScope(scope.startsWith('mock://') ? scope.slice('mock://'.length) : scope)
}
