// Our own small Confluent Schema Registry client: four REST calls over fetch, plus an in-memory registry
// for mock:// URLs that can also answer synchronously (the TopologyTestDriver never awaits).
import type {
  RegisteredSchema,
  SchemaRegistryClient,
  SchemaRegistryConfig,
  SubjectVersion,
  SyncSchemaRegistry
} from '../schema-registry.ts'
import { SchemaRegistryError } from '../schema-errors.ts'

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json'
const ACCEPT = 'application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json, application/json'
const DEFAULT_TIMEOUT_MS = 10_000
// Registry answers are echoed into error messages; keep them short.
const MAX_ECHO = 300

interface ErrorBody {
  error_code?: unknown
  message?: unknown
}

function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause
  if (cause && typeof cause.code === 'string') return cause.code
  if (cause && typeof cause.message === 'string') return cause.message
  return error instanceof Error ? error.message : String(error)
}

export class HttpSchemaRegistryClient implements SchemaRegistryClient {
  readonly url: string
  readonly #authorization: string | undefined
  readonly #timeoutMs: number

  constructor(config: SchemaRegistryConfig) {
    let parsed: URL
    try {
      parsed = new URL(config.url)
    } catch {
      // The raw text may hold credentials, so it is not echoed.
      throw new SchemaRegistryError('Schema registry URL is not a valid URL')
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new SchemaRegistryError(`Schema registry URL must be http(s):// or mock://, got ${parsed.protocol}//`)
    }
    let userInfo = config.basicAuth ?? config['basic.auth.user.info']
    if (userInfo === undefined && (parsed.username !== '' || parsed.password !== '')) {
      userInfo = `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`
    }
    // fetch() refuses URLs with credentials, and the URL is shown in errors: strip them either way.
    parsed.username = ''
    parsed.password = ''
    this.url = parsed.toString().replace(/\/+$/, '')
    this.#authorization =
      userInfo === undefined ? undefined : `Basic ${Buffer.from(userInfo, 'utf8').toString('base64')}`
    this.#timeoutMs = config.timeoutMs ?? DEFAULT_TIMEOUT_MS
  }

  async register(subject: string, schema: string, schemaType: string): Promise<number> {
    const body = await this.#request('POST', `/subjects/${encodeURIComponent(subject)}/versions`, {
      schema,
      schemaType
    })
    return this.#readId(body, 'POST /subjects/{subject}/versions')
  }

  async lookup(subject: string, schema: string, schemaType: string): Promise<SubjectVersion> {
    const body = await this.#request('POST', `/subjects/${encodeURIComponent(subject)}`, { schema, schemaType })
    return this.#readVersion(body, subject, schema, schemaType, 'POST /subjects/{subject}')
  }

  async getSchemaById(id: number): Promise<RegisteredSchema> {
    const body = (await this.#request('GET', `/schemas/ids/${id}`)) as { schema?: unknown; schemaType?: unknown }
    if (typeof body?.schema !== 'string') throw this.#malformed('GET /schemas/ids/{id}')
    return { schema: body.schema, schemaType: typeof body.schemaType === 'string' ? body.schemaType : 'AVRO' }
  }

  async getLatest(subject: string): Promise<SubjectVersion> {
    const body = await this.#request('GET', `/subjects/${encodeURIComponent(subject)}/versions/latest`)
    return this.#readVersion(body, subject, undefined, undefined, 'GET /subjects/{subject}/versions/latest')
  }

  #readId(body: unknown, what: string): number {
    const id = (body as { id?: unknown })?.id
    if (typeof id !== 'number' || !Number.isInteger(id)) throw this.#malformed(what)
    return id
  }

  #readVersion(
    body: unknown,
    subject: string,
    schema: string | undefined,
    schemaType: string | undefined,
    what: string
  ): SubjectVersion {
    const b = body as { id?: unknown; version?: unknown; schema?: unknown; schemaType?: unknown }
    const id = this.#readId(body, what)
    if (typeof b.version !== 'number') throw this.#malformed(what)
    const text = typeof b.schema === 'string' ? b.schema : schema
    if (text === undefined) throw this.#malformed(what)
    return {
      subject,
      id,
      version: b.version,
      schema: text,
      schemaType: typeof b.schemaType === 'string' ? b.schemaType : (schemaType ?? 'AVRO')
    }
  }

  #malformed(what: string): SchemaRegistryError {
    return new SchemaRegistryError(`Schema registry ${this.url} gave an unexpected answer to ${what}`)
  }

  async #request(method: string, path: string, body?: unknown): Promise<unknown> {
    const headers: Record<string, string> = { accept: ACCEPT }
    if (body !== undefined) headers['content-type'] = CONTENT_TYPE
    if (this.#authorization !== undefined) headers.authorization = this.#authorization
    const where = `${method} ${this.url}${path}`
    let status: number
    let text: string
    try {
      const response = await fetch(this.url + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.#timeoutMs),
        redirect: 'error'
      })
      status = response.status
      text = await response.text()
    } catch (cause) {
      const name = (cause as { name?: unknown })?.name
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw new SchemaRegistryError(`Schema registry did not answer ${where} within ${this.#timeoutMs} ms`, { cause })
      }
      throw new SchemaRegistryError(`Schema registry unreachable for ${where}: ${describeNetworkError(cause)}`, {
        cause
      })
    }
    let parsed: unknown
    try {
      parsed = text === '' ? undefined : JSON.parse(text)
    } catch {
      parsed = undefined
    }
    if (status >= 200 && status < 300) {
      if (parsed === undefined) throw this.#malformed(`${method} ${path}`)
      return parsed
    }
    const errorBody = (parsed ?? {}) as ErrorBody
    const registryErrorCode = typeof errorBody.error_code === 'number' ? errorBody.error_code : undefined
    const detail =
      typeof errorBody.message === 'string' ? errorBody.message : parsed === undefined ? text.slice(0, MAX_ECHO) : ''
    const hint =
      status === 401 || status === 403
        ? ' (check the basic auth credentials and their permissions)'
        : registryErrorCode === 42201
          ? ' (Apicurio needs "$schema" in a JSON schema, and "properties" in an object schema)'
          : ''
    throw new SchemaRegistryError(
      `Schema registry answered HTTP ${status} to ${where}${hint}${detail === '' ? '' : `: ${detail.slice(0, MAX_ECHO)}`}`,
      { status, ...(registryErrorCode === undefined ? {} : { registryErrorCode }) }
    )
  }
}

interface MockVersion {
  readonly id: number
  readonly version: number
  readonly schema: string
  readonly schemaType: string
}

interface MockScope {
  nextId: number
  readonly byId: Map<number, RegisteredSchema>
  // Same content and type share a global id across subjects, as in the real registry.
  readonly idByContent: Map<string, number>
  readonly subjects: Map<string, MockVersion[]>
}

const scopes = new Map<string, MockScope>()

function scopeFor(name: string): MockScope {
  let scope = scopes.get(name)
  if (scope === undefined) {
    scope = { nextId: 1, byId: new Map(), idByContent: new Map(), subjects: new Map() }
    scopes.set(name, scope)
  }
  return scope
}

export function dropMockScope(name: string): void {
  scopes.delete(name)
}

// JSON schemas compare by parsed content, so whitespace differences do not make a new version.
function canonical(schema: string, schemaType: string): string {
  if (schemaType !== 'JSON') return schema
  try {
    return JSON.stringify(JSON.parse(schema))
  } catch {
    return schema
  }
}

function notFound(message: string, registryErrorCode: number, url: string): SchemaRegistryError {
  return new SchemaRegistryError(`Schema registry ${url}: ${message}`, { status: 404, registryErrorCode })
}

class MockSyncRegistry implements SyncSchemaRegistry {
  readonly #scopeName: string
  readonly #url: string

  constructor(scopeName: string, url: string) {
    this.#scopeName = scopeName
    this.#url = url
  }

  // Looked up on every call so that a dropped scope starts empty even for clients created before.
  get #scope(): MockScope {
    return scopeFor(this.#scopeName)
  }

  register(subject: string, schema: string, schemaType: string): number {
    if (schemaType === 'JSON') {
      try {
        JSON.parse(schema)
      } catch {
        throw new SchemaRegistryError(`Schema registry ${this.#url}: invalid JSON schema for subject ${subject}`, {
          status: 422,
          registryErrorCode: 42201
        })
      }
    }
    const content = `${schemaType}\u0000${canonical(schema, schemaType)}`
    const versions = this.#scope.subjects.get(subject) ?? []
    const existingId = this.#scope.idByContent.get(content)
    if (existingId !== undefined && versions.some((v) => v.id === existingId)) return existingId
    const id = existingId ?? this.#scope.nextId++
    if (existingId === undefined) {
      this.#scope.idByContent.set(content, id)
      this.#scope.byId.set(id, { schema, schemaType })
    }
    versions.push({ id, version: versions.length + 1, schema, schemaType })
    this.#scope.subjects.set(subject, versions)
    return id
  }

  lookup(subject: string, schema: string, schemaType: string): SubjectVersion {
    const versions = this.#scope.subjects.get(subject)
    if (versions === undefined) throw notFound(`subject ${subject} not found`, 40401, this.#url)
    const content = canonical(schema, schemaType)
    const found = versions.find((v) => v.schemaType === schemaType && canonical(v.schema, v.schemaType) === content)
    if (found === undefined) throw notFound(`schema not found under subject ${subject}`, 40403, this.#url)
    return { subject, ...found }
  }

  getSchemaById(id: number): RegisteredSchema {
    const found = this.#scope.byId.get(id)
    if (found === undefined) throw notFound(`schema id ${id} not found`, 40403, this.#url)
    return found
  }

  getLatest(subject: string): SubjectVersion {
    const versions = this.#scope.subjects.get(subject)
    const latest = versions?.[versions.length - 1]
    if (latest === undefined) throw notFound(`subject ${subject} not found`, 40401, this.#url)
    return { subject, ...latest }
  }
}

/** In-memory registry of one `mock://<scope>`: same ids, versions and 404s as the REST API; no compatibility checks. */
export class MockSchemaRegistryClient implements SchemaRegistryClient {
  readonly url: string
  readonly sync: SyncSchemaRegistry

  constructor(scope: string) {
    this.url = `mock://${scope}`
    this.sync = new MockSyncRegistry(scope, this.url)
  }

  async register(subject: string, schema: string, schemaType: string): Promise<number> {
    return this.sync.register(subject, schema, schemaType)
  }

  async lookup(subject: string, schema: string, schemaType: string): Promise<SubjectVersion> {
    return this.sync.lookup(subject, schema, schemaType)
  }

  async getSchemaById(id: number): Promise<RegisteredSchema> {
    return this.sync.getSchemaById(id)
  }

  async getLatest(subject: string): Promise<SubjectVersion> {
    return this.sync.getLatest(subject)
  }
}
