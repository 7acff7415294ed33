// ProducerClient of the simulated cluster. Records are queued by produce() and appended by a background drain (so
// an outage delays them and a crash keeps them from ever arriving); with `transactional.id` they belong to the open
// transaction and the transactional calls follow librdkafka's state machine: a fenced producer fails every call
// with a fatal ERR__FENCED, a failed delivery inside a transaction makes it abortable.
import { StreamsError } from '../../../src/errors.ts'
import { KafkaClientError } from '../../../src/internals/client/client-error.ts'
import type {
  ClientProperties,
  ConsumerGroupMetadata,
  DeliveryCallback,
  ProducerClient,
  ProducerRecord,
  TopicPartitionOffset
} from '../../../src/internals/client/kafka-client.ts'
import { partitionForKey } from '../../../src/runtime/internals/murmur2.ts'
import type { SimCluster, TxnIdState } from './cluster.ts'
import { groupMember } from './consumer.ts'
import { fencedError, makeError, never, sleep, timedOut } from './faults.ts'
import type { Txn } from './log.ts'

interface Queued {
  readonly record: ProducerRecord
  readonly onDelivery: DeliveryCallback | undefined
  readonly txn: Txn | null
  readonly at: number
}

type TxnPhase = 'uninitialized' | 'ready' | 'in_transaction' | 'abortable' | 'fatal'

const ERR_STATE = -172
const MSG_TIMED_OUT = -192
const PURGE_QUEUE = -152

export class SimProducer implements ProducerClient {
  readonly #cluster: SimCluster
  readonly instance: string
  readonly transactionalId: string | undefined
  readonly #onlyErrors: boolean
  readonly #messageTimeoutMs: number
  readonly #txnTimeoutMs: number
  #queue: Queued[] = []
  #draining = false
  #drained: Array<() => void> = []
  #closed = false
  #phase: TxnPhase = 'uninitialized'
  #epoch = -1
  #txn: Txn | null = null
  /** Why the transaction must be aborted, or why the producer is unusable. */
  #error: KafkaClientError | null = null
  #roundRobin = 0

  constructor(cluster: SimCluster, instance: string, properties: ClientProperties) {
    this.#cluster = cluster
    this.instance = instance
    const tid = properties['transactional.id']
    this.transactionalId = tid === undefined ? undefined : String(tid)
    this.#onlyErrors = String(properties['delivery.report.only.error']) === 'true'
    this.#messageTimeoutMs = Number(properties['message.timeout.ms'] ?? 300_000)
    this.#txnTimeoutMs = Number(properties['transaction.timeout.ms'] ?? 60_000)
  }

  /** Called by the cluster when a newer producer with the same transactional.id initialized. */
  fence(): void {
    this.#phase = 'fatal'
    this.#error = fencedError('producer')
  }

  get fenced(): boolean {
    return this.#phase === 'fatal'
  }

  #open(what: string): void {
    if (this.#closed) throw new StreamsError('ILLEGAL_STATE', `${what}: producer is closed`)
  }

  #state(): TxnIdState | undefined {
    return this.transactionalId === undefined ? undefined : this.#cluster.txnIds.get(this.transactionalId)
  }

  /**
   * The broker's epoch check: a producer whose epoch was bumped by a newer instance is fenced; one whose transaction
   * the broker timed out is fenced or only has to abort, as the cluster is configured.
   */
  #checkEpoch(what: string): void {
    const state = this.#state()
    if (state === undefined || this.#phase === 'uninitialized') return
    if (state.owner !== this) this.fence()
    else if (state.epoch !== this.#epoch) {
      if (state.timedOut && this.#cluster.options.txnTimeout === 'abortable') {
        if (this.#phase !== 'abortable') {
          this.#phase = 'abortable'
          this.#error = new KafkaClientError(`${what}: Broker: transaction timed out (simulated)`, {
            code: 48,
            isTxnRequiresAbort: true
          })
        }
      } else {
        this.fence()
      }
    }
    if (this.#phase === 'fatal') throw this.#error ?? fencedError(what)
    if (this.#phase === 'abortable' && this.#error !== null) throw this.#error
  }

  produce(record: ProducerRecord, onDelivery?: DeliveryCallback): boolean {
    if (this.#closed) throw new StreamsError('ILLEGAL_STATE', 'producer is closed', { topic: record.topic })
    if (this.#phase === 'fatal') {
      throw new KafkaClientError(`producing to ${record.topic}: Local: Fatal error: fenced`, {
        code: -150,
        isFatal: true
      })
    }
    if (this.transactionalId !== undefined && this.#phase !== 'in_transaction' && this.#phase !== 'abortable') {
      throw new KafkaClientError(`producing to ${record.topic}: Local: Erroneous state`, { code: ERR_STATE })
    }
    this.#queue.push({ record, onDelivery, txn: this.#txn, at: Date.now() })
    this.#scheduleDrain()
    return true
  }

  #scheduleDrain(): void {
    if (this.#draining) return
    this.#draining = true
    this.#drain().catch(() => {})
  }

  #report(q: Queued, error: Error | null, offset: number): void {
    if (q.onDelivery === undefined || (error === null && this.#onlyErrors)) return
    if (error !== null) q.onDelivery(error, null)
    else q.onDelivery(null, { topic: q.record.topic, partition: q.record.partition ?? 0, offset })
  }

  /** Appends the queued records once the broker is reachable; fails them on a fault, a fence or message.timeout.ms. */
  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        await this.#cluster.latency()
        // Awaited, not returned: a returned promise would run the finally block (and reschedule the drain) at once.
        if (this.#cluster.faults.isCrashed(this.instance)) await never()
        if (!this.#cluster.faults.reachable(this.instance)) {
          const now = Date.now()
          for (const q of this.#queue.filter((x) => now - x.at > this.#messageTimeoutMs)) {
            this.#queue.splice(this.#queue.indexOf(q), 1)
            this.#report(q, new KafkaClientError('Local: Message timed out', { code: MSG_TIMED_OUT }), -1)
          }
          await sleep(1)
          continue
        }
        const batch = this.#queue
        this.#queue = []
        const rule = this.#cluster.faults.take(this.instance, 'produce')
        for (const q of batch) this.#deliver(q, rule === undefined ? null : rule)
      }
    } finally {
      this.#draining = false
      if (this.#queue.length === 0) {
        const waiters = this.#drained
        this.#drained = []
        for (const w of waiters) w()
      } else this.#scheduleDrain()
    }
  }

  #deliver(q: Queued, rule: { action: { kind: string; error?: string } } | null): void {
    const { record } = q
    if (rule !== null) {
      const kind = rule.action.kind === 'error' ? (rule.action.error as 'retriable') : 'plain'
      const error = makeError(kind === 'retriable' ? 'plain' : kind, `delivering to ${record.topic}`)
      if (q.txn !== null && this.#phase === 'in_transaction') {
        this.#phase = 'abortable'
        this.#error = new KafkaClientError(`${error.message} (transaction requires abort)`, {
          code: error.kafkaCode,
          isTxnRequiresAbort: true
        })
      }
      this.#report(q, error, -1)
      return
    }
    if (q.txn !== null) {
      if (q.txn !== this.#txn || this.#phase === 'fatal') {
        this.#report(q, new KafkaClientError('Local: Purged in queue', { code: PURGE_QUEUE }), -1)
        return
      }
      try {
        this.#checkEpoch(`delivering to ${record.topic}`)
      } catch (error) {
        this.#report(q, error as Error, -1)
        return
      }
      if (this.#phase === 'abortable') {
        this.#report(q, this.#error, -1)
        return
      }
    }
    const topic = this.#cluster.topics.get(record.topic)
    if (topic === undefined) {
      this.#report(q, new KafkaClientError(`Broker: Unknown topic or partition ${record.topic}`, { code: 3 }), -1)
      return
    }
    const n = topic.partitions.length
    const partition =
      record.partition ?? (record.key === null ? this.#roundRobin++ % n : partitionForKey(record.key, n))
    const log = topic.partitions[partition]
    if (log === undefined) {
      this.#report(q, new KafkaClientError(`Broker: Unknown topic or partition ${record.topic}`, { code: 3 }), -1)
      return
    }
    if (q.txn !== null) this.#register(q.txn)
    const entry = log.append(record.key, record.value, record.timestamp ?? Date.now(), record.headers ?? [], q.txn)
    this.#cluster.notify()
    if (q.onDelivery !== undefined && !this.#onlyErrors) {
      q.onDelivery(null, { topic: record.topic, partition, offset: entry.offset })
    }
  }

  /** AddPartitionsToTxn / AddOffsetsToTxn: the transaction exists on the broker from its first partition on. */
  #register(txn: Txn): void {
    const state = this.#state()
    if (state !== undefined && state.txn === null && txn.state === 'open') {
      txn.startedAt = Date.now()
      state.txn = txn
    }
  }

  async flush(timeoutMs = 60_000): Promise<void> {
    this.#open('flush')
    await this.#cluster.call(this.instance, 'flush', timeoutMs)
    if (this.#queue.length === 0 && !this.#draining) return
    let timer: NodeJS.Timeout | undefined
    try {
      await Promise.race([
        new Promise<void>((resolve) => this.#drained.push(resolve)),
        new Promise<never>((_resolve, reject) => {
          timer = setTimeout(() => reject(timedOut(`flushing the producer: ${this.#queue.length} records`)), timeoutMs)
        })
      ])
    } finally {
      clearTimeout(timer)
    }
  }

  #requireTransactional(what: string): void {
    this.#open(what)
    if (this.transactionalId === undefined) {
      throw new KafkaClientError(`${what}: Local: the producer is not transactional`, { code: -186 })
    }
  }

  async initTransactions(timeoutMs = 60_000): Promise<void> {
    this.#requireTransactional('initializing transactions')
    if (this.#phase === 'fatal') throw this.#error ?? fencedError('initializing transactions')
    await this.#cluster.call(this.instance, 'initTransactions', timeoutMs)
    if (this.fenced) throw this.#error ?? fencedError('initializing transactions')
    this.#epoch = this.#cluster.initProducerId(this.transactionalId as string, this, this.#txnTimeoutMs)
    this.#phase = 'ready'
  }

  async beginTransaction(): Promise<void> {
    this.#requireTransactional('beginning a transaction')
    await this.#cluster.faults.gate(this.instance, 'beginTransaction', 0)
    if (this.#phase === 'fatal') throw this.#error ?? fencedError('beginning a transaction')
    if (this.#phase !== 'ready') {
      throw new KafkaClientError(`beginning a transaction: Local: Erroneous state (${this.#phase})`, {
        code: ERR_STATE
      })
    }
    this.#txn = this.#cluster.newTxn(this.transactionalId as string, this.#epoch)
    this.#phase = 'in_transaction'
  }

  #inTxn(what: string): Txn {
    if (this.#phase === 'fatal') throw this.#error ?? fencedError(what)
    if (this.#phase === 'abortable') throw this.#error ?? new KafkaClientError(`${what}: abortable`, { code: 48 })
    if (this.#phase !== 'in_transaction' || this.#txn === null) {
      throw new KafkaClientError(`${what}: Local: Erroneous state (${this.#phase})`, { code: ERR_STATE })
    }
    return this.#txn
  }

  async sendOffsetsToTransaction(
    offsets: readonly TopicPartitionOffset[],
    group: ConsumerGroupMetadata,
    timeoutMs = 60_000
  ): Promise<void> {
    const what = 'sending offsets to the transaction'
    this.#requireTransactional(what)
    const member = groupMember(group)
    if (member === undefined) {
      throw new StreamsError('ILLEGAL_STATE', 'sendOffsetsToTransaction needs the groupMetadata() of a live consumer')
    }
    this.#inTxn(what)
    await this.#cluster.call(this.instance, 'sendOffsetsToTransaction', timeoutMs)
    const txn = this.#inTxn(what)
    this.#checkEpoch(what)
    const g = this.#cluster.group(group.groupId)
    try {
      g.validate(member.memberId ?? '', member.generation, true)
    } catch (error) {
      this.#phase = 'abortable'
      this.#error = error as KafkaClientError
      throw error
    }
    this.#register(txn)
    let map = txn.offsets.get(group.groupId)
    if (map === undefined) txn.offsets.set(group.groupId, (map = new Map()))
    for (const o of offsets) {
      const key = `${o.topic}:${o.partition}`
      map.set(key, o.offset)
      g.pending.set(key, txn)
    }
  }

  /** Waits until every queued record was delivered (commit and abort flush first, as librdkafka does). */
  async #awaitDrained(timeoutMs: number, what: string): Promise<void> {
    const drained = await this.#cluster.until(() => this.#queue.length === 0 && !this.#draining, timeoutMs)
    if (!drained) throw timedOut(what)
  }

  async commitTransaction(timeoutMs = 60_000): Promise<void> {
    const what = 'committing the transaction'
    this.#requireTransactional(what)
    this.#inTxn(what)
    await this.#cluster.call(this.instance, 'commitTransaction', timeoutMs)
    await this.#awaitDrained(timeoutMs, what)
    const txn = this.#inTxn(what)
    this.#checkEpoch(what)
    this.#cluster.endTxn(txn, 'committed')
    this.#txn = null
    this.#phase = 'ready'
  }

  async abortTransaction(timeoutMs = 60_000): Promise<void> {
    const what = 'aborting the transaction'
    this.#requireTransactional(what)
    if (this.#phase === 'fatal') throw this.#error ?? fencedError(what)
    await this.#cluster.call(this.instance, 'abortTransaction', timeoutMs)
    // Records still queued are purged, not sent.
    const purged = this.#queue.filter((q) => q.txn !== null)
    this.#queue = this.#queue.filter((q) => q.txn === null)
    for (const q of purged) this.#report(q, new KafkaClientError('Local: Purged in queue', { code: PURGE_QUEUE }), -1)
    if (this.fenced) throw this.#error ?? fencedError(what)
    const state = this.#state()
    if (state !== undefined && state.owner === this) {
      if (state.epoch !== this.#epoch && !(state.timedOut && this.#cluster.options.txnTimeout === 'abortable')) {
        this.fence()
        throw this.#error ?? fencedError(what)
      }
      if (this.#txn !== null) this.#cluster.endTxn(this.#txn, 'aborted')
      // KIP-360: the abort of a transaction the broker timed out bumps the epoch and the producer carries on.
      this.#epoch = state.epoch
      state.timedOut = false
    } else if (state !== undefined) {
      this.fence()
      throw this.#error ?? fencedError(what)
    }
    this.#txn = null
    this.#error = null
    this.#phase = 'ready'
  }

  async close(timeoutMs = 10_000): Promise<void> {
    if (this.#closed) return
    try {
      if (!this.#cluster.faults.isCrashed(this.instance)) await this.#awaitDrained(timeoutMs, 'closing the producer')
    } finally {
      this.#closed = true
      this.#cluster.producers.delete(this)
    }
    if (this.#cluster.faults.isCrashed(this.instance)) await never()
  }
}
