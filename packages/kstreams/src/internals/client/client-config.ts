// Client configuration checks that give one clear error naming the setting, before anything native is created,
// and the translation of Java-client properties (as found in a Confluent Cloud client.properties) to librdkafka's.
import { StreamsError } from '../../errors.ts'
import type { ClientLogger, ClientProperties, LogLevel } from './kafka-client.ts'

export interface BrokerAddress {
  readonly host: string
  readonly port: number
}

const SECURITY_PROTOCOLS = new Set(['plaintext', 'ssl', 'sasl_plaintext', 'sasl_ssl'])

/**
 * Parses `bootstrap.servers`: a comma-separated list of `host:port`, optionally `PROTOCOL://host:port`, IPv6 hosts in
 * brackets. Unlike librdkafka, a missing port is an error (as in the Java client) rather than a silent 9092.
 */
export function parseBootstrapServers(raw: unknown): BrokerAddress[] {
  const setting = 'bootstrap.servers'
  if (raw === undefined || raw === null || String(raw).trim() === '') {
    throw new StreamsError('CONFIG_INVALID', `${setting}: required (e.g. "localhost:9092")`, { setting })
  }
  if (typeof raw !== 'string') {
    throw new StreamsError('CONFIG_INVALID', `${setting}: expected a string of host:port pairs, got ${typeof raw}`, {
      setting
    })
  }
  const out: BrokerAddress[] = []
  for (const part of raw.split(',')) {
    const entry = part.trim()
    const bad = (why: string): StreamsError =>
      new StreamsError('CONFIG_INVALID', `${setting}: "${entry}" is not a valid host:port (${why})`, { setting })
    if (entry === '') throw bad('empty entry')
    let rest = entry
    const scheme = /^([A-Za-z_]+):\/\//.exec(rest)
    if (scheme) {
      if (!SECURITY_PROTOCOLS.has(scheme[1]!.toLowerCase())) throw bad(`unknown protocol ${scheme[1]}`)
      rest = rest.slice(scheme[0].length)
    }
    let host: string
    let portText: string
    if (rest.startsWith('[')) {
      const close = rest.indexOf(']')
      if (close < 0 || rest[close + 1] !== ':') throw bad('expected [ipv6]:port')
      host = rest.slice(1, close)
      portText = rest.slice(close + 2)
    } else {
      const colon = rest.lastIndexOf(':')
      if (colon < 0) throw bad('missing port')
      host = rest.slice(0, colon)
      portText = rest.slice(colon + 1)
    }
    if (host === '' || /[\s/?#@]/.test(host) || (!rest.startsWith('[') && host.includes(':'))) throw bad('bad host')
    if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
      throw bad('port must be 1-65535')
    }
    out.push({ host, port: Number(portText) })
  }
  return out
}

const SECRET_KEY = /(password|secret|jaas|token|credential|\.pem$|oauthbearer\.config|basic\.auth\.user\.info)/i

/** True for property names whose values must never be logged or put into error messages. */
export function isSecretSetting(key: string): boolean {
  return SECRET_KEY.test(key)
}

/** Replaces secret values (by property name) with "[redacted]", for logging a configuration. */
export function redactProperties(properties: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(properties)) out[k] = isSecretSetting(k) ? '[redacted]' : v
  return out
}

/** Returns a function that removes every secret value found in `properties` from a free-text message. */
export function secretScrubber(properties: Readonly<Record<string, unknown>>): (text: string) => string {
  const secrets = Object.entries(properties)
    .filter(([k, v]) => isSecretSetting(k) && typeof v === 'string' && v.length >= 3)
    .map(([, v]) => v as string)
    .sort((a, b) => b.length - a.length)
  if (secrets.length === 0) return (text) => text
  return (text) => {
    let out = text
    for (const s of secrets) out = out.split(s).join('[redacted]')
    return out
  }
}

// Java-only client properties that have no librdkafka equivalent and would make it refuse the configuration.
// Dropping them keeps a Java client.properties usable as is.
const JAVA_ONLY = new Set([
  'client.dns.lookup',
  'key.serializer',
  'value.serializer',
  'key.deserializer',
  'value.deserializer',
  'interceptor.classes',
  'sasl.login.callback.handler.class',
  'sasl.client.callback.handler.class',
  'ssl.endpoint.identification.algorithm.class'
])

/**
 * Maps a user's properties to librdkafka's: `sasl.jaas.config` with PlainLoginModule/ScramLoginModule becomes
 * `sasl.username`/`sasl.password`, Java-only properties are dropped, and `schema.registry.*`/`basic.auth.*` (read
 * by the registry client, not Kafka's) are left out. Everything else passes through unchanged.
 */
export function toLibrdkafkaProperties(properties: ClientProperties): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {}
  for (const [key, value] of Object.entries(properties)) {
    if (value === undefined) continue
    if (JAVA_ONLY.has(key) || key.startsWith('schema.registry.') || key.startsWith('basic.auth.')) continue
    if (key === 'sasl.jaas.config') {
      const text = String(value)
      const user = /username\s*=\s*(?:"([^"]*)"|'([^']*)')/.exec(text)
      const pass = /password\s*=\s*(?:"([^"]*)"|'([^']*)')/.exec(text)
      if (!user || !pass) {
        throw new StreamsError(
          'CONFIG_INVALID',
          'sasl.jaas.config: only PlainLoginModule/ScramLoginModule with username and password is understood; ' +
            'set sasl.username and sasl.password instead',
          { setting: 'sasl.jaas.config' }
        )
      }
      if (properties['sasl.username'] === undefined) out['sasl.username'] = user[1] ?? user[2] ?? ''
      if (properties['sasl.password'] === undefined) out['sasl.password'] = pass[1] ?? pass[2] ?? ''
      continue
    }
    out[key] = value
  }
  return out
}

const LEVELS: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 }

/** librdkafka syslog severity (0 emerg … 7 debug) to our levels. */
export function syslogToLevel(severity: number): LogLevel {
  if (severity <= 3) return 'error'
  if (severity === 4) return 'warn'
  if (severity <= 6) return 'info'
  return 'debug'
}

/** librdkafka `log_level` for the lowest level we forward, so that dropped lines are not even produced. */
export function levelToSyslog(level: LogLevel): number {
  return { debug: 7, info: 6, warn: 4, error: 3 }[level]
}

export function levelEnabled(threshold: LogLevel, level: LogLevel): boolean {
  return LEVELS[level] >= LEVELS[threshold]
}

/** Default logger: errors only, one line each on stderr. */
export const stderrErrorLogger: ClientLogger = {
  log(level, message) {
    if (level === 'error') process.stderr.write(`[kstreams-ts] kafka client: ${message}\n`)
  }
}

/** Checks the numeric options of ClientOptions. */
export function positiveMs(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback
  if (!Number.isFinite(value) || value <= 0) {
    throw new StreamsError('CONFIG_INVALID', `${name}: expected a positive number of milliseconds, got ${value}`, {
      setting: name
    })
  }
  return value
}

// librdkafka reports some properties under their canonical name; the user should see the name they wrote.
const ALIASES: Record<string, readonly string[]> = {
  'request.required.acks': ['acks'],
  'sasl.mechanisms': ['sasl.mechanism'],
  'metadata.broker.list': ['bootstrap.servers'],
  'queue.buffering.max.ms': ['linger.ms'],
  'max.in.flight.requests.per.connection': ['max.in.flight']
}

/**
 * Pulls the property name out of librdkafka's configuration errors (`No such configuration property: "x"`,
 * `Invalid value "v" for configuration property "x"`), spelt as in `properties` when the user used an alias.
 */
export function settingFromConfigError(
  message: string,
  properties: Readonly<Record<string, unknown>> = {}
): string | undefined {
  const m = /configuration property[:\s]+"([^"]+)"/i.exec(message) ?? /property "([^"]+)"/i.exec(message)
  const name = m?.[1]
  if (name === undefined || name in properties) return name
  return ALIASES[name]?.find((alias) => alias in properties) ?? name
}

/**
 * Parses a Java `.properties` file as Confluent Cloud's "client.properties" download: `key=value` or `key: value`
 * lines, `#`/`!` comments, backslash line continuations. Values stay strings (librdkafka parses them).
 */
export function parseJavaProperties(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.trim()
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue
    while (line.endsWith('\\') && i + 1 < lines.length) line = line.slice(0, -1) + lines[++i]!.trim()
    const m = /^([^=:\s]+)\s*[=:\s]\s*(.*)$/.exec(line)
    if (m) out[m[1]!] = m[2]!
  }
  return out
}
