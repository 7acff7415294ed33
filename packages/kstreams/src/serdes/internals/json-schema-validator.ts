// ajv validators, compiled once per distinct schema text and shared by every serde.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import { Ajv2019 } from 'ajv/dist/2019.js'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'
import { StreamsError } from '../../errors.ts'

// ajv-formats is CommonJS: under Node's ESM interop its default export is the module object.
// Its nested copy of ajv has its own type declarations, hence the narrow signature.
type AddFormats = (ajv: Ajv) => unknown
const addFormats: AddFormats =
  (addFormatsModule as unknown as { default?: AddFormats }).default ?? (addFormatsModule as unknown as AddFormats)

export type JsonValidator = ValidateFunction<unknown>

const cache = new Map<string, JsonValidator>()

function ajvFor(schema: Record<string, unknown>): Ajv {
  const dialect = typeof schema.$schema === 'string' ? schema.$schema : ''
  // strict: false accepts the extra keywords registries and generators add (javaType, connect.*...).
  const options = { strict: false, allErrors: true }
  const ajv = dialect.includes('2020-12')
    ? new Ajv2020(options)
    : dialect.includes('2019-09')
      ? new Ajv2019(options)
      : new Ajv(options)
  addFormats(ajv)
  return ajv
}

/** Compiles (or reuses) the validator of a JSON Schema given as JSON text. Throws CONFIG_INVALID if it does not compile. */
export function validatorFor(schemaText: string): JsonValidator {
  let validate = cache.get(schemaText)
  if (validate !== undefined) return validate
  let schema: unknown
  try {
    schema = JSON.parse(schemaText)
  } catch (cause) {
    throw new StreamsError('CONFIG_INVALID', 'JSON Schema is not valid JSON', { cause })
  }
  if (typeof schema !== 'object' || schema === null) {
    if (typeof schema !== 'boolean') {
      throw new StreamsError('CONFIG_INVALID', 'JSON Schema must be an object or a boolean')
    }
  }
  try {
    const ajv = ajvFor(typeof schema === 'object' && schema !== null ? (schema as Record<string, unknown>) : {})
    validate = ajv.compile(schema as object)
  } catch (cause) {
    throw new StreamsError('CONFIG_INVALID', `JSON Schema does not compile: ${(cause as Error).message}`, { cause })
  }
  cache.set(schemaText, validate)
  return validate
}

/** A short, single-line list of ajv errors, e.g. `/rating must be number; must have required property 'id'`. */
export function describeErrors(errors: readonly ErrorObject[] | null | undefined, max = 5): string {
  if (!errors || errors.length === 0) return 'no details'
  const shown = errors
    .slice(0, max)
    .map((e) => `${e.instancePath === '' ? '' : `${e.instancePath} `}${e.message ?? e.keyword}`)
  const more = errors.length > max ? `; and ${errors.length - max} more` : ''
  return shown.join('; ') + more
}
