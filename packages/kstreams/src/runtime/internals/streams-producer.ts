// The instance's producer and, under exactly-once, the one owner of its transaction (Kafka Streams'
// StreamsProducer). Nothing else begins, commits or aborts a transaction, and only this class decides that a producer
// which can no longer abort is replaced. The transaction's state is one field, changed in one place per transition:
//
//   none --begin--> open --commit ok--> none
//                   open --commit fails--> open (outcome unknown if the commit call itself failed)
//                   open --abort ok--> none
//                   open --abort fails--> replace (a new producer with the same transactional.id fences this one and
//                                         the broker aborts its open transaction) --> none
import { StreamsError } from '../../errors.ts'
import { KafkaClientError } from '../../internals/client/client-error.ts'
import type {
  ConsumerGroupMetadata,
  DeliveryCallback,
  ProducerClient,
  ProducerRecord,
  TopicPartitionOffset
} from '../../internals/client/kafka-client.ts'

export interface StreamsProducerHooks {
  log(level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>): void
  /** Closes `old` and returns a new producer with the same settings (exactly-once: the same transactional.id). */
  replaceProducer(old: ProducerClient): Promise<ProducerClient>
}

export interface ProducerMetrics {
  /** Exactly-once: transactions aborted after a failed send or commit. */
  abortedTransactions: number
  /** Producers replaced because they could no longer abort (fenced or fatal). */
  producerReplacements: number
  /** Exactly-once: transactional calls retried after a retriable error (timeout, coordinator unavailable). */
  transactionRetries: number
}

/** How an abort ended: `uncertain` when a failed commit may have been applied by the broker after all. */
export interface AbortOutcome {
  readonly uncertain: boolean
}

type TxnState = 'none' | 'open'

/**
 * Deadline of a transactional call (send offsets, commit, abort). A transaction lives at most 10 s on the broker
 * (`transaction.timeout.ms`): waiting a minute for a call that cannot succeed (e.g. a coordinator that moved while
 * librdkafka retries a PID request) only stalls the instance; a failed call aborts and, if need be, replaces the
 * producer.
 */
export const TXN_CALL_TIMEOUT_MS = 30_000

/**
 * How long a transactional call is retried on retriable errors before the caller aborts (or the producer is
 * replaced). A coordinator failover heals within it; the broker aborts the open transaction by itself after
 * `transaction.timeout.ms` anyway (a retry then fails as fenced, which is not retried). The whole recovery (retries,
 * abort, a new producer, restore) must stay well within `max.poll.interval.ms`, or the consumer leaves the group.
 */
const TXN_RETRY_BUDGET_MS = 30_000
const TXN_RETRY_BACKOFF_MAX_MS = 2_000

export class StreamsProducer {
  readonly #eos: boolean
  readonly #hooks: StreamsProducerHooks
  readonly #metrics: ProducerMetrics
  #producer: ProducerClient
  #txn: TxnState = 'none'
  // A commitTransaction call failed: until the transaction is known aborted, the broker may have committed it.
  #commitUncertain = false

  constructor(producer: ProducerClient, eos: boolean, hooks: StreamsProducerHooks, metrics: ProducerMetrics) {
    this.#producer = producer
    this.#eos = eos
    this.#hooks = hooks
    this.#metrics = metrics
  }

  get eosEnabled(): boolean {
    return this.#eos
  }

  get transactionInFlight(): boolean {
    return this.#txn === 'open'
  }

  /** Queues one record on the current producer (see ProducerClient.produce). */
  produce(record: ProducerRecord, onDelivery: DeliveryCallback): boolean {
    return this.#producer.produce(record, onDelivery)
  }

  flush(timeoutMs: number): Promise<void> {
    return this.#producer.flush(timeoutMs)
  }

  /** Exactly-once: registers the transactional.id (fencing an older instance with the same id). Once, at start. */
  async initTransactions(): Promise<void> {
    if (this.#eos) await this.#producer.initTransactions()
  }

  /** Exactly-once: opens a transaction unless one is open. */
  async maybeBeginTransaction(): Promise<void> {
    if (!this.#eos || this.#txn === 'open') return
    await this.#producer.beginTransaction()
    this.#txn = 'open'
  }

  /**
   * Exactly-once: adds the consumed offsets to the open transaction (KIP-447, fenced by the group generation in
   * `group`) and commits it. Retriable failures call the same step again with the same arguments, as librdkafka asks
   * (neither call is resumable). On failure the transaction stays open: the caller aborts.
   */
  async commitTransaction(offsets: readonly TopicPartitionOffset[], group: ConsumerGroupMetadata): Promise<void> {
    if (!this.#eos) throw new StreamsError('ILLEGAL_STATE', 'commitTransaction without exactly-once')
    if (this.#txn !== 'open') return
    if (offsets.length > 0) {
      await this.#retrying('sending offsets to the transaction', () =>
        this.#producer.sendOffsetsToTransaction(offsets, group, TXN_CALL_TIMEOUT_MS)
      )
    }
    try {
      await this.#retrying('committing the transaction', () => this.#producer.commitTransaction(TXN_CALL_TIMEOUT_MS))
    } catch (error) {
      // An abortable error means the broker did not commit; any other failure (a timeout, a fenced producer) may
      // come after the broker committed.
      if (!(error instanceof KafkaClientError && error.txnRequiresAbort)) this.#commitUncertain = true
      throw error
    }
    this.#txn = 'none'
    this.#commitUncertain = false
  }

  /**
   * Aborts the open transaction, if any. Throws when the producer cannot abort; the state is 'none' either way
   * (nothing more can be committed in that transaction). For shutdown, where a new producer is not wanted.
   */
  async abortTransaction(): Promise<void> {
    if (!this.#eos || this.#txn !== 'open') return
    this.#txn = 'none'
    this.#metrics.abortedTransactions++
    await this.#retrying('aborting the transaction', () => this.#producer.abortTransaction(TXN_CALL_TIMEOUT_MS))
  }

  /**
   * Aborts the open transaction; a producer that cannot abort any more (fenced after a transaction timeout, or a
   * fatal idempotence error) is replaced by one with the same transactional.id, whose initTransactions fences it and
   * has the broker abort its open transaction. Throws a StreamsError when no new producer can be set up.
   */
  async abortOrReplace(cause: unknown): Promise<AbortOutcome> {
    // A commit call that failed for another reason than an abortable error may have reached the broker, which then
    // refuses the abort or, in a race, has committed before it; either way the caller asks the broker for the offsets.
    const uncertain = this.#commitUncertain
    this.#commitUncertain = false
    try {
      await this.abortTransaction()
      return { uncertain }
    } catch (abortError) {
      this.#hooks.log('warn', `the transaction could not be aborted (${message(abortError)}); replacing the producer`)
    }
    try {
      this.#producer = await this.#hooks.replaceProducer(this.#producer)
      this.#metrics.producerReplacements++
      // The broker answers "concurrent transactions" until it has aborted the old producer's transaction (its
      // markers may wait for a partition leader after a broker failure): retried, not a reason to give up.
      await this.#retrying('initializing transactions', () => this.#producer.initTransactions())
    } catch (replaceError) {
      throw new StreamsError(
        'KAFKA_CLIENT',
        `the transaction could not be aborted after a failure (${message(cause)}), and no new producer could be set up: ${message(replaceError)}`,
        { cause: replaceError }
      )
    }
    // The old transaction is resolved now: committed before the fence, or aborted by it.
    return { uncertain }
  }

  /**
   * Runs a transactional call, calling it again (same arguments) while it fails with an error the client marks
   * retriable — librdkafka's rule: a timeout, an unavailable or moving coordinator, a concurrent transaction still
   * completing on the broker are retried; an abortable error aborts and a fatal one needs a new producer (the callers
   * do that). Aborting on a retriable error instead only starts another call that waits on the same broker, and one
   * made while the first still runs in the client is refused as conflicting. Gives up after TXN_RETRY_BUDGET_MS.
   */
  async #retrying(what: string, call: () => Promise<void>): Promise<void> {
    const giveUpAt = Date.now() + TXN_RETRY_BUDGET_MS
    for (let attempt = 1; ; attempt++) {
      try {
        await call()
        return
      } catch (error) {
        if (!retriableTxnError(error) || Date.now() >= giveUpAt) throw error
        this.#metrics.transactionRetries++
        this.#hooks.log(
          'warn',
          `${what} failed with a retriable error, calling it again (attempt ${attempt + 1}): ${message(error)}`
        )
        await new Promise((resolve) => setTimeout(resolve, Math.min(TXN_RETRY_BACKOFF_MAX_MS, 100 * 2 ** attempt)))
      }
    }
  }
}

function message(error: unknown): string {
  return (error as Error)?.message ?? String(error)
}

/** An error the client says the same transactional call may be retried after (and that does not doom the transaction). */
function retriableTxnError(error: unknown): boolean {
  return error instanceof KafkaClientError && error.retriable && !error.fatal && !error.txnRequiresAbort
}

// librdkafka's local error codes (rdkafka.h).
export const ERR_STATE = -172
const ERR_FATAL = -150
const ERR_FENCED = -144

/**
 * True for a producer error that is about the producer's state, not the record: a transaction that must be aborted
 * or needs an epoch bump ("Local: Erroneous state"), a fenced or fatally failed producer.
 */
export function producerStateError(error: unknown): boolean {
  if (!(error instanceof KafkaClientError)) return false
  return (
    error.fatal ||
    error.txnRequiresAbort ||
    error.kafkaCode === ERR_STATE ||
    error.kafkaCode === ERR_FENCED ||
    error.kafkaCode === ERR_FATAL ||
    /erroneous state|epoch bump|fenced/i.test(error.message)
  )
}
