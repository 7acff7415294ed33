// Parses and validates KafkaStreams configuration: Kafka Streams' names and defaults; everything that is not a
// Streams setting is a client property, passed to the clients (prefix `consumer.` / `producer.` / `admin.` to aim
// at one client). An invalid value stops start-up with a StreamsError naming the setting.
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { StreamsError } from '../../errors.ts'
import { logAndFailDeserialization, logAndFailProcessing } from '../../processor/errors.ts'
import type {
  DeserializationExceptionHandler,
  ProcessingExceptionHandler
} from '../../processor/internals/error-handlers.ts'
import type { Serde } from '../../serdes/serde.ts'
import type { ClientProperties } from '../../internals/client/kafka-client.ts'
import { cacheMaxBytes, deadLetterQueueTopic, handlerOption, optionalSerde } from '../streams-config.ts'
import type { StreamsConfig } from '../streams-config.ts'

export type ProcessingGuarantee = 'at_least_once' | 'exactly_once_v2'

export interface RuntimeConfig {
  readonly applicationId: string
  readonly bootstrapServers: string
  readonly processingGuarantee: ProcessingGuarantee
  readonly commitIntervalMs: number
  readonly cacheMaxBytes: number
  readonly stateDir: string
  readonly replicationFactor: number
  readonly numStandbyReplicas: number
  readonly applicationServer: string | undefined
  readonly pollMs: number
  /**
   * `commit.idle.ms` (kstreams-ts only; -1, the default, is off): with records processed since the last commit, a
   * poll that returns nothing within this many ms commits at once instead of waiting for `commit.interval.ms`, so a
   * record cache coalesces updates under load without delaying a lone record by up to the interval. Under
   * exactly-once polls keep their full `poll.ms`, so only a poll that came back empty after it commits early.
   */
  readonly commitIdleMs: number
  readonly maxPollRecords: number
  readonly defaultKeySerde: Serde<unknown> | undefined
  readonly defaultValueSerde: Serde<unknown> | undefined
  readonly deserializationExceptionHandler: DeserializationExceptionHandler
  readonly processingExceptionHandler: ProcessingExceptionHandler
  /** `errors.dead.letter.queue.topic.name` (KIP-1034); the topic must exist. */
  readonly deadLetterQueueTopic: string | undefined
  /** Properties for every client; `consumer.`/`producer.`/`admin.` prefixed ones go to that client only. */
  readonly common: ClientProperties
  readonly consumer: ClientProperties
  readonly producer: ClientProperties
  readonly admin: ClientProperties
}

const STREAMS_KEYS = new Set([
  'application.id',
  'bootstrap.servers',
  'processing.guarantee',
  'commit.interval.ms',
  'cache.max.bytes.buffering',
  'statestore.cache.max.bytes',
  'state.dir',
  'replication.factor',
  'num.standby.replicas',
  'application.server',
  'poll.ms',
  'commit.idle.ms',
  'max.poll.records',
  'default.key.serde',
  'default.value.serde',
  'default.deserialization.exception.handler',
  'deserialization.exception.handler',
  'processing.exception.handler',
  'errors.dead.letter.queue.topic.name',
  'num.stream.threads',
  'topology.optimization'
])

function invalid(setting: string, message: string): StreamsError {
  return new StreamsError('CONFIG_INVALID', `${setting}: ${message}`, { setting })
}

function str(config: StreamsConfig, key: string, fallback?: string): string {
  const v = config[key]
  if (v === undefined) {
    if (fallback === undefined) throw invalid(key, 'is required')
    return fallback
  }
  if (typeof v !== 'string' || v.trim() === '') {
    throw invalid(key, `expected a non-empty string, got ${JSON.stringify(v)}`)
  }
  return v.trim()
}

function int(config: StreamsConfig, key: string, fallback: number, min: number): number {
  const v = config[key]
  if (v === undefined) return fallback
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : NaN
  if (!Number.isInteger(n) || n < min) throw invalid(key, `expected an integer >= ${min}, got ${JSON.stringify(v)}`)
  return n
}

export function parseRuntimeConfig(config: StreamsConfig): RuntimeConfig {
  if (config === null || typeof config !== 'object') {
    throw new StreamsError('CONFIG_INVALID', 'config must be an object of Kafka Streams properties')
  }
  const applicationId = str(config, 'application.id')
  if (!/^[a-zA-Z0-9._-]+$/.test(applicationId)) {
    throw invalid(
      'application.id',
      `may contain only letters, digits, '.', '_' and '-', got ${JSON.stringify(applicationId)}`
    )
  }
  const bootstrapServers = str(config, 'bootstrap.servers')
  const guarantee = str(config, 'processing.guarantee', 'at_least_once')
  if (guarantee !== 'at_least_once' && guarantee !== 'exactly_once_v2') {
    throw invalid('processing.guarantee', `expected at_least_once or exactly_once_v2, got ${JSON.stringify(guarantee)}`)
  }
  const eos = guarantee === 'exactly_once_v2'
  const numStandbyReplicas = int(config, 'num.standby.replicas', 0, 0)
  if (numStandbyReplicas !== 0) {
    throw invalid(
      'num.standby.replicas',
      'standby replicas are not supported yet; use 0 (state is restored from changelogs)'
    )
  }
  const threads = int(config, 'num.stream.threads', 1, 1)
  if (threads !== 1) {
    throw invalid(
      'num.stream.threads',
      'one stream thread per instance (Node is single-threaded); run more instances to scale out'
    )
  }
  // topology.optimization takes effect in StreamsBuilder.build(config), before the topology reaches KafkaStreams.
  const applicationServer = config['application.server'] === undefined ? undefined : str(config, 'application.server')
  if (applicationServer !== undefined && !/^[^:\s]+:\d{1,5}$/.test(applicationServer)) {
    throw invalid('application.server', `expected host:port, got ${JSON.stringify(applicationServer)}`)
  }

  const common: Record<string, string | number | boolean> = {}
  const consumer: Record<string, string | number | boolean> = {}
  const producer: Record<string, string | number | boolean> = {}
  const admin: Record<string, string | number | boolean> = {}
  for (const [key, value] of Object.entries(config)) {
    if (STREAMS_KEYS.has(key) || value === undefined) continue
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw invalid(key, 'client properties must be strings, numbers or booleans')
    }
    if (key.startsWith('consumer.')) consumer[key.slice(9)] = value
    else if (key.startsWith('producer.')) producer[key.slice(9)] = value
    else if (key.startsWith('admin.')) admin[key.slice(6)] = value
    else common[key] = value
  }
  common['bootstrap.servers'] = bootstrapServers
  return {
    applicationId,
    bootstrapServers,
    processingGuarantee: guarantee,
    commitIntervalMs: int(config, 'commit.interval.ms', eos ? 100 : 30_000, 0),
    cacheMaxBytes: cacheMaxBytes(config),
    stateDir: config['state.dir'] === undefined ? join(tmpdir(), 'kafka-streams') : str(config, 'state.dir'),
    replicationFactor: int(config, 'replication.factor', -1, -1),
    numStandbyReplicas,
    applicationServer,
    pollMs: int(config, 'poll.ms', 100, 0),
    commitIdleMs: int(config, 'commit.idle.ms', -1, -1),
    maxPollRecords: int(config, 'max.poll.records', 1000, 1),
    defaultKeySerde: optionalSerde(config, 'default.key.serde'),
    defaultValueSerde: optionalSerde(config, 'default.value.serde'),
    deserializationExceptionHandler: handlerOption(
      config,
      'deserialization.exception.handler',
      handlerOption(config, 'default.deserialization.exception.handler', logAndFailDeserialization)
    ),
    processingExceptionHandler: handlerOption(config, 'processing.exception.handler', logAndFailProcessing),
    deadLetterQueueTopic: deadLetterQueueTopic(config),
    common,
    consumer,
    producer,
    admin
  }
}
