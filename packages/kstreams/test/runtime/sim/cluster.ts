// A simulated Kafka cluster in memory, behind the runtime's KafkaClientProvider interface: partitioned logs,
// idempotent and transactional producers (producer id + epoch, fencing, transaction timeouts, markers, LSO), group
// coordination with generations and KIP-447 offsets, and fault hooks on every call (see faults.ts). Each KafkaStreams
// instance gets its own provider from `provider(instance)`, so faults and crashes can aim at one instance.
import { StreamsError } from '../../../src/errors.ts'
import type {
  AdminClient,
  ClientOptions,
  ConsumerClient,
  KafkaClientProvider,
  ProducerClient,
  TopicPartition
} from '../../../src/internals/client/kafka-client.ts'
import { SimAdmin } from './admin.ts'
import { SimConsumer } from './consumer.ts'
import { Faults, type SimMethod, sleep } from './faults.ts'
import { Group, type Protocol } from './group.ts'
import { PartitionLog, type Txn } from './log.ts'
import { SimProducer } from './producer.ts'

export interface SimClusterOptions {
  /**
   * What the broker does to a producer whose transaction it aborted for exceeding `transaction.timeout.ms`:
   * 'fenced' (its next call fails with a fatal ERR__FENCED, as librdkafka reports an epoch bumped by the broker) or
   * 'abortable' (its next call fails with an abortable error; the abort then bumps the epoch and the producer goes on).
   */
  readonly txnTimeout?: 'fenced' | 'abortable'
  /**
   * The high watermark `watermarks()` reports to a read_committed consumer: 'lso' (librdkafka's ListOffsets carries
   * the consumer's isolation level, so the broker answers with the last stable offset) or 'end' (the log end).
   */
  readonly committedWatermark?: 'lso' | 'end'
  /** Background heartbeat and timeout check period (default 2 ms). */
  readonly tickMs?: number
}

interface TopicState {
  readonly partitions: PartitionLog[]
  readonly configs: Readonly<Record<string, string>>
}

/** Broker-side state of one transactional.id. */
export interface TxnIdState {
  epoch: number
  /** The producer holding the current epoch. */
  owner: SimProducer | null
  /** Its open transaction, once a partition or offsets were added. */
  txn: Txn | null
  timeoutMs: number
  /** The broker bumped the epoch after aborting a timed-out transaction of `owner`. */
  timedOut: boolean
}

export class SimCluster {
  readonly faults = new Faults()
  readonly topics = new Map<string, TopicState>()
  readonly groups = new Map<string, Group>()
  readonly txnIds = new Map<string, TxnIdState>()
  readonly options: Required<SimClusterOptions>
  readonly consumers = new Set<SimConsumer>()
  readonly producers = new Set<SimProducer>()
  #txnSeq = 0
  #waiters = new Set<() => void>()
  readonly #timer: NodeJS.Timeout

  constructor(options: SimClusterOptions = {}) {
    this.options = {
      txnTimeout: options.txnTimeout ?? 'fenced',
      committedWatermark: options.committedWatermark ?? 'lso',
      tickMs: options.tickMs ?? 2
    }
    this.#timer = setInterval(() => this.tick(), this.options.tickMs)
    this.#timer.unref()
  }

  /** Stops the background timer. Clients still open stop making progress. */
  close(): void {
    clearInterval(this.#timer)
    this.notify()
  }

  // ---- topics

  createTopic(topic: string, partitions: number, configs: Readonly<Record<string, string>> = {}): boolean {
    if (this.topics.has(topic)) return false
    const logs = Array.from({ length: partitions }, (_, p) => new PartitionLog(topic, p))
    this.topics.set(topic, { partitions: logs, configs })
    this.notify()
    return true
  }

  deleteTopic(topic: string): void {
    this.topics.delete(topic)
    this.notify()
  }

  partitionCount(topic: string): number {
    return this.topics.get(topic)?.partitions.length ?? 0
  }

  /** The log of a partition, or undefined when the topic or partition does not exist. */
  log(topic: string, partition: number): PartitionLog | undefined {
    return this.topics.get(topic)?.partitions[partition]
  }

  /** Every partition of `topic` (empty when it does not exist). */
  logs(topic: string): readonly PartitionLog[] {
    return this.topics.get(topic)?.partitions ?? []
  }

  // ---- change notification: consumers waiting for records or for the group wake up on any change

  notify(): void {
    const waiters = this.#waiters
    this.#waiters = new Set()
    for (const w of waiters) w()
  }

  /** Resolves on the next change in the cluster, or after `ms`. */
  waitForChange(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer)
        this.#waiters.delete(done)
        resolve()
      }
      const timer = setTimeout(done, Math.max(0, ms))
      this.#waiters.add(done)
    })
  }

  /** Polls `condition` on every change until it holds; false when `ms` ran out first. */
  async until(condition: () => boolean, ms: number): Promise<boolean> {
    const deadline = Date.now() + ms
    while (!condition()) {
      const left = deadline - Date.now()
      if (left <= 0) return false
      await this.waitForChange(Math.min(left, 20))
    }
    return true
  }

  // ---- groups

  group(groupId: string, protocol: Protocol = 'eager'): Group {
    let g = this.groups.get(groupId)
    if (g === undefined) {
      g = new Group(
        groupId,
        protocol,
        (t) => this.partitionCount(t),
        () => this.notify()
      )
      this.groups.set(groupId, g)
    }
    return g
  }

  /** Committed offset of `groupId` for a partition, or undefined. */
  committedOffset(groupId: string, tp: TopicPartition): number | undefined {
    return this.groups.get(groupId)?.committed.get(`${tp.topic}:${tp.partition}`)
  }

  // ---- transactions

  newTxn(transactionalId: string, epoch: number): Txn {
    return {
      id: ++this.#txnSeq,
      transactionalId,
      epoch,
      state: 'open',
      startedAt: Date.now(),
      firstOffsets: new Map(),
      offsets: new Map()
    }
  }

  /** Ends a transaction on the broker: markers on every partition it wrote to, offsets applied or dropped. */
  endTxn(txn: Txn, outcome: 'committed' | 'aborted'): void {
    if (txn.state !== 'open') return
    txn.state = outcome
    for (const log of txn.firstOffsets.keys()) log.mark(txn)
    for (const groupId of txn.offsets.keys()) this.groups.get(groupId)?.endTxn(txn)
    const state = this.txnIds.get(txn.transactionalId)
    if (state?.txn === txn) state.txn = null
    this.notify()
  }

  /**
   * InitProducerId for a transactional.id: aborts the open transaction of the previous epoch and fences the
   * producer that held it.
   */
  initProducerId(transactionalId: string, producer: SimProducer, timeoutMs: number): number {
    let state = this.txnIds.get(transactionalId)
    if (state === undefined) {
      state = { epoch: -1, owner: null, txn: null, timeoutMs, timedOut: false }
      this.txnIds.set(transactionalId, state)
    }
    if (state.txn !== null) this.endTxn(state.txn, 'aborted')
    if (state.owner !== null && state.owner !== producer) state.owner.fence()
    state.epoch++
    state.owner = producer
    state.timeoutMs = timeoutMs
    state.timedOut = false
    return state.epoch
  }

  // ---- background work: heartbeats, session and rebalance timeouts, transaction timeouts

  tick(): void {
    const now = Date.now()
    for (const state of this.txnIds.values()) {
      const txn = state.txn
      if (txn !== null && now - txn.startedAt > state.timeoutMs) {
        this.endTxn(txn, 'aborted')
        state.epoch++
        state.timedOut = true
      }
    }
    const live = new Map<string, SimConsumer>()
    for (const c of this.consumers) {
      const id = c.memberId
      if (id !== undefined) live.set(id, c)
    }
    for (const g of this.groups.values()) {
      g.tick(now, (m) => {
        const c = live.get(m.id)
        return c !== undefined && c.heartbeating()
      })
    }
  }

  // ---- clients

  /** One round trip's latency: 0 or 1 ms. */
  async latency(): Promise<void> {
    if (Math.random() < 0.5) await new Promise<void>((resolve) => setImmediate(resolve))
    else await sleep(1)
  }

  /** Fault gate plus latency, for a call of `instance`'s client (see Faults.gate). */
  async call(instance: string, method: SimMethod, timeoutMs: number): Promise<void> {
    await this.faults.gate(instance, method, timeoutMs)
    await this.latency()
    if (this.faults.isCrashed(instance)) await new Promise(() => {})
  }

  /** A KafkaClientProvider whose clients belong to `instance` (the target of instance faults and crashes). */
  provider(instance: string): KafkaClientProvider {
    const connect = async (options: ClientOptions, method: SimMethod): Promise<void> => {
      if (options === null || typeof options !== 'object' || typeof options.properties !== 'object') {
        throw new StreamsError('CONFIG_INVALID', 'properties: client options must have a "properties" object', {
          setting: 'properties'
        })
      }
      if (String(options.properties['bootstrap.servers'] ?? '') === '') {
        throw new StreamsError('CONFIG_INVALID', 'bootstrap.servers: is required', { setting: 'bootstrap.servers' })
      }
      try {
        await this.call(instance, method, options.connectTimeoutMs ?? 10_000)
      } catch (err) {
        throw new StreamsError('KAFKA_CLIENT', `bootstrap.servers: no Kafka broker answered (simulated)`, {
          setting: 'bootstrap.servers',
          cause: err
        })
      }
    }
    return {
      name: 'simulated',
      createAdmin: async (options): Promise<AdminClient> => {
        await connect(options, 'createAdmin')
        return new SimAdmin(this, instance)
      },
      createProducer: async (options): Promise<ProducerClient> => {
        await connect(options, 'createProducer')
        const producer = new SimProducer(this, instance, options.properties)
        this.producers.add(producer)
        return producer
      },
      createConsumer: async (options): Promise<ConsumerClient> => {
        const groupId = options?.properties?.['group.id']
        if (typeof groupId !== 'string' || groupId.trim() === '') {
          throw new StreamsError('CONFIG_INVALID', 'group.id: required for a consumer', { setting: 'group.id' })
        }
        await connect(options, 'createConsumer')
        const consumer = new SimConsumer(this, instance, options.properties, options.logger)
        this.consumers.add(consumer)
        return consumer
      }
    }
  }
}
