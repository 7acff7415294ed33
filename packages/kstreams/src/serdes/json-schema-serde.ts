import { StreamsError } from '../errors.ts'
import { describeErrors, validatorFor, type JsonValidator } from './internals/json-schema-validator.ts'
import { SchemaNotCachedError, SchemaRegistryError } from './schema-errors.ts'
import {
  createSchemaRegistryClient,
  type RegisteredSchema,
  type SchemaRegistryClient,
  type SchemaRegistryConfig
} from './schema-registry.ts'
import type { Serde, SerdeUsage } from './serde.ts'

/**
 * How the registry subject is named, as Confluent's `SubjectNameStrategy`: 'topic-name' gives
 * `<topic>-key` / `<topic>-value`, 'record-name' the schema's `title`, 'topic-record-name' `<topic>-<title>`;
 * a function decides for itself.
 */
export type SubjectNameStrategy =
  'topic-name' | 'record-name' | 'topic-record-name' | ((topic: string, isKey: boolean, schema: unknown) => string)

/** Options of {@link jsonSchemaSerde}. */
export interface JsonSchemaSerdeOptions {
  /** The JSON Schema of `T`, as an object or as JSON text. Apicurio needs a `$schema` keyword in it. */
  readonly schema: object | string
  /** Registry settings, a `mock://<scope>` / http(s) URL, or a client shared between serdes. */
  readonly registry: SchemaRegistryConfig | SchemaRegistryClient | string
  /** Whether the serde serializes record keys (subject `<topic>-key`); default false. */
  readonly isKey?: boolean
  /** Register the schema under the subject when writing (default true); when false the subject must already hold it. */
  readonly autoRegister?: boolean
  /** Write with the subject's latest registered schema (id and validation) instead of `schema`; default false. */
  readonly useLatestVersion?: boolean
  /** Validate every value against the schema before writing it (default true). */
  readonly validate?: boolean
  /** Also validate values read, against the writer's schema (default false, as Confluent's `json.fail.invalid.schema`). */
  readonly validateOnRead?: boolean
  /** Default 'topic-name'. */
  readonly subjectNameStrategy?: SubjectNameStrategy
}

const MAGIC_BYTE = 0
const HEADER_SIZE = 5

interface Writer {
  readonly id: number
  readonly validate: JsonValidator | undefined
}

interface Reader {
  readonly schema: RegisteredSchema
  validate: JsonValidator | undefined
}

function isClient(registry: JsonSchemaSerdeOptions['registry']): registry is SchemaRegistryClient {
  return typeof registry === 'object' && typeof (registry as SchemaRegistryClient).register === 'function'
}

class JsonSchemaSerde<T> implements Serde<T> {
  readonly name = 'JsonSchema'
  readonly #client: SchemaRegistryClient
  readonly #schemaText: string
  readonly #schemaObject: unknown
  readonly #localValidator: JsonValidator
  readonly #isKey: boolean
  readonly #autoRegister: boolean
  readonly #useLatest: boolean
  readonly #validate: boolean
  readonly #validateOnRead: boolean
  readonly #strategy: SubjectNameStrategy
  readonly #writers = new Map<string, Writer>()
  readonly #readers = new Map<number, Reader>()
  // Ids the registry said it does not know; reported once as a DESERIALIZATION error, then asked again.
  readonly #missingIds = new Map<number, SchemaRegistryError>()

  constructor(options: JsonSchemaSerdeOptions) {
    this.#schemaText = typeof options.schema === 'string' ? options.schema : JSON.stringify(options.schema)
    this.#localValidator = validatorFor(this.#schemaText)
    this.#schemaObject = JSON.parse(this.#schemaText)
    this.#client = isClient(options.registry) ? options.registry : createSchemaRegistryClient(options.registry)
    this.#isKey = options.isKey ?? false
    this.#autoRegister = options.autoRegister ?? true
    this.#useLatest = options.useLatestVersion ?? false
    this.#validate = options.validate ?? true
    this.#validateOnRead = options.validateOnRead ?? false
    this.#strategy = options.subjectNameStrategy ?? 'topic-name'
  }

  async prepare(topic: string, isKey: boolean, usage: SerdeUsage = 'both'): Promise<void> {
    if (usage === 'read') return
    const subject = this.#subject(topic, isKey)
    if (this.#writers.has(subject)) return
    let writer: Writer
    if (this.#useLatest) {
      const latest = await this.#client.getLatest(subject)
      writer = this.#writerForLatest(latest.id, latest)
    } else if (this.#autoRegister) {
      writer = this.#writerForLocal(await this.#client.register(subject, this.#schemaText, 'JSON'))
    } else {
      writer = this.#writerForLocal((await this.#client.lookup(subject, this.#schemaText, 'JSON')).id)
    }
    this.#writers.set(subject, writer)
  }

  serialize(topic: string, data: T | null): Buffer | null {
    if (data === null || data === undefined) return null
    const subject = this.#subject(topic, this.#isKey)
    const writer = this.#writers.get(subject) ?? this.#writerSync(topic, subject)
    if (writer.validate !== undefined && !writer.validate(data)) {
      throw new StreamsError(
        'SCHEMA_INVALID',
        `Value for ${subject} does not match its JSON Schema: ${describeErrors(writer.validate.errors)}`,
        { topic }
      )
    }
    let json: string | undefined
    try {
      json = JSON.stringify(data)
    } catch (cause) {
      throw new StreamsError(
        'SERIALIZATION',
        `JSON Schema serde cannot serialize the value: ${(cause as Error).message}`,
        {
          topic,
          cause
        }
      )
    }
    if (json === undefined) {
      throw new StreamsError('SERIALIZATION', 'JSON Schema serde got a value JSON cannot hold', { topic })
    }
    const size = Buffer.byteLength(json, 'utf8')
    const out = Buffer.allocUnsafe(HEADER_SIZE + size)
    out[0] = MAGIC_BYTE
    out.writeInt32BE(writer.id, 1)
    out.write(json, HEADER_SIZE, size, 'utf8')
    return out
  }

  deserialize(topic: string, data: Buffer | null): T | null {
    if (data === null || data === undefined) return null
    if (data.length < HEADER_SIZE) {
      throw new StreamsError(
        'DESERIALIZATION',
        `JSON Schema serde got ${data.length} bytes, fewer than the 5-byte Confluent wire-format header`,
        { topic }
      )
    }
    if (data[0] !== MAGIC_BYTE) {
      throw new StreamsError(
        'DESERIALIZATION',
        `JSON Schema serde got unknown magic byte ${data[0]} (expected 0: not Confluent wire format)`,
        { topic }
      )
    }
    const id = data.readInt32BE(1)
    const reader = this.#readers.get(id) ?? this.#readerSync(topic, id)
    if (reader.schema.schemaType !== 'JSON') {
      throw new StreamsError(
        'DESERIALIZATION',
        `Schema id ${id} is a ${reader.schema.schemaType} schema, not JSON: the record was not written by a JSON Schema serializer`,
        { topic }
      )
    }
    let value: unknown
    try {
      value = JSON.parse(data.toString('utf8', HEADER_SIZE))
    } catch (cause) {
      throw new StreamsError(
        'DESERIALIZATION',
        `JSON Schema serde got invalid JSON after the header (schema id ${id})`,
        {
          topic,
          cause
        }
      )
    }
    if (this.#validateOnRead) {
      reader.validate ??= validatorFor(reader.schema.schema)
      if (!reader.validate(value)) {
        throw new StreamsError(
          'DESERIALIZATION',
          `Value read with schema id ${id} does not match that schema: ${describeErrors(reader.validate.errors)}`,
          { topic }
        )
      }
    }
    return value as T
  }

  #subject(topic: string, isKey: boolean): string {
    const strategy = this.#strategy
    if (typeof strategy === 'function') return strategy(topic, isKey, this.#schemaObject)
    if (strategy === 'topic-name') return `${topic}-${isKey ? 'key' : 'value'}`
    const title = (this.#schemaObject as { title?: unknown } | null)?.title
    if (typeof title !== 'string' || title === '') {
      throw new StreamsError('CONFIG_INVALID', `Subject name strategy ${strategy} needs a "title" in the JSON Schema`, {
        topic
      })
    }
    return strategy === 'record-name' ? title : `${topic}-${title}`
  }

  #writerForLocal(id: number): Writer {
    this.#readers.set(id, { schema: { schema: this.#schemaText, schemaType: 'JSON' }, validate: this.#localValidator })
    return { id, validate: this.#validate ? this.#localValidator : undefined }
  }

  #writerForLatest(id: number, schema: RegisteredSchema): Writer {
    const validate = this.#validate ? validatorFor(schema.schema) : undefined
    this.#readers.set(id, { schema, validate })
    return { id, validate }
  }

  #writerSync(topic: string, subject: string): Writer {
    const sync = this.#client.sync
    if (sync === undefined) {
      const isKey = this.#isKey
      throw new SchemaNotCachedError(
        `JSON Schema serde has no schema id for subject ${subject} yet: await serde.prepare('${topic}', ${isKey}) before serializing (the runtime does this)`,
        () => this.prepare(topic, isKey, 'write'),
        { topic }
      )
    }
    let writer: Writer
    if (this.#useLatest) {
      const latest = sync.getLatest(subject)
      writer = this.#writerForLatest(latest.id, latest)
    } else if (this.#autoRegister) {
      writer = this.#writerForLocal(sync.register(subject, this.#schemaText, 'JSON'))
    } else {
      writer = this.#writerForLocal(sync.lookup(subject, this.#schemaText, 'JSON').id)
    }
    this.#writers.set(subject, writer)
    return writer
  }

  #readerSync(topic: string, id: number): Reader {
    const missing = this.#missingIds.get(id)
    if (missing !== undefined) {
      this.#missingIds.delete(id)
      throw this.#unknownId(topic, id, missing)
    }
    const sync = this.#client.sync
    if (sync === undefined) {
      throw new SchemaNotCachedError(
        `JSON Schema serde has not fetched schema id ${id} from ${this.#client.url} yet`,
        () => this.#fetchReader(id),
        { topic }
      )
    }
    let schema: RegisteredSchema
    try {
      schema = sync.getSchemaById(id)
    } catch (error) {
      if (error instanceof SchemaRegistryError && error.notFound) throw this.#unknownId(topic, id, error)
      throw error
    }
    return this.#addReader(id, schema)
  }

  async #fetchReader(id: number): Promise<void> {
    if (this.#readers.has(id)) return
    try {
      const schema = await this.#client.getSchemaById(id)
      if (!this.#readers.has(id)) this.#readers.set(id, { schema, validate: undefined })
    } catch (error) {
      if (error instanceof SchemaRegistryError && error.notFound) {
        this.#missingIds.set(id, error)
        return
      }
      throw error
    }
  }

  #addReader(id: number, schema: RegisteredSchema): Reader {
    const reader: Reader = { schema, validate: undefined }
    this.#readers.set(id, reader)
    return reader
  }

  #unknownId(topic: string, id: number, cause: SchemaRegistryError): StreamsError {
    return new StreamsError('DESERIALIZATION', `Schema id ${id} is not in the registry ${this.#client.url}`, {
      topic,
      cause
    })
  }
}

/**
 * A serde for JSON values described by a JSON Schema, in Confluent's wire format (byte 0, then the
 * 4-byte big-endian schema id, then the JSON text in UTF-8), interoperable with Confluent's
 * KafkaJsonSchemaSerializer/Deserializer.
 *
 * Lifecycle: the runtime awaits `prepare(topic, isKey, usage)` before handling records of a topic; for
 * a written topic it registers the schema under the subject (or looks it up, or fetches the latest
 * version) and caches its id. `serialize` and `deserialize` are synchronous and never do I/O:
 * - with a `mock://` registry they resolve what they need synchronously, so no `prepare` is needed
 *   (the TopologyTestDriver relies on this);
 * - with a real registry, `serialize` before `prepare` for that subject, or `deserialize` of a schema id
 *   not fetched yet, throws a {@link SchemaNotCachedError} whose `fetch()` loads it; retry afterwards.
 *
 * Errors: a value that does not match the schema → StreamsError('SCHEMA_INVALID'), thrown by `serialize`
 * so nothing is written; bytes without the header, with another magic byte, with invalid JSON or with a
 * schema id the registry does not know → StreamsError('DESERIALIZATION'); registry failures →
 * {@link SchemaRegistryError} ('SCHEMA_REGISTRY'). `null` maps to `null`.
 * The schema is compiled once (ajv) when the serde is created; an invalid schema throws CONFIG_INVALID.
 */
export function jsonSchemaSerde<T>(options: JsonSchemaSerdeOptions): Serde<T> {
  return new JsonSchemaSerde<T>(options)
}
