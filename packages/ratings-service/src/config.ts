// Service configuration: environment variables over an optional Java-style properties file (a Confluent Cloud
// client.properties works as downloaded) over defaults that run against the local infrastructure. Every value is
// checked here, so a bad setting stops start-up with one ConfigError naming its key instead of failing later.
import { readFileSync } from 'node:fs'
import { hostname } from 'node:os'

/** A setting that cannot be used; `key` is the name the user wrote (env var or property). */
export class ConfigError extends Error {
  readonly key: string

  constructor(key: string, message: string) {
    super(`${key}: ${message}`)
    this.name = 'ConfigError'
    this.key = key
  }
}

/** Everything the service reads from its environment, already validated. */
export interface ServiceConfig {
  readonly host: string
  readonly port: number
  readonly applicationId: string
  /** `host:port` other instances use to reach this one for interactive queries. */
  readonly applicationServer: string
  readonly stateDir: string | undefined
  readonly topics: {
    readonly ratings: string
    readonly averages: string
    /** Count and sum per movie: what the live table and the WebSocket feed read. */
    readonly stats: string
    /** Where the engine sends records it cannot read or process (`POISON_RECORD_POLICY=dead-letter`). */
    readonly deadLetter: string
    readonly partitions: number
    /** -1 leaves it to the broker's `default.replication.factor` (3 on Confluent Cloud). */
    readonly replicationFactor: number
  }
  /**
   * What the engine does with a record it cannot deserialize or process: `dead-letter` (default: log, skip, write it
   * with the error in headers to the dead-letter topic), `skip` (log and skip) or `fail` (stop the engine).
   */
  readonly poisonRecordPolicy: 'dead-letter' | 'skip' | 'fail'
  /** The engine's `processing.guarantee` (PROCESSING_GUARANTEE): at_least_once (default, as Kafka Streams) or exactly_once_v2. */
  readonly processingGuarantee: 'at_least_once' | 'exactly_once_v2'
  /**
   * The engine's `commit.interval.ms` (COMMIT_INTERVAL_MS); unset, the default of the guarantee (see
   * engineCommitSettings in engine.ts). Longer: less broker work per rating, later averages.
   */
  readonly commitIntervalMs: number | undefined
  /** librdkafka properties shared by the producer, the feed consumer, the admin client and the engine. */
  readonly kafka: Readonly<Record<string, string | number | boolean>>
  readonly registry: { readonly url: string; readonly basicAuth: string | undefined }
  /**
   * How long POST /rating waits for the broker's acknowledgement (PRODUCE_TIMEOUT_MS): past it the route answers 503.
   * The producer itself keeps trying longer (RATING_DELIVERY_TIMEOUT_MS in kafka.ts), so the rating may still land.
   */
  readonly produceTimeoutMs: number
  readonly bodyLimit: number
  /** A WebSocket whose unsent bytes exceed this is closed (1013); it reconnects and gets a fresh snapshot. */
  readonly wsMaxBufferedBytes: number
  readonly shutdownTimeoutMs: number
  readonly logLevel: string
  readonly movies: ReadonlyMap<number, string>
}

export const MOVIES: ReadonlyMap<number, string> = new Map([
  [362, 'Lethal Weapon'],
  [363, 'Guardians of the Galaxy'],
  [364, 'Se7en']
])

/**
 * Parses Java `.properties` text: `key=value`, `key: value` or `key value`, `#`/`!` comments, backslash line
 * continuations and escapes (`\uXXXX`, `\t`, `\n`, `\=`, `\:`).
 */
export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>()
  const lines = text.split(/\r\n|\r|\n/)
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.replace(/^\s+/, '')
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue
    // An odd number of trailing backslashes continues the logical line.
    while (/(^|[^\\])(\\\\)*\\$/.test(line) && i + 1 < lines.length) {
      line = line.slice(0, -1) + lines[++i]!.replace(/^\s+/, '')
    }
    let k = 0
    while (k < line.length && !/[=:\s]/.test(line[k]!)) k += line[k] === '\\' ? 2 : 1
    const key = unescape(line.slice(0, k))
    let rest = line.slice(k).replace(/^\s*/, '')
    if (rest.startsWith('=') || rest.startsWith(':')) rest = rest.slice(1).replace(/^\s*/, '')
    out.set(key, unescape(rest))
  }
  return out
}

function unescape(s: string): string {
  return s.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, c: string) => {
    if (c.length === 5) return String.fromCharCode(parseInt(c.slice(1), 16))
    return ({ t: '\t', n: '\n', r: '\r', f: '\f' } as Record<string, string>)[c] ?? c
  })
}

const SECRET = /(password|secret|jaas|token|credential|user\.info|api\.key)/i

/** True for setting names whose values are never logged. */
export function isSecret(key: string): boolean {
  return SECRET.test(key)
}

/** A copy of `config` safe to log: secret values replaced, registry credentials removed. */
export function redactConfig(config: ServiceConfig): Record<string, unknown> {
  const kafka: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(config.kafka)) kafka[k] = isSecret(k) ? '[redacted]' : v
  return {
    ...config,
    movies: Object.fromEntries(config.movies),
    kafka,
    registry: {
      url: config.registry.url,
      basicAuth: config.registry.basicAuth === undefined ? undefined : '[redacted]'
    }
  }
}

// Java-only client settings with no librdkafka equivalent; librdkafka would refuse to start with them.
const JAVA_ONLY = new Set([
  'client.dns.lookup',
  'key.serializer',
  'value.serializer',
  'key.deserializer',
  'value.deserializer',
  'interceptor.classes',
  'sasl.login.callback.handler.class',
  'sasl.client.callback.handler.class'
])
// Settings the service itself reads from the properties file (not passed to Kafka clients).
const REGISTRY_KEYS = new Set([
  'schema.registry.url',
  'basic.auth.credentials.source',
  'basic.auth.user.info',
  'schema.registry.basic.auth.user.info'
])
const SECURITY_PROTOCOLS = new Set(['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'])
const SASL_MECHANISMS = new Set(['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER', 'GSSAPI'])

// Environment variables for the client settings most deployments change; any other client setting goes in the file.
const ENV_TO_PROPERTY: ReadonlyArray<readonly [string, string]> = [
  ['KAFKA_BOOTSTRAP', 'bootstrap.servers'],
  ['KAFKA_SECURITY_PROTOCOL', 'security.protocol'],
  ['KAFKA_SASL_MECHANISM', 'sasl.mechanism'],
  ['KAFKA_SASL_USERNAME', 'sasl.username'],
  ['KAFKA_SASL_PASSWORD', 'sasl.password'],
  ['SCHEMA_REGISTRY_URL', 'schema.registry.url'],
  ['SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO', 'basic.auth.user.info']
]

type Env = Readonly<Record<string, string | undefined>>

function int(env: Env, key: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[key]
  if (raw === undefined || raw === '') return fallback
  if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(key, `expected an integer, got ${JSON.stringify(raw)}`)
  const n = Number(raw)
  if (n < min || n > max) throw new ConfigError(key, `expected an integer from ${min} to ${max}, got ${n}`)
  return n
}

function percentDecoded(s: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    return s // a lone "%" is taken as it is
  }
}

function checkBootstrap(key: string, value: string): void {
  for (const part of value.split(',')) {
    const entry = part.trim().replace(/^[A-Za-z_]+:\/\//, '')
    const m = /^(\[[^\]]+\]|[^:\s/]+):(\d{1,5})$/.exec(entry)
    if (m === null || Number(m[2]) < 1 || Number(m[2]) > 65535) {
      // Credentials pasted into the address (user:password@host) are not echoed.
      const shown = part
        .trim()
        .replace(/^([A-Za-z_]+:\/\/)?[^@]*@/, (_, scheme?: string) => `${scheme ?? ''}[redacted]@`)
      throw new ConfigError(key, `"${shown}" is not host:port`)
    }
  }
}

/**
 * Reads the configuration. `env` defaults to `process.env`; `KAFKA_CONFIG_FILE` (or `options.file`) names a
 * properties file. Throws a {@link ConfigError} naming the first invalid key.
 */
export function loadConfig(env: Env = process.env, options: { file?: string } = {}): ServiceConfig {
  const props = new Map<string, string>()
  const origin = new Map<string, string>() // property -> the name the user wrote, for error messages
  const file = options.file ?? env.KAFKA_CONFIG_FILE
  if (file !== undefined && file !== '') {
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch (e) {
      throw new ConfigError(
        'KAFKA_CONFIG_FILE',
        `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`
      )
    }
    for (const [k, v] of parseProperties(text)) {
      props.set(k, v)
      origin.set(k, k)
    }
  }
  for (const [envKey, prop] of ENV_TO_PROPERTY) {
    const v = env[envKey]
    if (v !== undefined && v !== '') {
      props.set(prop, v)
      origin.set(prop, envKey)
    }
  }
  const name = (prop: string): string => origin.get(prop) ?? prop
  if (props.has('sasl.mechanisms') && !props.has('sasl.mechanism')) {
    props.set('sasl.mechanism', props.get('sasl.mechanisms')!)
    origin.set('sasl.mechanism', name('sasl.mechanisms'))
    props.delete('sasl.mechanisms')
  }
  for (const key of props.keys()) {
    // Confluent Cloud's template ships placeholders such as {{ CLUSTER_API_KEY }}: a clear error beats an auth failure.
    if (/\{\{.*\}\}/.test(props.get(key)!)) {
      throw new ConfigError(name(key), 'still holds a {{ placeholder }} from the template')
    }
  }

  const bootstrap = props.get('bootstrap.servers') ?? '127.0.0.1:9092'
  checkBootstrap(name('bootstrap.servers'), bootstrap)
  const protocol = (props.get('security.protocol') ?? 'PLAINTEXT').toUpperCase()
  if (!SECURITY_PROTOCOLS.has(protocol)) {
    throw new ConfigError(
      name('security.protocol'),
      `expected one of ${[...SECURITY_PROTOCOLS].join(', ')}, got ${JSON.stringify(props.get('security.protocol'))}`
    )
  }
  const kafka: Record<string, string | number | boolean> = {}
  for (const [k, v] of props) {
    if (JAVA_ONLY.has(k) || REGISTRY_KEYS.has(k) || k.startsWith('schema.registry.') || k === 'sasl.jaas.config') {
      continue
    }
    kafka[k] = v
  }
  kafka['bootstrap.servers'] = bootstrap
  kafka['security.protocol'] = protocol
  if (protocol.startsWith('SASL_')) {
    const mechanism = (props.get('sasl.mechanism') ?? 'PLAIN').toUpperCase()
    if (!SASL_MECHANISMS.has(mechanism)) {
      throw new ConfigError(
        name('sasl.mechanism'),
        `expected one of ${[...SASL_MECHANISMS].join(', ')}, got ${JSON.stringify(props.get('sasl.mechanism'))}`
      )
    }
    kafka['sasl.mechanism'] = mechanism
    const jaas = props.get('sasl.jaas.config')
    if (jaas !== undefined && (!props.has('sasl.username') || !props.has('sasl.password'))) {
      const user = /username\s*=\s*(?:"([^"]*)"|'([^']*)')/.exec(jaas)
      const pass = /password\s*=\s*(?:"([^"]*)"|'([^']*)')/.exec(jaas)
      if (user === null || pass === null) {
        throw new ConfigError(
          name('sasl.jaas.config'),
          "expected a PlainLoginModule/ScramLoginModule entry with username='…' and password='…'"
        )
      }
      kafka['sasl.username'] = props.get('sasl.username') ?? user[1] ?? user[2] ?? ''
      kafka['sasl.password'] = props.get('sasl.password') ?? pass[1] ?? pass[2] ?? ''
    }
    if (
      (mechanism === 'PLAIN' || mechanism.startsWith('SCRAM')) &&
      (kafka['sasl.username'] === undefined || kafka['sasl.password'] === undefined)
    ) {
      throw new ConfigError(
        name('sasl.jaas.config'),
        `security.protocol ${protocol} with ${mechanism} needs sasl.username and sasl.password (or sasl.jaas.config)`
      )
    }
  } else {
    // Deliberately no SASL without a SASL protocol: librdkafka would ignore the credentials silently.
    for (const k of ['sasl.mechanism', 'sasl.username', 'sasl.password']) delete kafka[k]
  }

  const registryUrl = props.get('schema.registry.url') ?? 'http://127.0.0.1:8081/apis/ccompat/v7'
  let parsedUrl: URL
  try {
    parsedUrl = new URL(registryUrl)
  } catch {
    throw new ConfigError(name('schema.registry.url'), 'is not a URL')
  }
  if (parsedUrl.protocol !== 'http:' && parsedUrl.protocol !== 'https:' && parsedUrl.protocol !== 'mock:') {
    throw new ConfigError(name('schema.registry.url'), `expected http(s)://, got ${parsedUrl.protocol}//`)
  }
  // Credentials in the URL (Confluent's basic.auth.credentials.source=URL) move to basicAuth: the URL is logged.
  let urlAuth: string | undefined
  if (parsedUrl.username !== '' || parsedUrl.password !== '') {
    urlAuth = `${percentDecoded(parsedUrl.username)}:${percentDecoded(parsedUrl.password)}`
    parsedUrl.username = ''
    parsedUrl.password = ''
  }
  const source = (
    props.get('basic.auth.credentials.source') ?? (props.has('basic.auth.user.info') ? 'USER_INFO' : 'URL')
  ).toUpperCase()
  let basicAuth: string | undefined
  if (source === 'URL') {
    basicAuth = urlAuth
  } else if (source === 'USER_INFO') {
    basicAuth = props.get('basic.auth.user.info') ?? props.get('schema.registry.basic.auth.user.info')
    if (basicAuth === undefined || !basicAuth.includes(':')) {
      throw new ConfigError(
        name('basic.auth.user.info'),
        'basic.auth.credentials.source=USER_INFO needs basic.auth.user.info as key:secret'
      )
    }
  } else if (source === 'SASL_INHERIT') {
    if (kafka['sasl.username'] === undefined) {
      throw new ConfigError(name('basic.auth.credentials.source'), 'SASL_INHERIT needs SASL credentials')
    }
    basicAuth = `${kafka['sasl.username']}:${kafka['sasl.password']}`
  } else {
    throw new ConfigError(
      name('basic.auth.credentials.source'),
      `expected USER_INFO, URL or SASL_INHERIT, got ${JSON.stringify(source)}`
    )
  }

  const port = int(env, 'PORT', 8080, 0, 65535)
  const host = env.HOST ?? '0.0.0.0'
  const applicationId = env.APPLICATION_ID ?? 'ratings-service'
  if (!/^[A-Za-z0-9._-]+$/.test(applicationId)) {
    throw new ConfigError('APPLICATION_ID', 'may contain only letters, digits, ".", "_" and "-"')
  }
  const applicationServer = env.APPLICATION_SERVER ?? `${hostname()}:${port}`
  if (!/^[^:\s]+:\d{1,5}$/.test(applicationServer)) {
    throw new ConfigError('APPLICATION_SERVER', `expected host:port, got ${JSON.stringify(applicationServer)}`)
  }
  const topic = (key: string, fallback: string): string => {
    const v = env[key] ?? fallback
    if (!/^[A-Za-z0-9._-]{1,249}$/.test(v)) {
      throw new ConfigError(key, `is not a valid topic name: ${JSON.stringify(v)}`)
    }
    return v
  }
  const replication = int(env, 'TOPIC_REPLICATION_FACTOR', -1, -1, 32767)
  if (replication === 0) throw new ConfigError('TOPIC_REPLICATION_FACTOR', 'expected -1 (broker default) or at least 1')
  const policy = env.POISON_RECORD_POLICY ?? 'dead-letter'
  if (policy !== 'dead-letter' && policy !== 'skip' && policy !== 'fail') {
    throw new ConfigError('POISON_RECORD_POLICY', `expected dead-letter, skip or fail, got ${JSON.stringify(policy)}`)
  }
  const guarantee = env.PROCESSING_GUARANTEE ?? 'at_least_once'
  if (guarantee !== 'at_least_once' && guarantee !== 'exactly_once_v2') {
    throw new ConfigError(
      'PROCESSING_GUARANTEE',
      `expected at_least_once or exactly_once_v2, got ${JSON.stringify(guarantee)}`
    )
  }
  const logLevel = env.LOG_LEVEL ?? 'info'
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `unknown level ${JSON.stringify(logLevel)}`)
  }

  return {
    host,
    port,
    applicationId,
    applicationServer,
    stateDir: env.STATE_DIR === '' ? undefined : env.STATE_DIR,
    poisonRecordPolicy: policy,
    processingGuarantee: guarantee,
    commitIntervalMs:
      env.COMMIT_INTERVAL_MS === undefined ? undefined : int(env, 'COMMIT_INTERVAL_MS', 0, 0, 3_600_000),
    topics: {
      ratings: topic('RATINGS_TOPIC', 'ratings'),
      averages: topic('RATING_AVERAGES_TOPIC', 'rating-averages'),
      stats: topic('RATING_STATS_TOPIC', 'rating-stats'),
      deadLetter: topic('RATINGS_DLQ_TOPIC', 'ratings-dlq'),
      partitions: int(env, 'TOPIC_PARTITIONS', 3, 1, 10_000),
      replicationFactor: replication
    },
    kafka,
    registry: { url: urlAuth === undefined ? registryUrl : parsedUrl.toString(), basicAuth },
    produceTimeoutMs: int(env, 'PRODUCE_TIMEOUT_MS', 10_000, 100, 300_000),
    bodyLimit: int(env, 'BODY_LIMIT_BYTES', 1024, 64, 1024 * 1024),
    wsMaxBufferedBytes: int(env, 'WS_MAX_BUFFERED_BYTES', 1024 * 1024, 1024),
    shutdownTimeoutMs: int(env, 'SHUTDOWN_TIMEOUT_MS', 10_000, 100),
    logLevel,
    movies: MOVIES
  }
}
