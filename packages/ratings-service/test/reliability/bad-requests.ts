// Generators of bad POST /rating requests for the fuzzing tests (inject and real HTTP), and the oracle that tells a
// request the service must accept from one it must refuse. Every generated request is refused by construction; the
// oracle filters out the few that come out valid by chance (a random content type that is "application/json", a
// random movie id that is a known one), so the property is "every request the oracle calls bad gets a 4xx".
import { gzipSync } from 'node:zlib'
import fc from 'fast-check'

/** What is generated: one class of bad input, and the status the service must answer with. */
export type BadKind =
  | 'malformed-json'
  | 'not-an-object'
  | 'missing-field'
  | 'extra-field'
  | 'wrong-type'
  | 'out-of-range'
  | 'unknown-movie'
  | 'huge-body'
  | 'wrong-content-type'
  | 'bad-charset'
  | 'content-encoding'
  | 'bad-bytes'

export interface BadRequest {
  readonly kind: BadKind
  readonly headers: Readonly<Record<string, string>>
  readonly body: Buffer
  /** Over real HTTP: send the body with Transfer-Encoding: chunked instead of Content-Length. */
  readonly chunked: boolean
}

/** The status each kind must get: 413 and 415 where the HTTP layer decides, 400 for every bad body. */
export function expectedStatus(kind: BadKind): number {
  if (kind === 'huge-body') return 413
  if (kind === 'wrong-content-type' || kind === 'bad-charset' || kind === 'content-encoding') return 415
  return 400
}

export const KNOWN_MOVIES: readonly number[] = [362, 363, 364]
const FIELDS = new Set(['movieId', 'rating'])

const JSON_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json;charset=UTF-8',
  'Application/JSON',
  'application/json; charset="utf-8"'
]

const jsonType = fc.constantFrom(...JSON_TYPES)
const movieId = fc.constantFrom(...KNOWN_MOVIES)
const rating = fc.integer({ min: 1, max: 10 })
const validRating = fc.record({ movieId, rating })
// Any JSON value that is not a number: what a wrong-typed field holds.
const notANumber = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.integer({ min: -5, max: 400 }).map(String),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 2 })
)
// A printable header value (Node refuses control characters in headers before anything is sent).
const headerText = fc.stringMatching(/^[\x21-\x7e][\x20-\x7e]{0,40}$/)

function body(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8')
}

function withType(contentType: string | undefined): Record<string, string> {
  return contentType === undefined ? {} : { 'content-type': contentType }
}

const malformedJson = fc.oneof(
  // A valid body cut short, or followed by garbage.
  fc
    .tuple(validRating, fc.nat())
    .map(([r, n]) => JSON.stringify(r).slice(0, n % JSON.stringify(r).length))
    .filter((s) => s.trim() !== ''),
  fc
    .tuple(validRating, fc.constantFrom('}', ',', ']', 'x', ' {}', '\u0000', '//', ' 1'))
    .map(([r, g]) => JSON.stringify(r) + g),
  // JavaScript that is not JSON.
  fc
    .tuple(movieId, rating)
    .chain(([m, r]) =>
      fc.constantFrom(
        `{movieId:${m},rating:${r}}`,
        `{'movieId':${m},'rating':${r}}`,
        `{"movieId":${m},"rating":${r},}`,
        `{"movieId":${m},"rating":NaN}`,
        `{"movieId":${m},"rating":Infinity}`,
        `{"movieId":0x${m.toString(16)},"rating":${r}}`,
        `{"movieId":${m},"rating":+${r}}`,
        `{"movieId":${m},"rating":0${r}}`,
        `{"movieId":${m},"rating":${r}.}`,
        `{"movieId":${m} /* c */,"rating":${r}}`,
        `{"movieId":${m}\n"rating":${r}}`,
        `{"movieId":${m},"rating":"${r}}`
      )
    ),
  // Random text, mostly not JSON at all.
  fc.string({ minLength: 1, maxLength: 60, unit: 'binary' }),
  fc.string({ minLength: 1, maxLength: 60 })
)

function isJson(text: string): boolean {
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}

const byKind: ReadonlyArray<fc.Arbitrary<BadRequest>> = [
  fc.record({
    kind: fc.constant('malformed-json' as const),
    headers: jsonType.map(withType),
    body: malformedJson.filter((s) => !isJson(s)).map((s) => Buffer.from(s, 'utf8')),
    chunked: fc.boolean()
  }),
  fc.record({
    kind: fc.constant('not-an-object' as const),
    headers: jsonType.map(withType),
    body: fc
      .oneof(
        fc.jsonValue({ maxDepth: 2 }).filter((v) => v === null || typeof v !== 'object' || Array.isArray(v)),
        validRating.map((r) => [r]),
        validRating.map((r) => JSON.stringify(r))
      )
      .map(body),
    chunked: fc.boolean()
  }),
  fc.record({
    kind: fc.constant('missing-field' as const),
    headers: jsonType.map(withType),
    body: fc
      .tuple(
        validRating,
        fc.constantFrom('movieId', 'rating', 'both'),
        fc.constantFrom('', 'movieid', 'movie_id', 'Rating')
      )
      .map(([r, drop, rename]) => {
        const out: Record<string, unknown> = { ...r }
        for (const k of drop === 'both' ? ['movieId', 'rating'] : [drop]) {
          if (rename !== '') out[rename] = out[k]
          delete out[k]
        }
        return out
      })
      .map(body),
    chunked: fc.boolean()
  }),
  fc.record({
    kind: fc.constant('extra-field' as const),
    headers: jsonType.map(withType),
    body: fc
      .tuple(
        validRating,
        fc.oneof(
          fc.string({ maxLength: 10 }),
          fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'movieId ', 'MovieId', 'count')
        ),
        fc.jsonValue({ maxDepth: 1 })
      )
      .filter(([, key]) => !FIELDS.has(key))
      .map(([r, key, value]) => {
        // Spliced in as text: assigning "__proto__" on an object literal would not create the key.
        const text = JSON.stringify(r)
        return Buffer.from(`${text.slice(0, -1)},${JSON.stringify(key)}:${JSON.stringify(value ?? null)}}`, 'utf8')
      }),
    chunked: fc.boolean()
  }),
  fc.record({
    kind: fc.constant('wrong-type' as const),
    headers: jsonType.map(withType),
    body: fc
      .tuple(validRating, fc.constantFrom('movieId', 'rating'), notANumber)
      .map(([r, field, value]) => body({ ...r, [field]: value })),
    chunked: fc.boolean()
  }),
  fc.record({
    kind: fc.constant('out-of-range' as const),
    headers: jsonType.map(withType),
    body: fc
      .tuple(
        movieId,
        fc.oneof(
          fc.integer({ min: -1_000_000, max: 0 }),
          fc.integer({ min: 11, max: Number.MAX_SAFE_INTEGER }),
          fc.double({ min: -1e6, max: 1e6, noNaN: true }).filter((x) => !Number.isInteger(x)),
          fc.constantFrom('1e400', '-1e400', '1e-400', '10.5', '0.9999999', '10.000001', '-0', '1e1000000')
        )
      )
      // Numbers spliced as text, so literals JSON.stringify cannot write (1e400) are sent too.
      .map(([m, r]) => Buffer.from(`{"movieId":${m},"rating":${typeof r === 'string' ? r : JSON.stringify(r)}}`)),
    chunked: fc.boolean()
  }),
  fc.record({
    kind: fc.constant('unknown-movie' as const),
    headers: jsonType.map(withType),
    body: fc
      .tuple(
        fc.oneof(
          fc.integer({ min: -1_000_000, max: 1_000_000 }),
          fc.constantFrom(Number.MAX_SAFE_INTEGER, 2 ** 53, 1e300, 362.5, -362, 0)
        ),
        rating
      )
      .filter(([m]) => !KNOWN_MOVIES.includes(m))
      .map(([m, r]) => body({ movieId: m, rating: r })),
    chunked: fc.boolean()
  }),
  fc.record({
    kind: fc.constant('huge-body' as const),
    headers: jsonType.map(withType),
    body: fc
      .tuple(validRating, fc.integer({ min: 1, max: 256 * 1024 }), fc.constantFrom('space', 'field', 'digits'))
      .map(([r, extra, how]) => {
        // Valid JSON but for its size: only the body limit can refuse it.
        if (how === 'space') return Buffer.from(JSON.stringify(r) + ' '.repeat(1024 + extra))
        if (how === 'digits') {
          return Buffer.from(`{"movieId":${r.movieId},"rating":${r.rating}.${'0'.repeat(1024 + extra)}}`)
        }
        return body({ ...r, pad: 'x'.repeat(1024 + extra) })
      }),
    chunked: fc.boolean()
  }),
  fc.record({
    kind: fc.constant('wrong-content-type' as const),
    headers: fc
      .oneof(
        fc.constantFrom(
          undefined,
          '',
          'text/plain',
          'text/plain; charset=utf-8',
          'text/json',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          'application/xml',
          'application/jsonx',
          'application/json-seq',
          'application/ld+json',
          'application/octet-stream',
          '*/*',
          'json',
          'application/',
          '/json'
        ),
        headerText
      )
      .map(withType),
    body: validRating.map(body),
    chunked: fc.boolean()
  }),
  fc.record({
    kind: fc.constant('bad-charset' as const),
    headers: fc
      .constantFrom('utf-16', 'UTF-16LE', 'utf-16be', 'latin1', 'iso-8859-1', 'us-ascii', 'utf-32', 'cp1252', 'x')
      .map((c) => ({ 'content-type': `application/json; charset=${c}` })),
    body: validRating.map(body),
    chunked: fc.boolean()
  }),
  fc.record({
    kind: fc.constant('content-encoding' as const),
    headers: fc
      .tuple(jsonType, fc.constantFrom('gzip', 'deflate', 'br', 'compress', 'x-gzip', 'GZIP', 'gzip, identity'))
      .map(([type, encoding]) => ({ 'content-type': type, 'content-encoding': encoding })),
    body: fc.tuple(validRating, fc.boolean()).map(([r, zip]) => (zip ? gzipSync(body(r)) : body(r))),
    chunked: fc.boolean()
  }),
  fc.record({
    kind: fc.constant('bad-bytes' as const),
    headers: jsonType.map(withType),
    body: fc
      .tuple(
        validRating,
        fc.constantFrom(
          // The same text in UTF-16 or UTF-32 (with and without a byte order mark).
          (s: string) => Buffer.from(s, 'utf16le'),
          (s: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(s, 'utf16le')]),
          (s: string) => Buffer.from(s, 'utf16le').swap16(),
          (s: string) => Buffer.from([...s].flatMap((c) => [0, 0, 0, c.charCodeAt(0)])),
          // Invalid UTF-8 inside a key: an overlong "I", a lone continuation byte, a truncated sequence, a NUL.
          (s: string) => Buffer.from(s.replace('movieId', 'movie\u0001d')).fill(0xc1, 7, 8),
          (s: string) => Buffer.concat([Buffer.from(s.slice(0, 3)), Buffer.from([0x80]), Buffer.from(s.slice(3))]),
          (s: string) =>
            Buffer.concat([Buffer.from(s.slice(0, 4)), Buffer.from([0xe2, 0x82]), Buffer.from(s.slice(4))]),
          (s: string) => Buffer.from(s.replace('rating', 'rat\u0000ing')),
          // Lone surrogates as escapes, in a key.
          (s: string) => Buffer.from(s.replace('"rating"', '"rating\\ud800"'))
        )
      )
      .map(([r, encode]) => encode(JSON.stringify(r))),
    chunked: fc.boolean()
  })
]

/** Every kind of bad request, with equal weight; `oracleAccepts` filters out the ones that are valid by chance. */
export const badRequest: fc.Arbitrary<BadRequest> = fc.oneof(...byKind).filter((r) => !oracleAccepts(r))

/**
 * What the service's contract accepts: `application/json` (any case, charset UTF-8 or none), no content coding, a body
 * of at most `bodyLimit` bytes that is UTF-8 JSON (a BOM allowed) of an object with exactly `movieId` (a known movie)
 * and `rating` (a whole number 1-10). Duplicate keys follow JSON.parse (the last one wins).
 */
export function oracleAccepts(r: BadRequest, bodyLimit = 1024): boolean {
  const type = r.headers['content-type']
  if (type === undefined) return false
  const [essence, ...params] = type.split(';').map((p) => p.trim())
  if (essence?.toLowerCase() !== 'application/json') return false
  for (const p of params) {
    const [k, v] = p.split('=').map((x) => x.trim().toLowerCase())
    if (k === 'charset' && v?.replace(/"/g, '') !== 'utf-8' && v?.replace(/"/g, '') !== 'utf8') return false
  }
  const encoding = r.headers['content-encoding']
  if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') return false
  if (r.body.length > bodyLimit) return false
  let value: unknown
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(r.body))
  } catch {
    return false
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false
  const keys = Object.keys(value)
  if (keys.length !== 2 || !keys.every((k) => FIELDS.has(k))) return false
  const { movieId: m, rating: n } = value as { movieId: unknown; rating: unknown }
  return (
    typeof m === 'number' &&
    KNOWN_MOVIES.includes(m) &&
    Number.isInteger(n) &&
    (n as number) >= 1 &&
    (n as number) <= 10
  )
}

/** Status code → count, and kind → count, for the report. */
export class Tally {
  readonly statuses = new Map<number, number>()
  readonly kinds = new Map<string, number>()
  total = 0
  add(kind: string, status: number): void {
    this.total++
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1)
    this.kinds.set(kind, (this.kinds.get(kind) ?? 0) + 1)
  }

  toString(): string {
    const sorted = (m: Map<string | number, number>): string =>
      [...m]
        .sort(([a], [b]) => String(a).localeCompare(String(b)))
        .map(([k, v]) => `${k}: ${v}`)
        .join(', ')
    return `${this.total} requests; status ${sorted(this.statuses)}; kinds ${sorted(this.kinds)}`
  }
}

/** A JSON error body as the service documents it: statusCode equal to the HTTP status, a code and a message. */
export function checkErrorBody(status: number, contentType: string | undefined, text: string): string | undefined {
  if (!/^application\/json/.test(contentType ?? '')) return `content-type ${contentType}`
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return `body is not JSON: ${text.slice(0, 80)}`
  }
  const e = parsed as { statusCode?: unknown; code?: unknown; message?: unknown }
  if (e.statusCode !== status) return `statusCode ${String(e.statusCode)} in a ${status}`
  if (typeof e.code !== 'string' || e.code === '') return 'no code'
  if (typeof e.message !== 'string' || e.message === '') return 'no message'
  return undefined
}
