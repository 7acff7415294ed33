import { randomUUID } from 'node:crypto'
import { StreamsError } from '../errors.ts'
import { settlesWithin } from '../internals/settles-within.ts'
import type { KeyValue } from '../key-value.ts'
import type { Topology } from '../processor/topology.ts'
import type { Serializer } from '../serdes/serde.ts'
import type { ReadOnlyKeyValueStore, TimestampedKeyValueStore, KeyValueStore } from '../state/key-value-store.ts'
import { KeyValueStoreFacade } from '../state/internals/store-facades.ts'
import { confluentClientProvider } from '../internals/client/index.ts'
import type {
  AdminClient,
  ClientLogger,
  ConsumerClient,
  KafkaClientProvider,
  ProducerClient
} from '../internals/client/kafka-client.ts'
import { InstanceDirectory } from './internals/instance-directory.ts'
import type { StreamsMetadata } from './internals/instance-directory.ts'
import { partitionForKey } from './internals/murmur2.ts'
import { parseRuntimeConfig } from './internals/runtime-config.ts'
import type { RuntimeConfig } from './internals/runtime-config.ts'
import { StateDirectory } from './internals/state-directory.ts'
import { StreamThread } from './internals/stream-thread.ts'
import type { PartitionLag } from './internals/stream-thread.ts'
import { checkAssignmentStrategy, planTopics } from './internals/topic-plan.ts'
import type { TopicPlan } from './internals/topic-plan.ts'
import type { StreamsConfig } from './streams-config.ts'
import {
  changelogTopic,
  decorateTopic,
  metadataGroupId,
  restoreGroupId,
  taskId,
  transactionalId
} from '../internals/names.ts'

/** Lifecycle states, as Kafka Streams' `KafkaStreams.State`. */
export type KafkaStreamsState =
  'CREATED' | 'REBALANCING' | 'RUNNING' | 'PENDING_SHUTDOWN' | 'NOT_RUNNING' | 'PENDING_ERROR' | 'ERROR'

export type StateListener = (newState: KafkaStreamsState, oldState: KafkaStreamsState) => void

export interface StreamsLogger {
  log(level: 'debug' | 'info' | 'warn' | 'error', message: string, fields?: Readonly<Record<string, unknown>>): void
}

export interface KafkaStreamsOptions {
  /** The Kafka client to use; default @confluentinc/kafka-javascript. */
  readonly clientProvider?: KafkaClientProvider
  /** Receives engine and client logs. Default: warnings and errors on stderr. Secrets are never passed to it. */
  readonly logger?: StreamsLogger
}

export type { StreamsMetadata, PartitionLag }

/** Where a key lives: its partition and, when known, the `application.server` of the instance that owns it. */
export interface KeyQueryMetadata {
  readonly partition: number
  /**
   * `host:port` (`application.server`) of the instance whose task owns the key's partition, this one or another;
   * undefined while no instance owns it (during a rebalance) or when `application.server` is not configured.
   */
  readonly activeHost: string | undefined
  /** Always empty: standby replicas are not supported (`num.standby.replicas` must be 0). */
  readonly standbyHosts: readonly string[]
  /** True when this instance owns the partition: `store(name).get(key)` answers locally. */
  readonly local: boolean
}

export interface StreamsMetrics {
  readonly state: KafkaStreamsState
  readonly recordsProcessedTotal: number
  /** Over the last second or so (refreshed while processing; 0 when idle). */
  readonly recordsProcessedPerSecond: number
  readonly commitTotal: number
  readonly commitLatencyAvgMs: number
  readonly commitLatencyMaxMs: number
  readonly restoredRecordsTotal: number
  readonly restoringStores: number
  readonly droppedRecordsTotal: number
  /** Records fetched before their partition was (re)assigned or rewound: skipped, fetched again from the committed offset. */
  readonly staleRecordsSkippedTotal: number
  /** Exactly-once: transactions aborted after a failed send or commit (state is then restored from changelogs). */
  readonly abortedTransactionsTotal: number
  /** Exactly-once producers replaced because they were fenced or hit a fatal error and could not abort. */
  readonly producerReplacementsTotal: number
  /** Exactly-once: transactional calls retried after a retriable error (timeout, coordinator unavailable). */
  readonly transactionRetriesTotal: number
  /** Lag per assigned source partition (end offset − position), refreshed about once a second. */
  readonly consumerLag: readonly PartitionLag[]
  /** Sum of `consumerLag`. */
  readonly consumerLagTotal: number
  readonly tasks: readonly string[]
}

interface Preparable {
  prepare?: (topic: string, isKey: boolean, usage: 'read' | 'write' | 'both') => Promise<void>
}

const defaultLogger: StreamsLogger = {
  log: (level, message, fields) => {
    if (level === 'warn' || level === 'error') {
      console.error(`[kstreams] ${level}: ${message}${fields === undefined ? '' : ' ' + JSON.stringify(fields)}`)
    }
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
  readonly #stateDirectory: StateDirectory
  #processId: string = randomUUID()
  #directory: InstanceDirectory | null = null
  #state: KafkaStreamsState = 'CREATED'
  #listener: StateListener | null = null
  #thread: StreamThread | null = null
  #loop: Promise<void> | null = null
  #clients: Array<AdminClient | ProducerClient | ConsumerClient> = []
  #plan: TopicPlan | null = null
  #error: unknown = null
  #closing: Promise<void> | null = null

  constructor(topology: Topology, config: StreamsConfig, options: KafkaStreamsOptions = {}) {
    this.#topology = topology
    this.#config = parseRuntimeConfig(config)
    this.#provider = options.clientProvider ?? confluentClientProvider
    this.#logger = options.logger ?? defaultLogger
    this.#stateDirectory = new StateDirectory(
      this.#config.stateDir,
      this.#config.applicationId,
      this.#config.processingGuarantee === 'exactly_once_v2'
    )
    topology.internalBuilder.setApplicationId(this.#config.applicationId)
  }

  get state(): KafkaStreamsState {
    return this.#state
  }

  /** The error that moved the instance to ERROR, if any. */
  get error(): unknown {
    return this.#error
  }

  setStateListener(listener: StateListener): void {
    this.#listener = listener
  }

  #setState(next: KafkaStreamsState): void {
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

  #clientLogger(): ClientLogger {
    return { log: (level, message, fields) => this.#logger.log(level, message, fields) }
  }

  /**
   * Validates, creates internal topics, connects and starts processing in the background. Resolves when the
   * instance has joined the group (state REBALANCING); rejects with a StreamsError when a source topic is missing
   * or the cluster cannot be reached (state ERROR).
   */
  async start(): Promise<void> {
    if (this.#state !== 'CREATED') {
      throw new StreamsError('ILLEGAL_STATE', `start() can only be called once (state ${this.#state})`)
    }
    this.#setState('REBALANCING')
    const cfg = this.#config
    try {
      this.#processId = this.#stateDirectory.lock()
      const logger = this.#clientLogger()
      const admin = await this.#provider.createAdmin({ properties: { ...cfg.common, ...cfg.admin }, logger })
      this.#clients.push(admin)
      const builder = this.#topology.internalBuilder
      const userTopics = new Set<string>()
      for (const sub of builder.subtopologies()) {
        for (const t of sub.sourceTopics) if (!builder.internalTopics.has(t)) userTopics.add(t)
      }
      const counts = await admin.describePartitionCounts([...userTopics])
      const plan = planTopics(builder, cfg.applicationId, counts, cfg.replicationFactor)
      checkAssignmentStrategy(
        String(cfg.consumer['partition.assignment.strategy'] ?? cfg.common['partition.assignment.strategy'] ?? 'range'),
        plan
      )
      const dlq = cfg.deadLetterQueueTopic
      if (dlq !== undefined && (await admin.describePartitionCounts([dlq])).get(dlq) === undefined) {
        // Checked up front: otherwise the first poison record would fail the instance after it was already skipped.
        throw new StreamsError(
          'CONFIG_INVALID',
          `errors.dead.letter.queue.topic.name: topic ${dlq} does not exist; create it before starting the application`,
          { setting: 'errors.dead.letter.queue.topic.name', topic: dlq }
        )
      }
      this.#plan = plan
      const metadataTopic = InstanceDirectory.topicFor(cfg.applicationId)
      await admin.createTopics([
        ...plan.internalTopics,
        ...(cfg.applicationServer === undefined
          ? []
          : [
              {
                topic: metadataTopic,
                partitions: 1,
                replicationFactor: cfg.replicationFactor,
                configs: { 'cleanup.policy': 'compact' }
              }
            ])
      ])
      await this.#awaitTopics(
        admin,
        plan.internalTopics.map((t) => t.topic)
      )
      await this.#prepareSerdes()
      const eos = cfg.processingGuarantee === 'exactly_once_v2'
      const producerOptions = {
        // transaction.timeout.ms 10 s under exactly-once, as Kafka Streams: the open transaction of an instance that
        // died is aborted by the broker after this long, and the instance taking over its tasks waits for that.
        properties: {
          ...(eos ? { 'transaction.timeout.ms': 10_000 } : {}),
          // Only failures need a callback: offsets are committed after a flush, checkpoints come from the changelogs'
          // end offsets. Saves a JS callback per record, the largest per-record cost measured (docs/benchmarks.md).
          'delivery.report.only.error': true,
          ...cfg.common,
          ...cfg.producer,
          ...(eos ? { 'transactional.id': transactionalId(cfg.applicationId, this.#processId) } : {})
        },
        logger
      }
      const producer = await this.#provider.createProducer(producerOptions)
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
      if (cfg.applicationServer !== undefined) {
        // Instance discovery for interactive queries: a compacted topic keyed by process id, where each instance
        // advertises its application.server and tasks after every rebalance and which every instance reads.
        const metaProducer = await this.#provider.createProducer({
          properties: { ...cfg.common, ...cfg.producer, 'linger.ms': 0 },
          logger
        })
        this.#clients.push(metaProducer)
        const metaConsumer = await this.#provider.createConsumer({
          properties: {
            ...cfg.common,
            ...cfg.consumer,
            'group.id': metadataGroupId(cfg.applicationId, this.#processId),
            'enable.auto.commit': false,
            'isolation.level': 'read_uncommitted'
          },
          logger
        })
        this.#clients.push(metaConsumer)
        this.#directory = new InstanceDirectory(
          metadataTopic,
          this.#processId,
          cfg.applicationServer,
          plan,
          metaProducer,
          metaConsumer,
          (m) => this.#logger.log('warn', m)
        )
        await this.#directory.start()
      }
      if ((this.#state as KafkaStreamsState) !== 'REBALANCING') {
        // close() was called while starting: it has closed the clients created so far, these are the rest.
        await this.#closeClients()
        return
      }
      const thread = new StreamThread(cfg, builder, plan, consumer, producer, this.#stateDirectory, {
        onRebalanceStart: () => this.#setState('REBALANCING'),
        onRunning: () => this.#setState('RUNNING'),
        onTasksChanged: (tasks) => this.#directory?.advertise(tasks),
        log: (level, message, fields) => this.#logger.log(level, message, fields),
        replaceProducer: async (old) => {
          // Same transactional.id: the new producer's initTransactions fences the old one and aborts its open
          // transaction on the broker.
          this.#clients = this.#clients.filter((c) => c !== old)
          // Bounded: a producer being replaced may be stuck in a call that never answers, and its close with it.
          // The new producer does not need the old one gone: its initTransactions fences it.
          await settlesWithin(
            old.close(5_000).catch(() => {}),
            10_000
          )
          const fresh = await this.#provider.createProducer(producerOptions)
          this.#clients.push(fresh)
          return fresh
        },
        createRestoreConsumer: async () =>
          await this.#provider.createConsumer({
            properties: {
              ...cfg.common,
              ...cfg.consumer,
              ...(eos ? { 'isolation.level': 'read_committed' } : {}),
              'group.id': restoreGroupId(cfg.applicationId, this.#processId),
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
      const state = this.#state as KafkaStreamsState
      if (state === 'PENDING_SHUTDOWN' || state === 'NOT_RUNNING') {
        // close() during start(): a client it closed under our feet is not an error.
        await this.#closeClients()
        return
      }
      await this.#fail(error)
      throw error
    }
  }

  /** Waits until just-created topics show in the cluster metadata, so that the consumer's first subscription sees them. */
  async #awaitTopics(admin: AdminClient, topics: string[]): Promise<void> {
    const deadline = Date.now() + 30_000
    for (;;) {
      const counts = await admin.describePartitionCounts(topics)
      const missing = topics.filter((t) => counts.get(t) === undefined)
      if (missing.length === 0) return
      if (Date.now() > deadline) {
        throw new StreamsError(
          'TIMEOUT',
          `internal topics ${missing.join(', ')} did not appear within 30 s of their creation`,
          { topic: missing[0] }
        )
      }
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }

  async #prepareSerdes(): Promise<void> {
    // Serdes that talk to a schema registry register or fetch their schemas once, before the hot path.
    const builder = this.#topology.internalBuilder
    const jobs: Array<Promise<void>> = []
    const decorate = (t: string): string => decorateTopic(this.#config.applicationId, builder.internalTopics, t)
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
      const store = factory.builder.build() as unknown as {
        keySerde?: Preparable
        valueSerde?: Preparable & { inner?: Preparable }
      }
      const topic = changelogTopic(this.#config.applicationId, name)
      if (store.keySerde?.prepare !== undefined) jobs.push(store.keySerde.prepare(topic, true, 'both'))
      const value = store.valueSerde?.inner ?? store.valueSerde
      if (value?.prepare !== undefined) jobs.push(value.prepare(topic, false, 'both'))
    }
    await Promise.all(jobs)
  }

  async #fail(error: unknown): Promise<void> {
    this.#error = error
    this.#logger.log('error', `stream thread failed: ${(error as Error)?.message ?? String(error)}`, {
      code: (error as StreamsError)?.code
    })
    this.#setState('PENDING_ERROR')
    try {
      await this.#thread?.abort()
    } catch {}
    await this.#closeClients()
    this.#setState('ERROR')
  }

  async #closeClients(): Promise<void> {
    try {
      await this.#directory?.close()
    } catch {}
    const clients = this.#clients.reverse()
    this.#clients = []
    for (const c of clients) {
      try {
        await c.close()
      } catch {}
    }
    this.#stateDirectory.unlock()
  }

  /**
   * Stops processing, commits, writes checkpoints, leaves the group and closes the clients. Resolves true when all
   * of that finished within `timeoutMs`.
   */
  async close(timeoutMs = 30_000): Promise<boolean> {
    if (this.#state === 'NOT_RUNNING' || this.#state === 'ERROR') return true
    if (this.#state === 'CREATED') {
      this.#setState('PENDING_SHUTDOWN')
      this.#setState('NOT_RUNNING')
      return true
    }
    this.#setState('PENDING_SHUTDOWN')
    // A second close() waits for the same shutdown; the instance is NOT_RUNNING only once it has really finished
    // (Kafka Streams' close(timeout) also returns false and leaves the shutdown running when time is up).
    this.#closing ??= (async () => {
      try {
        const thread = this.#thread
        if (thread !== null) {
          thread.stop()
          await this.#loop
          if (this.#state === 'PENDING_SHUTDOWN') await thread.shutdown()
        }
      } catch (error) {
        this.#logger.log('error', `shutdown failed: ${(error as Error)?.message ?? String(error)}`)
      } finally {
        await this.#closeClients()
        this.#setState('NOT_RUNNING')
      }
    })()
    return await settlesWithin(this.#closing, timeoutMs)
  }

  /**
   * A read-only view of a key-value store across this instance's tasks (interactive queries). DSL stores show
   * their plain values. Only keys of partitions this instance owns are visible; parts still being restored from
   * their changelogs are hidden, and `get` of a key not found elsewhere then throws ILLEGAL_STATE (retry) instead of
   * answering null, as Kafka Streams throws InvalidStateStoreException while rebalancing.
   */
  store<K, V>(name: string): ReadOnlyKeyValueStore<K, V> {
    const thread = this.#thread
    const kind = this.#topology.internalBuilder.stateFactories.get(name)?.builder.kind
    if (thread === null || kind === undefined) {
      throw new StreamsError('STORE_NOT_FOUND', `no store named ${name} (state ${this.#state})`, { storeName: name })
    }
    if (this.#state !== 'RUNNING' && this.#state !== 'REBALANCING') {
      throw new StreamsError('ILLEGAL_STATE', `store ${name} cannot be queried in state ${this.#state}`, {
        storeName: name
      })
    }
    const stores = (): Array<KeyValueStore<K, V>> => {
      const out: Array<KeyValueStore<K, V>> = []
      for (const task of thread.tasks.values()) {
        // A store still being restored from its changelog would answer with old values.
        if (thread.restoringTasks.has(task.taskId)) continue
        const s = task.getStore(name)
        if (s === undefined) continue
        out.push(
          kind === 'timestampedKeyValue'
            ? new KeyValueStoreFacade(s as unknown as TimestampedKeyValueStore<K, V>)
            : (s as unknown as KeyValueStore<K, V>)
        )
      }
      return out
    }
    function* each(f: (s: KeyValueStore<K, V>) => Iterable<KeyValue<K, V>>): Generator<KeyValue<K, V>> {
      for (const s of stores()) yield* f(s)
    }
    return {
      get: (key: K) => {
        for (const s of stores()) {
          const v = s.get(key)
          if (v !== null) return v
        }
        // Not found, but it may be in a part still being restored: "absent" would be a wrong answer.
        for (const id of thread.restoringTasks) {
          if (thread.tasks.get(id)?.getStore(name) !== undefined) {
            throw new StreamsError(
              'ILLEGAL_STATE',
              `store ${name} is being restored after a rebalance; retry shortly`,
              { storeName: name }
            )
          }
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

  /**
   * Which instance owns `key` in `storeName`: the key's partition (murmur2 of the serialized key, as the default
   * partitioner) and the `application.server` of the instance running that partition's task, found through the
   * instances' advertisements (see {@link allMetadata}). A caller that is not `local` forwards the query to `activeHost`.
   */
  queryMetadataForKey<K>(storeName: string, key: K, keySerializer: Serializer<K>): KeyQueryMetadata {
    const plan = this.#plan
    const sub = plan?.subtopologies.find((s) => s.stores.includes(storeName))
    if (plan === null || sub === undefined) {
      throw new StreamsError('STORE_NOT_FOUND', `no store named ${storeName}`, { storeName })
    }
    const topic = changelogTopic(this.#config.applicationId, storeName)
    const bytes = keySerializer.serialize(topic, key)
    if (bytes === null) throw new StreamsError('SERIALIZATION', 'key must not be null')
    const partition = partitionForKey(bytes, plan.tasksPerSubtopology.get(sub.id) ?? 1)
    const id = taskId(sub.id, partition)
    // A task still restoring is this instance's too: queries for it are answered here once the restore is done.
    const local = this.#thread?.tasks.has(id) ?? false
    const activeHost = local ? this.#config.applicationServer : this.#directory?.ownerOf(id)?.host
    return { partition, local, activeHost, standbyHosts: [] }
  }

  /**
   * Every instance of the application known to own tasks (this one included), with its `application.server`, stores
   * and source partitions, as Kafka Streams' `metadataForAllStreamsClients()`. Needs `application.server`; without it
   * only this instance is listed. Instances learn about each other through the compacted topic
   * `<application.id>-kstreams-metadata`; an instance that crashed is dropped once its tasks are claimed by others.
   */
  allMetadata(): StreamsMetadata[] {
    const own = [...(this.#thread?.tasks.keys() ?? [])]
    if (this.#directory !== null) return this.#directory.allMetadata(own)
    const plan = this.#plan
    if (plan === null) return []
    return [InstanceDirectory.describe(this.#processId, this.#config.applicationServer, own, plan)]
  }

  /** The instances whose tasks hold a part of `storeName` (Kafka Streams' `streamsMetadataForStore`). */
  allMetadataForStore(storeName: string): StreamsMetadata[] {
    if (!this.#topology.internalBuilder.stateFactories.has(storeName)) {
      throw new StreamsError('STORE_NOT_FOUND', `no store named ${storeName}`, { storeName })
    }
    return this.allMetadata().filter((m) => m.stateStoreNames.includes(storeName))
  }

  /** Engine metrics as a plain object (for /metrics endpoints). */
  metrics(): StreamsMetrics {
    const m = this.#thread?.metrics
    const tasks = this.#thread === null ? [] : [...this.#thread.tasks.keys()]
    const lag = this.#thread?.lag ?? []
    let dropped = m?.droppedRecordsOfClosedTasks ?? 0
    for (const t of this.#thread?.tasks.values() ?? []) dropped += t.droppedRecords.total
    return {
      state: this.#state,
      recordsProcessedTotal: m?.recordsProcessed ?? 0,
      recordsProcessedPerSecond: this.#thread?.processRate ?? 0,
      commitTotal: m?.commits ?? 0,
      commitLatencyAvgMs: m === undefined || m.commits === 0 ? 0 : m.commitLatencyMsTotal / m.commits,
      commitLatencyMaxMs: m?.commitLatencyMsMax ?? 0,
      restoredRecordsTotal: m?.restoredRecords ?? 0,
      restoringStores: m?.restoring ?? 0,
      droppedRecordsTotal: dropped,
      staleRecordsSkippedTotal: m?.staleRecordsSkipped ?? 0,
      abortedTransactionsTotal: m?.abortedTransactions ?? 0,
      producerReplacementsTotal: m?.producerReplacements ?? 0,
      transactionRetriesTotal: m?.transactionRetries ?? 0,
      consumerLag: lag,
      consumerLagTotal: lag.reduce((n, l) => n + l.lag, 0),
      tasks
    }
  }
}
