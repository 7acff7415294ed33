// KafkaClientProvider on @confluentinc/kafka-javascript's callback API (KafkaConsumer/Producer/AdminClient), not its
// KafkaJS-style API: non-flowing consume(n) batches measured about 2x the throughput of eachBatch on this machine.
// The native module is loaded on first use, so code that never talks to a broker (the TopologyTestDriver, unit
// tests on a Node line the binding was not built for) does not need it.
import { createRequire } from 'node:module'
import type * as Rdkafka from '@confluentinc/kafka-javascript'
import { StreamsError } from '../../errors.ts'
import { settlesWithin } from '../settles-within.ts'
import type { Header } from '../../processor/record.ts'
import {
  levelEnabled,
  levelToSyslog,
  parseBootstrapServers,
  positiveMs,
  secretScrubber,
  settingFromConfigError,
  stderrErrorLogger,
  syslogToLevel,
  toLibrdkafkaProperties
} from './client-config.ts'
import {
  ASSIGN_PARTITIONS,
  clientError,
  KafkaClientError,
  PREV_IN_PROGRESS,
  QUEUE_FULL,
  TIMED_OUT,
  REVOKE_PARTITIONS,
  TOPIC_ALREADY_EXISTS,
  UNKNOWN_TOPIC_OR_PART
} from './client-error.ts'
import type {
  AdminClient,
  ClientLogger,
  ClientOptions,
  ConsumedRecord,
  ConsumerClient,
  ConsumerGroupMetadata,
  CreateTopicResult,
  DeliveryCallback,
  KafkaClientProvider,
  LogLevel,
  NewTopic,
  ProducerClient,
  ProducerRecord,
  RebalanceListener,
  TopicPartition,
  TopicPartitionOffset
} from './kafka-client.ts'

type Native = typeof Rdkafka

// Methods the package has at run time but leaves out of its .d.ts.
type NativeConsumer = Rdkafka.KafkaConsumer & {
  rebalanceProtocol(): 'NONE' | 'EAGER' | 'COOPERATIVE'
  incrementalAssign(partitions: Rdkafka.TopicPartition[]): void
  incrementalUnassign(partitions: Rdkafka.TopicPartition[]): void
  assignmentLost(): boolean
  setDefaultIsTimeoutOnlyForFirstMessage(onlyFirst: boolean): void
  // Present in lib/kafka-consumer.js, missing from the binding's type declarations.
  commitCb(offsets: Rdkafka.TopicPartitionOffset[], cb: (err: Rdkafka.LibrdKafkaError | null) => void): void
}
type Conf = Record<string, string | number | boolean | ((...args: never[]) => void)>

let native: Native | undefined

function loadNative(): Native {
  if (native !== undefined) return native
  try {
    native = createRequire(import.meta.url)('@confluentinc/kafka-javascript') as Native
  } catch (err) {
    const first = String((err as Error).message ?? err).split('\n')[0]
    throw new StreamsError(
      'KAFKA_CLIENT',
      `the native Kafka client @confluentinc/kafka-javascript could not be loaded (${first}); run scripts/setup.sh`,
      { cause: err }
    )
  }
  return native
}

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000
const DEFAULT_ADMIN_TIMEOUT_MS = 30_000
const DEFAULT_TXN_TIMEOUT_MS = 60_000
const BROKER_DOWN_CODES = new Set([-195 /* transport */, -187 /* all brokers down */, -193 /* resolve */])
const BROKER_DOWN_TEXT = /transport failure|broker connections are down|connection refused|failed to resolve/i

interface Prepared {
  conf: Conf
  connectTimeoutMs: number
  logger: ClientLogger
  logLevel: LogLevel
  scrub: (text: string) => string
  bootstrap: string
}

function prepare(options: ClientOptions, defaults: Conf): Prepared {
  if (options === null || typeof options !== 'object' || typeof options.properties !== 'object') {
    throw new StreamsError('CONFIG_INVALID', 'properties: client options must have a "properties" object', {
      setting: 'properties'
    })
  }
  const bootstrap = String(options.properties['bootstrap.servers'] ?? '')
  parseBootstrapServers(options.properties['bootstrap.servers'])
  const connectTimeoutMs = positiveMs(options.connectTimeoutMs, DEFAULT_CONNECT_TIMEOUT_MS, 'connectTimeoutMs')
  const logLevel = options.logLevel ?? 'warn'
  const props = toLibrdkafkaProperties(options.properties)
  const conf: Conf = { 'client.id': 'kstreams-ts', ...defaults, ...props }
  if (props.log_level === undefined) conf.log_level = levelToSyslog(logLevel)
  return {
    conf,
    connectTimeoutMs,
    logger: options.logger ?? stderrErrorLogger,
    logLevel,
    scrub: secretScrubber({ ...options.properties, ...props }),
    bootstrap
  }
}

interface LogSource {
  on(event: 'event.log', listener: (data: { severity: number; fac: string; message: string }) => void): unknown
  on(event: 'event.error', listener: (err: Rdkafka.LibrdKafkaError) => void): unknown
}

function routeLogs(client: LogSource, p: Prepared, role: string): void {
  client.on('event.log', (data) => {
    const level = logLevelOf(data)
    if (levelEnabled(p.logLevel, level)) safeLog(p.logger, level, p.scrub(data.message), { role, facility: data.fac })
  })
  let last = ''
  let lastAt = 0
  client.on('event.error', (err) => {
    const level = errorLevelOf(err)
    // The consumer repeats "all broker connections are down" on every poll while the cluster is away.
    const now = Date.now()
    if (err.message === last && now - lastAt < 10_000) return
    last = err.message
    lastAt = now
    if (levelEnabled(p.logLevel, level)) safeLog(p.logger, level, p.scrub(err.message), { role, code: err.code })
  })
}

// Lost connections are retried by the client; they are worth a warning, not an error line per retry.
function errorLevelOf(err: { code: number; message: string }): LogLevel {
  return BROKER_DOWN_CODES.has(err.code) || BROKER_DOWN_TEXT.test(err.message) ? 'warn' : 'error'
}

// librdkafka logs every failed broker connection at error severity (facility FAIL) although it keeps retrying; an
// unreachable cluster is reported once, by the bounded connect, so these are warnings.
function logLevelOf(data: { severity: number; fac: string }): LogLevel {
  const level = syslogToLevel(data.severity)
  return level === 'error' && data.fac === 'FAIL' ? 'warn' : level
}

function safeLog(logger: ClientLogger, level: LogLevel, message: string, fields: Record<string, unknown>): void {
  try {
    logger.log(level, message, fields)
  } catch {
    // A broken logger must not take the client down.
  }
}

/** Constructs a native client, turning librdkafka's configuration complaints into CONFIG_INVALID. */
function construct<T>(p: Prepared, make: () => T): T {
  try {
    return make()
  } catch (err) {
    const message = p.scrub(String((err as Error).message ?? err))
    const setting = settingFromConfigError(message, p.conf)
    throw new StreamsError('CONFIG_INVALID', setting ? `${setting}: ${message}` : message, {
      ...(setting ? { setting } : {}),
      cause: err
    })
  }
}

function unreachable(p: Prepared, err: unknown): StreamsError {
  const detail = p.scrub(String((err as Error)?.message ?? err))
  return new StreamsError(
    'KAFKA_CLIENT',
    `bootstrap.servers: no Kafka broker answered at ${p.bootstrap} within ${p.connectTimeoutMs} ms (${detail})`,
    { setting: 'bootstrap.servers', cause: err }
  )
}

function connect(client: Rdkafka.Producer | Rdkafka.KafkaConsumer, p: Prepared): Promise<void> {
  return new Promise((resolve, reject) => {
    // librdkafka keeps reconnecting in the background; the failed client is disconnected by connect() itself.
    client.connect({ timeout: p.connectTimeoutMs, allTopics: false }, (err) => {
      if (err) reject(unreachable(p, err))
      else resolve()
    })
  })
}

// How long past its own timeout a native call may take before we stop waiting for its callback. The 3-node
// reliability suite saw an exactly-once instance wait forever on a transactional call after a controller was killed.
const CALLBACK_GRACE_MS = 15_000
// How long a transactional call waits for the previous one to answer (see ConfluentProducer#txn).
const PREVIOUS_TXN_CALL_WAIT_MS = 5_000

/**
 * A promise for a native call's callback. With `timeoutMs` (the timeout given to the native call) the promise is
 * also rejected, with code TIMEOUT, if the callback has not come `CALLBACK_GRACE_MS` after it.
 */
function settle<T = void>(what: string, details: { topic?: string } = {}, timeoutMs?: number) {
  let resolve!: (value: T) => void
  let reject!: (err: unknown) => void
  const promise = new Promise<T>((_resolve, _reject) => {
    resolve = _resolve
    reject = _reject
  })
  // Settles when the client calls back, even after the deadline gave up on it (see ConfluentProducer#txn).
  let answered!: () => void
  const done = new Promise<void>((resolve) => {
    answered = resolve
  })
  let timer: NodeJS.Timeout | undefined
  if (timeoutMs !== undefined) {
    timer = setTimeout(() => {
      // Not retriable: a client that let its own timeout pass by this much is stuck (e.g. a request waiting for a
      // connection to a dead coordinator); calling again only queues behind it. A producer is replaced instead.
      reject(
        new KafkaClientError(
          `${what}: the client did not answer within ${timeoutMs + CALLBACK_GRACE_MS} ms`,
          { code: TIMED_OUT },
          details
        )
      )
    }, timeoutMs + CALLBACK_GRACE_MS)
    timer.unref()
  }
  const cb = (err: unknown, value?: T): void => {
    if (timer !== undefined) clearTimeout(timer)
    answered()
    if (err) reject(clientError(what, err, details))
    else resolve(value as T)
  }
  return { promise, cb, done }
}

function toNativeHeaders(headers: readonly Header[] | undefined): Rdkafka.MessageHeader[] | undefined {
  if (headers === undefined || headers.length === 0) return undefined
  // The binding cannot send a null header value; an empty one is the closest it can do.
  return headers.map((h) => ({ [h.key]: h.value ?? Buffer.alloc(0) }))
}

function fromNativeHeaders(headers: Rdkafka.MessageHeader[] | undefined): Header[] {
  if (headers === undefined) return []
  const out: Header[] = []
  for (const h of headers) {
    for (const [key, value] of Object.entries(h)) {
      out.push({ key, value: typeof value === 'string' ? Buffer.from(value) : value })
    }
  }
  return out
}

function toBuffer(data: Buffer | string | null | undefined): Buffer | null {
  if (data === null || data === undefined) return null
  return typeof data === 'string' ? Buffer.from(data) : data
}

function tp(p: TopicPartition): TopicPartition {
  return { topic: p.topic, partition: p.partition }
}

// ---------------------------------------------------------------- admin

class ConfluentAdmin implements AdminClient {
  readonly #admin: Rdkafka.IAdminClient
  #closed = false

  constructor(admin: Rdkafka.IAdminClient) {
    this.#admin = admin
  }

  // A call on a disconnected admin client would never call back; fail it instead of hanging.
  #open(): void {
    if (this.#closed) throw new StreamsError('ILLEGAL_STATE', 'admin client is closed')
  }

  async createTopics(topics: readonly NewTopic[], timeoutMs = DEFAULT_ADMIN_TIMEOUT_MS): Promise<CreateTopicResult[]> {
    this.#open()
    return Promise.all(
      topics.map(
        (t) =>
          new Promise<CreateTopicResult>((resolve, reject) => {
            const spec: Rdkafka.NewTopic = {
              topic: t.topic,
              num_partitions: t.partitions,
              replication_factor: t.replicationFactor,
              ...(t.configs ? { config: { ...t.configs } } : {})
            }
            this.#admin.createTopic(spec, timeoutMs, (err) => {
              if (!err) resolve({ topic: t.topic, created: true })
              else if (err.code === TOPIC_ALREADY_EXISTS) resolve({ topic: t.topic, created: false })
              else reject(clientError(`creating topic ${t.topic}`, err, { topic: t.topic }))
            })
          })
      )
    )
  }

  async listTopics(timeoutMs = DEFAULT_ADMIN_TIMEOUT_MS): Promise<string[]> {
    this.#open()
    const { promise, cb } = settle<string[]>('listing topics')
    this.#admin.listTopics({ timeout: timeoutMs }, cb)
    return promise
  }

  async describePartitionCounts(
    topics: readonly string[],
    timeoutMs = DEFAULT_ADMIN_TIMEOUT_MS
  ): Promise<Map<string, number | undefined>> {
    this.#open()
    const out = new Map<string, number | undefined>()
    // describeTopics fails as a whole when one topic is missing, so topics are described one by one.
    await Promise.all(
      topics.map(
        (topic) =>
          new Promise<void>((resolve, reject) => {
            this.#admin.describeTopics([topic], { timeout: timeoutMs }, (err, result) => {
              const described = result?.[0]
              const code = err?.code ?? described?.error?.code
              if (code === UNKNOWN_TOPIC_OR_PART) {
                out.set(topic, undefined)
                resolve()
              } else if (err || described?.error) {
                reject(clientError(`describing topic ${topic}`, err ?? described?.error, { topic }))
              } else {
                out.set(topic, described?.partitions.length)
                resolve()
              }
            })
          })
      )
    )
    return out
  }

  async deleteTopics(topics: readonly string[], timeoutMs = DEFAULT_ADMIN_TIMEOUT_MS): Promise<void> {
    this.#open()
    await Promise.all(
      topics.map(
        (topic) =>
          new Promise<void>((resolve, reject) => {
            this.#admin.deleteTopic(topic, timeoutMs, (err) => {
              if (!err || err.code === UNKNOWN_TOPIC_OR_PART) resolve()
              else reject(clientError(`deleting topic ${topic}`, err, { topic }))
            })
          })
      )
    )
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#admin.disconnect()
  }
}

// ---------------------------------------------------------------- producer

const NO_CALLBACK: DeliveryCallback = () => {}

class ConfluentProducer implements ProducerClient {
  readonly #producer: Rdkafka.Producer
  #closed = false
  // Records queued whose delivery report has not reached JS yet. librdkafka's flush returns once it has the reports,
  // but they are handed to JS asynchronously; flush() waits for this to reach 0 so callers see every callback.
  #inFlight = 0
  #drained: (() => void)[] = []
  // `delivery.report.only.error=true`: librdkafka reports failures only (a JS callback per record costs ~4 µs more);
  // flush() then cannot count reports and waits one event-loop turn after librdkafka's flush instead. No per-record
  // opaque is passed in this mode (the binding frees it only in a report, so every success would leak a handle):
  // a failure goes to the callback given with the latest produce().
  readonly #onlyErrors: boolean
  #errorCallback: DeliveryCallback = NO_CALLBACK
  // Settles when the transactional call running in the client answers (null: none running).
  #txnRunning: Promise<void> | null = null

  constructor(producer: Rdkafka.Producer, onlyErrors: boolean) {
    this.#producer = producer
    this.#onlyErrors = onlyErrors
    producer.on('delivery-report', (err, report) => {
      const onDelivery = this.#onlyErrors
        ? this.#errorCallback
        : ((report?.opaque as DeliveryCallback | undefined) ?? NO_CALLBACK)
      if (!this.#onlyErrors) this.#inFlight--
      if (this.#inFlight === 0 && this.#drained.length > 0) {
        const waiters = this.#drained
        this.#drained = []
        // After this callback, so that the last delivery callback has run when flush() resolves.
        queueMicrotask(() => waiters.forEach((w) => w()))
      }
      if (err) {
        onDelivery(clientError(`delivering to ${report.topic}`, err, { topic: report.topic }), null)
      } else {
        onDelivery(null, {
          topic: report.topic,
          partition: report.partition,
          offset: report.offset,
          ...(report.timestamp !== undefined ? { timestamp: report.timestamp } : {})
        })
      }
    })
  }

  produce(record: ProducerRecord, onDelivery?: DeliveryCallback): boolean {
    if (this.#closed) throw new StreamsError('ILLEGAL_STATE', 'producer is closed', { topic: record.topic })
    if (this.#onlyErrors && onDelivery !== undefined) this.#errorCallback = onDelivery
    try {
      this.#producer.produce(
        record.topic,
        record.partition ?? null,
        record.value,
        record.key,
        record.timestamp ?? null,
        this.#onlyErrors ? undefined : (onDelivery ?? NO_CALLBACK),
        toNativeHeaders(record.headers)
      )
      if (!this.#onlyErrors) this.#inFlight++
      return true
    } catch (err) {
      if ((err as Rdkafka.LibrdKafkaError).code === QUEUE_FULL) return false
      throw clientError(`producing to ${record.topic}`, err, { topic: record.topic })
    }
  }

  // A call on a disconnected native client would never call back; fail it instead of hanging.
  #open(what: string): void {
    if (this.#closed) throw new StreamsError('ILLEGAL_STATE', `${what}: producer is closed`)
  }

  async flush(timeoutMs = DEFAULT_TXN_TIMEOUT_MS): Promise<void> {
    this.#open('flush')
    const deadline = Date.now() + timeoutMs
    const { promise, cb } = settle('flushing the producer', {}, timeoutMs)
    this.#producer.flush(timeoutMs, cb)
    await promise
    if (this.#onlyErrors) {
      // The failure reports librdkafka served before its flush returned were handed to JS already; let them run.
      await new Promise<void>((resolve) => setImmediate(resolve))
      return
    }
    if (this.#inFlight === 0) return
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => {
          this.#drained = this.#drained.filter((w) => w !== done)
          reject(
            new KafkaClientError(`flushing the producer: ${this.#inFlight} delivery reports missing`, { code: -185 })
          )
        },
        Math.max(1, deadline - Date.now())
      )
      const done = (): void => {
        clearTimeout(timer)
        resolve()
      }
      this.#drained.push(done)
    })
  }

  /**
   * Runs one transactional call. librdkafka allows one at a time: a call made while another is still running in the
   * client fails with "Conflicting … API call is already in progress". The next call waits for a running one, but
   * only briefly: one still running after its deadline (see settle) is stuck, and waiting longer for it only keeps
   * the instance from polling. The call then fails (not retriable) and the caller replaces the producer.
   */
  async #txn(what: string, timeoutMs: number, start: (cb: (err: unknown) => void) => void): Promise<void> {
    this.#open(what)
    const previous = this.#txnRunning
    if (previous !== null) {
      if (!(await settlesWithin(previous, PREVIOUS_TXN_CALL_WAIT_MS))) {
        throw new KafkaClientError(`${what}: the previous transactional call is still running in the client`, {
          code: PREV_IN_PROGRESS
        })
      }
      this.#open(what)
    }
    const { promise, cb, done } = settle(what, {}, timeoutMs)
    this.#txnRunning = done
    // `done` never rejects (see settle).
    done.then(() => {
      if (this.#txnRunning === done) this.#txnRunning = null
    })
    start(cb)
    return promise
  }

  async initTransactions(timeoutMs = DEFAULT_TXN_TIMEOUT_MS): Promise<void> {
    await this.#txn('initializing transactions', timeoutMs, (cb) => this.#producer.initTransactions(timeoutMs, cb))
  }

  async beginTransaction(): Promise<void> {
    // Local only (no broker call): answers at once.
    await this.#txn('beginning a transaction', 0, (cb) => this.#producer.beginTransaction(cb))
  }

  async sendOffsetsToTransaction(
    offsets: readonly TopicPartitionOffset[],
    group: ConsumerGroupMetadata,
    timeoutMs = DEFAULT_TXN_TIMEOUT_MS
  ): Promise<void> {
    this.#open('sendOffsetsToTransaction')
    const consumer = groupConsumers.get(group)
    if (consumer === undefined) {
      throw new StreamsError('ILLEGAL_STATE', 'sendOffsetsToTransaction needs the groupMetadata() of a live consumer')
    }
    const list = offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset }))
    await this.#txn('sending offsets to the transaction', timeoutMs, (cb) =>
      this.#producer.sendOffsetsToTransaction(list, consumer, timeoutMs, cb)
    )
  }

  async commitTransaction(timeoutMs = DEFAULT_TXN_TIMEOUT_MS): Promise<void> {
    await this.#txn('committing the transaction', timeoutMs, (cb) => this.#producer.commitTransaction(timeoutMs, cb))
  }

  async abortTransaction(timeoutMs = DEFAULT_TXN_TIMEOUT_MS): Promise<void> {
    await this.#txn('aborting the transaction', timeoutMs, (cb) => this.#producer.abortTransaction(timeoutMs, cb))
    // The purged records' failure reports reach JS after the abort: deliver them to the callback of their epoch.
    if (this.#onlyErrors) await new Promise<void>((resolve) => setImmediate(resolve))
  }

  async close(timeoutMs = 10_000): Promise<void> {
    if (this.#closed) return
    try {
      await this.flush(timeoutMs)
    } finally {
      this.#closed = true
      await new Promise<void>((resolve) => this.#producer.disconnect(timeoutMs, () => resolve()))
    }
  }
}

// ---------------------------------------------------------------- consumer

// The group metadata token given to the runtime maps back to the native consumer that sendOffsetsToTransaction needs.
const groupConsumers = new WeakMap<ConsumerGroupMetadata, Rdkafka.KafkaConsumer>()

class ConfluentConsumer implements ConsumerClient {
  readonly #consumer: NativeConsumer
  readonly #group: ConsumerGroupMetadata
  readonly #logger: ClientLogger
  #listener: RebalanceListener | undefined
  // Rebalance steps run one after another, each awaiting the listener, in the order librdkafka issued them.
  #rebalances: Promise<void> = Promise.resolve()
  #closed = false

  constructor(consumer: NativeConsumer, groupId: string, logger: ClientLogger) {
    this.#consumer = consumer
    this.#logger = logger
    this.#group = Object.freeze({ groupId })
    groupConsumers.set(this.#group, consumer)
  }

  /** Installed as librdkafka's rebalance_cb before connecting. */
  onRebalance(err: Rdkafka.LibrdKafkaError | undefined, partitions: Rdkafka.TopicPartition[]): void {
    const list = partitions.map(tp)
    const consumer = this.#consumer
    const cooperative = (): boolean => consumer.rebalanceProtocol() === 'COOPERATIVE'
    const step = async (): Promise<void> => {
      if (err?.code === ASSIGN_PARTITIONS) {
        // Assign first (as Java does) so that positions exist when the listener seeks or pauses.
        if (cooperative()) consumer.incrementalAssign(partitions)
        else consumer.assign(partitions)
        await this.#listener?.onPartitionsAssigned(list)
      } else if (err?.code === REVOKE_PARTITIONS) {
        const lost = consumer.assignmentLost()
        if (lost && this.#listener?.onPartitionsLost) await this.#listener.onPartitionsLost(list)
        else await this.#listener?.onPartitionsRevoked(list)
        if (cooperative()) consumer.incrementalUnassign(partitions)
        else consumer.unassign()
      } else if (err) {
        safeLog(this.#logger, 'error', `rebalance failed: ${err.message}`, { code: err.code })
        consumer.unassign()
      }
    }
    this.#rebalances = this.#rebalances.then(step).catch((e: unknown) => {
      safeLog(this.#logger, 'error', `rebalance listener failed: ${(e as Error)?.message ?? e}`, {})
      // Without completing the step librdkafka would wait for the assignment forever.
      try {
        if (err?.code === ASSIGN_PARTITIONS && !cooperative()) consumer.assign(partitions)
        if (err?.code === REVOKE_PARTITIONS) {
          if (cooperative()) consumer.incrementalUnassign(partitions)
          else consumer.unassign()
        }
      } catch {
        // Disconnected meanwhile: nothing left to complete.
      }
    })
  }

  // A call on a disconnected native client would never call back; fail it instead of hanging.
  #open(what: string): void {
    if (this.#closed) throw new StreamsError('ILLEGAL_STATE', `${what}: consumer is closed`)
  }

  subscribe(topics: readonly string[], listener?: RebalanceListener): void {
    this.#open('subscribe')
    this.#listener = listener
    try {
      this.#consumer.subscribe([...topics])
    } catch (err) {
      throw clientError(`subscribing to ${topics.join(', ')}`, err)
    }
  }

  async consume(max: number, timeoutMs = 1000): Promise<ConsumedRecord[]> {
    this.#open('consume')
    this.#consumer.setDefaultConsumeTimeout(timeoutMs)
    return new Promise((resolve, reject) => {
      this.#consumer.consume(max, (err, messages) => {
        if (err) {
          reject(clientError('consuming', err))
          return
        }
        resolve(
          messages.map((m) => ({
            topic: m.topic,
            partition: m.partition,
            offset: m.offset,
            key: toBuffer(m.key),
            value: m.value,
            timestamp: m.timestamp ?? -1,
            headers: fromNativeHeaders(m.headers)
          }))
        )
      })
    })
  }

  async assign(positions: readonly TopicPartitionOffset[]): Promise<void> {
    try {
      this.#consumer.assign(positions.map((p) => ({ topic: p.topic, partition: p.partition, offset: p.offset })))
    } catch (err) {
      throw clientError(`assigning ${positions.map((p) => `${p.topic}-${p.partition}`).join(', ')}`, err)
    }
  }

  async commit(offsets: readonly TopicPartitionOffset[]): Promise<void> {
    this.#open('commit')
    if (offsets.length === 0) return
    // A synchronous commit as Kafka Streams makes, but on a libuv worker (commitCb), not commitSync on the event
    // loop: that blocked the whole process for a broker round trip per commit (with a commit per poll, 4% of an
    // engine's time in a profile), interactive queries and health checks included.
    await new Promise<void>((resolve, reject) => {
      this.#consumer.commitCb(
        offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset })),
        (err) => {
          if (err) reject(clientError('committing offsets', err))
          else resolve()
        }
      )
    })
  }

  async committed(partitions: readonly TopicPartition[], timeoutMs = 10_000): Promise<TopicPartitionOffset[]> {
    this.#open('committed')
    const { promise, cb } = settle<Rdkafka.TopicPartitionOffset[]>('fetching committed offsets')
    this.#consumer.committed(partitions.map(tp), timeoutMs, cb)
    // The binding leaves `offset` out when the group has no committed offset; the interface promises -1001 then.
    return promise.then((list) =>
      list.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset ?? -1001 }))
    )
  }

  pause(partitions: readonly TopicPartition[]): void {
    if (partitions.length > 0) this.#consumer.pause(partitions.map(tp))
  }

  resume(partitions: readonly TopicPartition[]): void {
    if (partitions.length > 0) this.#consumer.resume(partitions.map(tp))
  }

  async seek(position: TopicPartitionOffset, timeoutMs = 10_000): Promise<void> {
    this.#open('seek')
    const { promise, cb } = settle(`seeking ${position.topic}-${position.partition}`, { topic: position.topic })
    this.#consumer.seek(
      { topic: position.topic, partition: position.partition, offset: position.offset },
      timeoutMs,
      cb
    )
    return promise
  }

  assignment(): TopicPartition[] {
    return this.#consumer.assignments().map(tp)
  }

  async watermarks(partition: TopicPartition, timeoutMs = 10_000): Promise<{ low: number; high: number }> {
    this.#open('watermarks')
    const { promise, cb } = settle<Rdkafka.WatermarkOffsets>(`watermarks of ${partition.topic}`, {
      topic: partition.topic
    })
    this.#consumer.queryWatermarkOffsets(partition.topic, partition.partition, timeoutMs, cb)
    return promise.then((w) => ({ low: w.lowOffset, high: w.highOffset }))
  }

  positions(partitions: readonly TopicPartition[]): TopicPartitionOffset[] {
    if (this.#closed || partitions.length === 0) return []
    return this.#consumer
      .position(partitions.map(tp))
      .map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset ?? -1001 }))
  }

  cachedHighWatermark(partition: TopicPartition): number | undefined {
    if (this.#closed) return undefined
    try {
      const high = this.#consumer.getWatermarkOffsets(partition.topic, partition.partition).highOffset
      return typeof high === 'number' && high >= 0 ? high : undefined
    } catch {
      // Not assigned (any more) or not fetched yet.
      return undefined
    }
  }

  groupMetadata(): ConsumerGroupMetadata {
    return this.#group
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await new Promise<void>((resolve) => this.#consumer.disconnect(() => resolve()))
    await this.#rebalances
  }
}

// ---------------------------------------------------------------- provider

/** The production KafkaClientProvider, on @confluentinc/kafka-javascript (librdkafka). */
export const confluentClientProvider: KafkaClientProvider = {
  name: '@confluentinc/kafka-javascript',

  async createAdmin(options: ClientOptions): Promise<AdminClient> {
    const p = prepare(options, {})
    const rd = loadNative()
    const handlers = {
      'event.log': (data: { severity: number; fac: string; message: string }) => {
        const level = logLevelOf(data)
        if (levelEnabled(p.logLevel, level)) safeLog(p.logger, level, p.scrub(data.message), { role: 'admin' })
      },
      'event.error': (err: Rdkafka.LibrdKafkaError) => {
        const level = errorLevelOf(err)
        if (levelEnabled(p.logLevel, level)) safeLog(p.logger, level, p.scrub(err.message), { role: 'admin' })
      }
    }
    const raw = construct(p, () => rd.AdminClient.create(p.conf as Rdkafka.GlobalConfig, handlers))
    const admin = new ConfluentAdmin(raw)
    // Creating an admin client does not talk to the cluster; one bounded request tells whether it is there.
    try {
      await admin.listTopics(p.connectTimeoutMs)
    } catch (err) {
      await admin.close()
      throw unreachable(p, (err as StreamsError).cause ?? err)
    }
    return admin
  },

  async createProducer(options: ClientOptions): Promise<ProducerClient> {
    // murmur2 like Java's default partitioner (librdkafka's own default is CRC32): a key must land on the same
    // partition whichever client wrote it, or joins and state stores of mixed Java/TS apps disagree.
    const p = prepare(options, { 'enable.idempotence': true, acks: 'all', dr_cb: true, partitioner: 'murmur2_random' })
    const rd = loadNative()
    const raw = construct(p, () => new rd.Producer(p.conf as Rdkafka.ProducerGlobalConfig))
    routeLogs(raw, p, 'producer')
    const onlyErrors = String(p.conf['delivery.report.only.error']) === 'true'
    const producer = new ConfluentProducer(raw, onlyErrors)
    await connect(raw, p)
    // Delivery reports are served by librdkafka's background thread instead of a JS poll timer.
    raw.setPollInBackground(true)
    return producer
  },

  async createConsumer(options: ClientOptions): Promise<ConsumerClient> {
    const groupId = options?.properties?.['group.id']
    if (typeof groupId !== 'string' || groupId.trim() === '') {
      throw new StreamsError('CONFIG_INVALID', 'group.id: required for a consumer', { setting: 'group.id' })
    }
    const p = prepare(options, { 'enable.auto.commit': false, 'auto.offset.reset': 'earliest' })
    const rd = loadNative()
    // librdkafka takes the rebalance callback in the configuration, before the wrapper that handles it exists.
    const ref: { wrapper?: ConfluentConsumer } = {}
    p.conf.rebalance_cb = ((err: Rdkafka.LibrdKafkaError | undefined, assignment: Rdkafka.TopicPartition[]) =>
      ref.wrapper?.onRebalance(err, assignment)) as Conf[string]
    const raw = construct(p, () => new rd.KafkaConsumer(p.conf as Rdkafka.ConsumerGlobalConfig) as NativeConsumer)
    routeLogs(raw, p, 'consumer')
    const wrapper = new ConfluentConsumer(raw, groupId, p.logger)
    ref.wrapper = wrapper
    // consume(n) returns as soon as the first message is in plus whatever else is ready, not after the full timeout.
    raw.setDefaultIsTimeoutOnlyForFirstMessage(true)
    await connect(raw, p)
    return wrapper
  }
}

export { KafkaClientError }
