// Serdes: Java-compatible primitive serdes, plain JSON, and JSON Schema through a Schema Registry.
export type { Deserializer, Serde, SerdeUsage, Serializer } from './serde.ts'
export { Serdes } from './serdes.ts'
export { jsonSchemaSerde, type JsonSchemaSerdeOptions, type SubjectNameStrategy } from './json-schema-serde.ts'
export {
  createSchemaRegistryClient,
  dropMockSchemaRegistryScope,
  type RegisteredSchema,
  type SchemaRegistryClient,
  type SchemaRegistryConfig,
  type SubjectVersion,
  type SyncSchemaRegistry
} from './schema-registry.ts'
export { SchemaNotCachedError, SchemaRegistryError, type SchemaRegistryErrorDetails } from './schema-errors.ts'
