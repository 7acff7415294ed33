import { randomUUID } from 'node:crypto'
import { StreamsError } from '../errors.ts'
import type { KeyValue } from '../key-value.ts'
import type { Topology } from '../processor/topology.ts'
import type { Serializer } from '../serdes/serde.ts'
import type { ReadOnlyKeyValueStore, TimestampedKeyValueStore, KeyValueStore } from '../state/key-value-store.ts'
import { KeyValueStoreFacade } from '../state/internals/store-facades.ts'
import { confluentClientProvider } from '../internals/client/index.ts'
import type { AdminClient, ClientLogger, ConsumerClient, KafkaClientProvider, ProducerClient } from '../internals/client/kafka-client.ts'
import { partitionForKey } from './internals/murmur2.ts'
import { parseRuntimeConfig } from './internals/runtime-config.ts'
import type { RuntimeConfig } from './internals/runtime-config.ts'
import { StreamThread } from './internals/stream-thread.ts'
import { planTopics } from './internals/topic-plan.ts'
import type { TopicPlan } from './internals/topic-plan.ts'
import type { StreamsConfig } from './streams-config.ts'

/** Lifecycle states, as Kafka Streams' `KafkaStreams.State`. */
export type KafkaStreamsState = 'CREATED' | 'REBALANCING' | 'RUNNING' | 'PENDING_SHUTDOWN' | 'NOT_RUNNING' | 'PENDING_ERROR' | 'ERROR'

export type StateListener = (newState: KafkaStreamsState, oldState: KafkaStreamsState) => void

export interface StreamsLogger {
  log (level: 'debug' | 'info' | 'warn' | 'error', message: string, fields?: Readonly<Record<string, unknown>>): void
}

export interface KafkaStreamsOptions {
  /** The Kafka client to use; default @confluentinc/kafka-javascript. */
  readonly clientProvider?: KafkaClientProvider
  /** Receives engine and client logs. Default: warnings and errors on stderr. Secrets are never passed to it. */
  readonly logger?: StreamsLogger
}

/** Where a key lives: its partition and, when known, the `application.server` of the instance that owns it. */
export interface KeyQueryMetadata {
  readonly partition: number
  /** `host:port` of the owner when it is this instance, else undefined (routing across instances is TODO). */
  readonly activeHost: string | undefined
  readonly local: boolean
}

export interface StreamsMetrics {
  readonly state: KafkaStreamsState
  readonly recordsProcessedTotal: number
  readonly recordsProcessedPerSecond: number
  readonly commitTotal: number
  readonly commitLatencyAvgMs: number
  readonly commitLatencyMaxMs: number
  readonly restoredRecordsTotal: number
  readonly restoringStores: number
  readonly droppedRecordsTotal: number
  readonly tasks: readonly string[]
}

interface Preparable {
  prepare?: (topic: string, isKey: boolean, usage: 'read' | 'write' | 'both') => Promise<void>
}

const defaultLogger: StreamsLogger = {
  log: (level, message, fields) => {
    if (level === 'warn' || level === 'error') console.error(`[kstreams] ${level}: ${message}${fields === undefined ? '' : ' ' + JSON.stringify(fields)}`)
  }
}

const TRANSITIONS: Record<KafkaStreamsState, readonly KafkaStreamsState[]> = {
  CREATED: ['REBALANCING', 'PENDING_SHUTDOWN', 'PENDING_ERROR'],
  REBALANCING: ['RUNNING', 'REBALANCING', 'PENDING_SHUTDOWN', 'PENDING_ERROR'],
  RUNNING: ['REBALANCING', 'PENDING_SHUTDOWN', 'PENDING_ERROR'],
  PENDING_SHUTDOWN: ['NOT_RUNNING'],
  NOT_RUNNING: [],
  PENDING_ERROR: ['ERROR'],
  ERROR: []
}

/**
 * Runs a topology against a Kafka cluster, as Kafka Streams' `KafkaStreams`. Lifecycle: `start()` checks the
 * configuration and the source topics, creates internal topics (repartition and compacted changelogs), connects and
 * joins the consumer group named by `application.id`; tasks (one per sub-topology and partition) are created on
 * assignment and restored from their changelogs before they process anything. `close()` commits, writes checkpoints
 * and leaves the group. Instances with the same `application.id` share the partitions.
 */
export class KafkaStreams {
  readonly #topology: Topology
  readonly #config: RuntimeConfig
  readonly #provider: KafkaClientProvider
  readonly #logger: StreamsLogger
  readonly #processId = randomUUID()
  #state: KafkaStreamsState = 'CREATED'
  #listener: StateListener | null = null
  #thread: StreamThread | null = null
  #loop: Promise<void> | null = null
  #clients: Array<AdminClient | ProducerClient | ConsumerClient> = []
  #plan: TopicPlan | null = null
  #error: unknown = null
  #startedAt = 0

  constructor (topology: Topology, config: StreamsConfig, options: KafkaStreamsOptions = {}) {
    this.#topology = topology
    this.#config = parseRuntimeConfig(config)
    this.#provider = options.clientProvider ?? confluentClientProvider
    this.#logger = options.logger ?? defaultLogger
    topology.internalBuilder.setApplicationId(this.#config.applicationId)
  }

  get state (): KafkaStreamsState {
    return this.#state
  }

  /** The error that moved the instance to ERROR, if any. */
  get error (): unknown {
    return this.#error
  }

  setStateListener (listener: StateListener): void {
    this.#listener = listener
  }

  #setState (next: KafkaStreamsState): void {
    const previous = this.#state
    if (previous === next && next !== 'REBALANCING') return
    if (!TRANSITIONS[previous].includes(next)) return
    this.#state = next
    this.#logger.log('info', `state ${previous} -> ${next}`)
    try {
      this.#listener?.(next, previous)
    } catch (e) {
      this.#logger.log('error', `state listener threw: ${(e as Error)?.message ?? e}`)
    }
  }

  #clientLogger (): ClientLogger {
    return { log: (level, message, fields) => this.#logger.log(level, message, fields) }
  }

  /**
   * Validates, creates internal topics, connects and starts processing in the background. Resolves when the
   * instance has joined the group (state REBALANCING); rejects with a StreamsError when a source topic is missing
   * or the cluster cannot be reached (state ERROR).
   */
  async start (): Promise<void> {
    if (this.#state !== 'CREATED') throw new StreamsError('ILLEGAL_STATE', `start() can only be called once (state ${this.#state})`)
    this.#setState('REBALANCING')
    this.#startedAt = Date.now()
    const cfg = this.#config
    try {
      const logger = this.#clientLogger()
      const admin = await this.#provider.createAdmin({ properties: { ...cfg.common, ...cfg.admin }, logger })
      this.#clients.push(admin)
      const builder = this.#topology.internalBuilder
      const userTopics = new Set<string>()
      for (const sub of builder.subtopologies()) for (const t of sub.sourceTopics) if (!builder.internalTopics.has(t)) userTopics.add(t)
      const counts = await admin.describePartitionCounts([...userTopics])
      const plan = planTopics(builder, cfg.applicationId, counts, cfg.replicationFactor)
      this.#plan = plan
      await admin.createTopics(plan.internalTopics)
      await this.#prepareSerdes()
      const eos = cfg.processingGuarantee === 'exactly_once_v2'
      const producer = await this.#provider.createProducer({
        properties: { ...cfg.common, ...(eos ? { 'transactional.id': `${cfg.applicationId}-${this.#processId}` } : {}), ...cfg.producer },
        logger
      })
      this.#clients.push(producer)
      const consumer = await this.#provider.createConsumer({
        properties: {
          'auto.offset.reset': 'earliest',
          'partition.assignment.strategy': 'range',
          ...cfg.common,
          ...(eos ? { 'isolation.level': 'read_committed' } : {}),
          ...cfg.consumer,
          'group.id': cfg.applicationId,
          'enable.auto.commit': false
        },
        logger
      })
      this.#clients.push(consumer)
      const thread = new StreamThread(cfg, builder, plan, consumer, producer, {
        onRebalanceStart: () => this.#setState('REBALANCING'),
        onRunning: () => this.#setState('RUNNING'),
        log: (level, message, fields) => this.#logger.log(level, message, fields),
        createRestoreConsumer: async () =>
          await this.#provider.createConsumer({
            properties: {
              ...cfg.common,
              ...cfg.consumer,
              ...(eos ? { 'isolation.level': 'read_committed' } : {}),
              'group.id': `${cfg.applicationId}-restore-${this.#processId}`,
              'enable.auto.commit': false,
              'auto.offset.reset': 'earliest'
            },
            logger
          })
      })
      this.#thread = thread
      this.#loop = thread.run().catch(async (error: unknown) => {
        await this.#fail(error)
      })
    } catch (error) {
      await this.#fail(error)
      throw error
    }
  }

  async #prepareSerdes (): Promise<void> {
    // Serdes that talk to a schema registry register or fetch their schemas once, before the hot path.
    const builder = this.#topology.internalBuilder
    const jobs: Array<Promise<void>> = []
    const decorate = (t: string): string => (builder.internalTopics.has(t) ? `${this.#config.applicationId}-${t}` : t)
    for (const node of builder.nodeFactories.values()) {
      if (node.kind === 'source') {
        for (const t of node.topics) {
          const k = node.keyDeserializer as Preparable | undefined
          const v = node.valueDeserializer as Preparable | undefined
          if (k?.prepare !== undefined) jobs.push(k.prepare(decorate(t), true, 'read'))
          if (v?.prepare !== undefined) jobs.push(v.prepare(decorate(t), false, 'read'))
        }
      } else if (node.kind === 'sink') {
        const k = node.keySerializer as Preparable | undefined
        const v = node.valueSerializer as Preparable | undefined
        if (k?.prepare !== undefined) jobs.push(k.prepare(decorate(node.topic), true, 'write'))
        if (v?.prepare !== undefined) jobs.push(v.prepare(decorate(node.topic), false, 'write'))
      }
    }
    for (const [name, factory] of builder.stateFactories) {
      const store = factory.builder.build() as unknown as { keySerde?: Preparable, valueSerde?: Preparable & { inner?: Preparable } }
      const topic = `${this.#config.applicationId}-${name}-changelog`
      if (store.keySerde?.prepare !== undefined) jobs.push(store.keySerde.prepare(topic, true, 'both'))
      const value = store.valueSerde?.inner ?? store.valueSerde
      if (value?.prepare !== undefined) jobs.push(value.prepare(topic, false, 'both'))
    }
    await Promise.all(jobs)
  }

  async #fail (error: unknown): Promise<void> {
    this.#error = error
    this.#logger.log('error', `stream thread failed: ${(error as Error)?.message ?? String(error)}`, { code: (error as StreamsError)?.code })
    this.#setState('PENDING_ERROR')
    try {
      await this.#thread?.abort()
    } catch {}
    await this.#closeClients()
    this.#setState('ERROR')
  }

  async #closeClients (): Promise<void> {
    const clients = this.#clients.reverse()
    this.#clients = []
    for (const c of clients) {
      try {
        await c.close()
      } catch {}
    }
  }

  /**
   * Stops processing, commits, writes checkpoints, leaves the group and closes the clients. Resolves true when all
   * of that finished within `timeoutMs`.
   */
  async close (timeoutMs = 30_000): Promise<boolean> {
    if (this.#state === 'NOT_RUNNING' || this.#state === 'ERROR') return true
    if (this.#state === 'CREATED') {
      this.#setState('PENDING_SHUTDOWN')
      this.#setState('NOT_RUNNING')
      return true
    }
    this.#setState('PENDING_SHUTDOWN')
    let timer: NodeJS.Timeout | undefined
    const work = (async () => {
      const thread = this.#thread
      if (thread !== null) {
        thread.stop()
        await this.#loop
        if (this.#state === 'PENDING_SHUTDOWN') await thread.shutdown()
      }
      await this.#closeClients()
    })()
    const finished = await Promise.race([
      work.then(() => true),
      new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), timeoutMs) })
    ])
    clearTimeout(timer)
    this.#setState('NOT_RUNNING')
    return finished
  }

  /**
   * A read-only view of a key-value store across this instance's tasks (interactive queries). DSL stores show
   * their plain values. Only keys of partitions this instance owns are visible.
   */
  store<K, V> (name: string): ReadOnlyKeyValueStore<K, V> {
    const thread = this.#thread
    const kind = this.#topology.internalBuilder.stateFactories.get(name)?.builder.kind
    if (thread === null || kind === undefined) throw new StreamsError('STORE_NOT_FOUND', `no store named ${name} (state ${this.#state})`, { storeName: name })
    if (this.#state !== 'RUNNING' && this.#state !== 'REBALANCING') throw new StreamsError('ILLEGAL_STATE', `store ${name} cannot be queried in state ${this.#state}`, { storeName: name })
    const stores = (): Array<KeyValueStore<K, V>> => {
      const out: Array<KeyValueStore<K, V>> = []
      for (const task of thread.tasks.values()) {
        const s = task.getStore(name)
        if (s === undefined) continue
        out.push(kind === 'timestampedKeyValue' ? new KeyValueStoreFacade(s as unknown as TimestampedKeyValueStore<K, V>) : (s as unknown as KeyValueStore<K, V>))
      }
      return out
    }
    function * each (f: (s: KeyValueStore<K, V>) => Iterable<KeyValue<K, V>>): Generator<KeyValue<K, V>> {
      for (const s of stores()) yield * f(s)
    }
    return {
      get: (key: K) => {
        for (const s of stores()) {
          const v = s.get(key)
          if (v !== null) return v
        }
        return null
      },
      range: (from, to) => each((s) => s.range(from, to)),
      reverseRange: (from, to) => each((s) => s.reverseRange(from, to)),
      all: () => each((s) => s.all()),
      reverseAll: () => each((s) => s.reverseAll()),
      approximateNumEntries: () => stores().reduce((n, s) => n + s.approximateNumEntries(), 0)
    }
  }

  /** The partition of `key` in the store's changelog, and whether this instance owns it. */
  queryMetadataForKey<K> (storeName: string, key: K, keySerializer: Serializer<K>): KeyQueryMetadata {
    const plan = this.#plan
    const sub = plan?.subtopologies.find((s) => s.stores.includes(storeName))
    if (plan === null || sub === undefined) throw new StreamsError('STORE_NOT_FOUND', `no store named ${storeName}`, { storeName })
    const topic = `${this.#config.applicationId}-${storeName}-changelog`
    const bytes = keySerializer.serialize(topic, key)
    if (bytes === null) throw new StreamsError('SERIALIZATION', 'key must not be null')
    const partition = partitionForKey(bytes, plan.tasksPerSubtopology.get(sub.id) ?? 1)
    const local = this.#thread?.tasks.has(`${sub.id}_${partition}`) ?? false
    return { partition, local, activeHost: local ? this.#config.applicationServer : undefined }
  }

  /** Engine metrics as a plain object (for /metrics endpoints). */
  metrics (): StreamsMetrics {
    const m = this.#thread?.metrics
    const tasks = this.#thread === null ? [] : [...this.#thread.tasks.keys()]
    let dropped = 0
    for (const t of this.#thread?.tasks.values() ?? []) dropped += t.droppedRecords.total
    const seconds = Math.max(0.001, (Date.now() - this.#startedAt) / 1000)
    return {
      state: this.#state,
      recordsProcessedTotal: m?.recordsProcessed ?? 0,
      recordsProcessedPerSecond: (m?.recordsProcessed ?? 0) / seconds,
      commitTotal: m?.commits ?? 0,
      commitLatencyAvgMs: m === undefined || m.commits === 0 ? 0 : m.commitLatencyMsTotal / m.commits,
      commitLatencyMaxMs: m?.commitLatencyMsMax ?? 0,
      restoredRecordsTotal: m?.restoredRecords ?? 0,
      restoringStores: m?.restoring ?? 0,
      droppedRecordsTotal: dropped,
      tasks
    }
  }
}
