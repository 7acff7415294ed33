// A task: one instance of a sub-topology (or, in the test driver, of the whole topology) with its processors,
// stores and record queues. Everything here is synchronous; the runtime around it does the I/O.
import { StreamsError } from '../../errors.ts'
import type { Deserializer, Serializer } from '../../serdes/serde.ts'
import type { StateStore, RestoreCallback } from '../../state/state-store.ts'
import type { InternalStoreContext, RecordContext } from '../../state/internals/internal-store-context.ts'
import { ThreadCache } from '../../state/internals/thread-cache.ts'
import type {
  Cancellable,
  Processor,
  ProcessorContext,
  PunctuationType,
  Punctuator,
  RecordMetadata
} from '../processor.ts'
import { Record } from '../record.ts'
import type { Headers } from '../record.ts'
import { deadLetters, handlerResult } from './error-handlers.ts'
import type {
  DeserializationExceptionHandler,
  ErrorLogger,
  HandlerResponse,
  ProcessingExceptionHandler
} from './error-handlers.ts'
import type {
  InternalTopologyBuilder,
  NodeFactory,
  StreamPartitioner,
  TimestampExtractor
} from './internal-topology-builder.ts'
import type { RecordCollector } from './record-collector.ts'
import { changelogTopic } from '../../internals/names.ts'

/** A record as read from a topic, before deserialization. */
export interface RawRecord {
  readonly topic: string
  readonly partition: number
  readonly offset: number
  readonly timestamp: number
  readonly key: Buffer | null
  readonly value: Buffer | null
  readonly headers: Headers
}

export interface StreamTaskOptions {
  readonly taskId: string
  readonly partition: number
  readonly applicationId: string
  readonly builder: InternalTopologyBuilder
  readonly nodeNames: readonly string[]
  readonly collector: RecordCollector
  readonly cacheMaxBytes: number
  readonly stateDir: string
  readonly deserializationExceptionHandler: DeserializationExceptionHandler
  readonly processingExceptionHandler: ProcessingExceptionHandler
  /** `errors.dead.letter.queue.topic.name`: where the handlers' dead-letter records go (undefined: none). */
  readonly deadLetterQueueTopic: string | undefined
  readonly logger: ErrorLogger
  readonly wallClock: () => number
  readonly defaultKeySerde: (Serializer<unknown> & Deserializer<unknown>) | undefined
  readonly defaultValueSerde: (Serializer<unknown> & Deserializer<unknown>) | undefined
  /** Decorates a topic name the topology uses internally (repartition/changelog) into the real topic name. */
  readonly decorateTopic: (topic: string) => string
}

class RuntimeNode {
  readonly name: string
  readonly children: RuntimeNode[] = []
  readonly childByName = new Map<string, RuntimeNode>()
  readonly stores: readonly string[]
  processor: Processor<unknown, unknown, unknown, unknown> | null = null
  // Source nodes
  topics: readonly string[] = []
  keyDeserializer: Deserializer<unknown> | undefined
  valueDeserializer: Deserializer<unknown> | undefined
  timestampExtractor: TimestampExtractor | undefined
  // Sink nodes
  sinkTopic: string | null = null
  keySerializer: Serializer<unknown> | undefined
  valueSerializer: Serializer<unknown> | undefined
  partitioner: StreamPartitioner<unknown, unknown> | undefined

  constructor(name: string, stores: readonly string[]) {
    this.name = name
    this.stores = stores
  }
}

interface Scheduled {
  readonly node: RuntimeNode
  readonly interval: number
  readonly type: PunctuationType
  readonly callback: Punctuator
  next: number
  cancelled: boolean
}

interface Registered {
  readonly store: StateStore
  readonly restore: RestoreCallback
}

export class StreamTask implements InternalStoreContext {
  readonly taskId: string
  readonly partition: number
  readonly applicationId: string
  readonly stateDir: string
  readonly cache: ThreadCache | null
  readonly droppedRecords = { total: 0 }
  processedRecords = 0
  /** Offset of the last record processed per input partition (`topic` → offset); the runtime commits offset + 1. */
  readonly consumedOffsets = new Map<string, number>()

  readonly #options: StreamTaskOptions
  readonly #nodes = new Map<string, RuntimeNode>()
  readonly #sourcesByTopic = new Map<string, RuntimeNode>()
  readonly #stores = new Map<string, StateStore>()
  readonly #registered: Registered[] = []
  readonly #queues = new Map<string, RawRecord[]>()
  readonly #schedules: Scheduled[] = []
  readonly #processorContext: ProcessorContext<unknown, unknown>
  #currentNode: RuntimeNode | null = null
  #streamTime = -1
  #commitRequested = false
  // The record context, kept as fields so forwarding does not allocate.
  #ctxTimestamp = 0
  #ctxHeaders: Headers = []
  #ctxTopic = ''
  #ctxPartition = -1
  #ctxOffset = -1
  // The input record's bytes, for dead-letter records of processing errors.
  #ctxRawKey: Buffer | null = null
  #ctxRawValue: Buffer | null = null
  #inPunctuation = false
  #schemaFetchFailed = false

  constructor(options: StreamTaskOptions) {
    this.#options = options
    this.taskId = options.taskId
    this.partition = options.partition
    this.applicationId = options.applicationId
    this.stateDir = options.stateDir
    // A zero-byte cache means no caching at all (Kafka Streams emits every update then, tombstones for absent keys too).
    this.cache = options.cacheMaxBytes > 0 ? new ThreadCache(options.cacheMaxBytes) : null
    this.#processorContext = this.#makeProcessorContext()
    this.#buildNodes()
  }

  // ---- construction --------------------------------------------------------------------------------------

  #buildNodes(): void {
    const { builder } = this.#options
    const wanted = new Set(this.#options.nodeNames)
    for (const [name, factory] of builder.nodeFactories) {
      if (!wanted.has(name)) continue
      const node = new RuntimeNode(name, factory.kind === 'processor' ? factory.stores : [])
      this.#configureNode(node, factory)
      this.#nodes.set(name, node)
      for (const p of factory.predecessors) {
        const parent = this.#nodes.get(p)
        if (parent === undefined) {
          throw new StreamsError('TOPOLOGY_INVALID', `predecessor ${p} of ${name} is not in this task`)
        }
        parent.children.push(node)
        parent.childByName.set(name, node)
      }
    }
  }

  #configureNode(node: RuntimeNode, factory: NodeFactory): void {
    const { defaultKeySerde, defaultValueSerde, decorateTopic } = this.#options
    if (factory.kind === 'source') {
      node.topics = factory.topics.map((t) => decorateTopic(t))
      node.keyDeserializer = factory.keyDeserializer ?? defaultKeySerde
      node.valueDeserializer = factory.valueDeserializer ?? defaultValueSerde
      node.timestampExtractor = factory.timestampExtractor
      for (const t of node.topics) this.#sourcesByTopic.set(t, node)
    } else if (factory.kind === 'sink') {
      node.sinkTopic = decorateTopic(factory.topic)
      node.keySerializer = factory.keySerializer ?? defaultKeySerde
      node.valueSerializer = factory.valueSerializer ?? defaultValueSerde
      node.partitioner = factory.partitioner
    } else {
      node.processor = factory.supplier() as Processor<unknown, unknown, unknown, unknown>
    }
  }

  /** Builds and initialises stores, then processors, in topological order. */
  initialize(): void {
    const { builder } = this.#options
    for (const node of this.#nodes.values()) {
      for (const storeName of node.stores) {
        if (this.#stores.has(storeName)) continue
        const factory = builder.stateFactories.get(storeName)
        if (factory === undefined) {
          throw new StreamsError('STORE_NOT_FOUND', `store ${storeName} is not in the topology`, { storeName })
        }
        const store = factory.builder.build()
        this.#stores.set(storeName, store)
        store.init(this, store)
      }
    }
    for (const node of this.#nodes.values()) {
      if (node.processor?.init !== undefined) {
        this.#currentNode = node
        try {
          node.processor.init(this.#processorContext)
        } finally {
          this.#currentNode = null
        }
      }
    }
  }

  // ---- StateStoreContext / InternalStoreContext -------------------------------------------------------------

  register(store: StateStore, restore: RestoreCallback): void {
    this.#registered.push({ store, restore })
  }

  /** Stores with their restore callbacks, in registration order (the runtime restores them from changelogs). */
  registeredStores(): readonly Registered[] {
    return this.#registered
  }

  recordContext(): RecordContext {
    return {
      timestamp: this.#ctxTimestamp,
      topic: this.#ctxTopic,
      partition: this.#ctxPartition,
      offset: this.#ctxOffset,
      headers: this.#ctxHeaders
    }
  }

  setRecordContext(context: RecordContext): void {
    this.#ctxTimestamp = context.timestamp
    this.#ctxTopic = context.topic
    this.#ctxPartition = context.partition
    this.#ctxOffset = context.offset
    this.#ctxHeaders = context.headers
  }

  changelogFor(storeName: string): string {
    return changelogTopic(this.applicationId, storeName)
  }

  logChange(storeName: string, key: Buffer, value: Buffer | null, timestamp: number, headers: Headers): void {
    this.#options.collector.send(this.changelogFor(storeName), key, value, headers, timestamp, this.partition)
  }

  getStore(name: string): StateStore | undefined {
    return this.#stores.get(name)
  }

  get stores(): ReadonlyMap<string, StateStore> {
    return this.#stores
  }

  get streamTime(): number {
    return this.#streamTime
  }

  sourceTopics(): string[] {
    return [...this.#sourcesByTopic.keys()]
  }

  // ---- processing ----------------------------------------------------------------------------------------

  addRecord(record: RawRecord): void {
    if (!this.#sourcesByTopic.has(record.topic)) {
      throw new StreamsError('ILLEGAL_STATE', `task ${this.taskId} has no source for topic ${record.topic}`, {
        topic: record.topic
      })
    }
    let queue = this.#queues.get(record.topic)
    if (queue === undefined) {
      queue = []
      this.#queues.set(record.topic, queue)
    }
    queue.push(record)
  }

  hasRecordsQueued(): boolean {
    for (const q of this.#queues.values()) if (q.length > 0) return true
    return false
  }

  /** Processes the queued record with the lowest timestamp (Kafka Streams' partition-group choice). */
  process(): boolean {
    let chosen: RawRecord[] | null = null
    let chosenTs = Infinity
    for (const q of this.#queues.values()) {
      if (q.length > 0 && (q[0] as RawRecord).timestamp < chosenTs) {
        chosen = q
        chosenTs = (q[0] as RawRecord).timestamp
      }
    }
    if (chosen === null) return false
    const raw = chosen.shift() as RawRecord
    const previousOffset = this.consumedOffsets.get(raw.topic)
    this.consumedOffsets.set(raw.topic, raw.offset)
    try {
      this.processRecord(raw)
    } catch (error) {
      if (isSchemaFetch(error)) {
        // Nothing of this record was processed: put it back so the runtime can fetch the schema and retry it.
        chosen.unshift(raw)
        if (previousOffset === undefined) this.consumedOffsets.delete(raw.topic)
        else this.consumedOffsets.set(raw.topic, previousOffset)
      }
      throw error
    }
    return true
  }

  /**
   * The schema fetch for the record at the head of the queue failed: that record now goes to the deserialization
   * exception handler like any other undecodable record (skip or fail, as configured).
   */
  schemaFetchFailed(): void {
    this.#schemaFetchFailed = true
  }

  /** Deserializes and processes one record through its source node. */
  processRecord(raw: RawRecord): void {
    const source = this.#sourcesByTopic.get(raw.topic)
    if (source === undefined) {
      throw new StreamsError('ILLEGAL_STATE', `no source for topic ${raw.topic}`, { topic: raw.topic })
    }
    let key: unknown
    let value: unknown
    try {
      key =
        source.keyDeserializer === undefined
          ? raw.key
          : source.keyDeserializer.deserialize(raw.topic, raw.key, raw.headers)
      value =
        source.valueDeserializer === undefined
          ? raw.value
          : source.valueDeserializer.deserialize(raw.topic, raw.value, raw.headers)
    } catch (error) {
      this.#handleDeserializationError(error, raw)
      return
    }
    let timestamp = raw.timestamp
    if (source.timestampExtractor !== undefined) {
      timestamp = source.timestampExtractor(
        { key, value, timestamp: raw.timestamp, topic: raw.topic, partition: raw.partition, offset: raw.offset },
        this.#streamTime
      )
    }
    if (timestamp < 0) {
      throw new StreamsError(
        'PROCESSING',
        `Input record on topic ${raw.topic} partition ${raw.partition} offset ${raw.offset} has invalid (negative) timestamp ${timestamp}`,
        { taskId: this.taskId, topic: raw.topic, partition: raw.partition, offset: String(raw.offset) }
      )
    }
    this.#ctxTimestamp = timestamp
    this.#ctxHeaders = raw.headers
    this.#ctxTopic = raw.topic
    this.#ctxPartition = raw.partition
    this.#ctxOffset = raw.offset
    this.#ctxRawKey = raw.key
    this.#ctxRawValue = raw.value
    if (timestamp > this.#streamTime) this.#streamTime = timestamp
    this.processedRecords++
    try {
      this.#processAt(source, new Record(key, value, timestamp, raw.headers))
    } catch (error) {
      if (error instanceof FailedProcessing) throw error.error
      throw error
    }
  }

  #handleDeserializationError(error: unknown, raw: RawRecord): void {
    if (isSchemaFetch(error) && !this.#schemaFetchFailed) throw error
    this.#schemaFetchFailed = false
    const response = this.#options.deserializationExceptionHandler(error, {
      topic: raw.topic,
      partition: raw.partition,
      offset: raw.offset,
      key: raw.key,
      value: raw.value,
      timestamp: raw.timestamp,
      headers: raw.headers,
      taskId: this.taskId,
      deadLetterQueueTopic: this.#options.deadLetterQueueTopic
    })
    this.#sendDeadLetters(response)
    if (handlerResult(response) === 'continue') {
      this.droppedRecords.total++
      return
    }
    throw new StreamsError(
      'DESERIALIZATION',
      `Deserialization exception handler is set to fail upon a deserialization error on topic ${raw.topic} partition ${raw.partition} offset ${raw.offset}: ${(error as Error)?.message ?? String(error)}`,
      { cause: error, taskId: this.taskId, topic: raw.topic, partition: raw.partition, offset: String(raw.offset) }
    )
  }

  #processAt(node: RuntimeNode, record: Record<unknown, unknown>): void {
    const previous = this.#currentNode
    this.#currentNode = node
    try {
      if (node.processor !== null) {
        try {
          node.processor.process(record)
        } catch (error) {
          if (error instanceof FailedProcessing) throw error
          const inPunctuation = this.#inPunctuation
          const response = this.#options.processingExceptionHandler(error, {
            processorNodeId: node.name,
            taskId: this.taskId,
            record: this.recordContext(),
            sourceRawKey: inPunctuation ? null : this.#ctxRawKey,
            sourceRawValue: inPunctuation ? null : this.#ctxRawValue,
            deadLetterQueueTopic: this.#options.deadLetterQueueTopic
          })
          this.#sendDeadLetters(response)
          if (handlerResult(response) === 'fail') {
            throw new FailedProcessing(
              new StreamsError(
                'PROCESSING',
                `Exception caught in process. taskId=${this.taskId}, processor=${node.name}, topic=${this.#ctxTopic}, partition=${this.#ctxPartition}, offset=${this.#ctxOffset}: ${(error as Error)?.message ?? String(error)}`,
                {
                  cause: error,
                  taskId: this.taskId,
                  topic: this.#ctxTopic,
                  partition: this.#ctxPartition,
                  offset: String(this.#ctxOffset)
                }
              )
            )
          }
          this.droppedRecords.total++
        }
      } else if (node.sinkTopic !== null) {
        this.#send(node, record)
      } else {
        for (const child of node.children) this.#processAt(child, record)
      }
    } finally {
      this.#currentNode = previous
    }
  }

  #sendDeadLetters(response: HandlerResponse): void {
    for (const r of deadLetters(response)) {
      this.#options.collector.send(r.topic, r.key, r.value, r.headers, r.timestamp, undefined)
    }
  }

  #send(node: RuntimeNode, record: Record<unknown, unknown>): void {
    const topic = node.sinkTopic as string
    if (record.timestamp < 0) {
      throw new StreamsError(
        'PROCESSING',
        `Invalid (negative) timestamp of ${record.timestamp} for output record <${String(record.key)}:${String(record.value)}>.`,
        { topic }
      )
    }
    const keyBytes =
      node.keySerializer === undefined
        ? (record.key as Buffer | null)
        : node.keySerializer.serialize(topic, record.key, record.headers)
    const valueBytes =
      node.valueSerializer === undefined
        ? (record.value as Buffer | null)
        : node.valueSerializer.serialize(topic, record.value, record.headers)
    let partition: number | undefined
    if (node.partitioner !== undefined) partition = node.partitioner(topic, record.key, record.value, -1)
    this.#options.collector.send(topic, keyBytes, valueBytes, record.headers, record.timestamp, partition)
  }

  #forward(record: Record<unknown, unknown>, childName: string | undefined): void {
    const node = this.#currentNode
    if (node === null) throw new StreamsError('ILLEGAL_STATE', 'forward() called outside of processing')
    const savedTs = this.#ctxTimestamp
    const savedHeaders = this.#ctxHeaders
    this.#ctxTimestamp = record.timestamp
    this.#ctxHeaders = record.headers
    try {
      if (childName === undefined) {
        for (const child of node.children) this.#processAt(child, record)
      } else {
        const child = node.childByName.get(childName)
        if (child === undefined) {
          throw new StreamsError(
            'ILLEGAL_STATE',
            `Unknown downstream node: ${childName} either does not exist or is not connected to this processor.`
          )
        }
        this.#processAt(child, record)
      }
    } finally {
      this.#ctxTimestamp = savedTs
      this.#ctxHeaders = savedHeaders
    }
  }

  // ---- punctuation and commit ----------------------------------------------------------------------------

  maybePunctuateStreamTime(): boolean {
    return this.#punctuate('STREAM_TIME', this.#streamTime)
  }

  maybePunctuateSystemTime(): boolean {
    return this.#punctuate('WALL_CLOCK_TIME', this.#options.wallClock())
  }

  #punctuate(type: PunctuationType, now: number): boolean {
    if (now < 0) return false
    let fired = false
    for (const s of this.#schedules) {
      if (s.cancelled || s.type !== type) continue
      if (s.next < 0) s.next = now
      if (now >= s.next) {
        const previous = this.#currentNode
        this.#currentNode = s.node
        this.#inPunctuation = true
        this.setRecordContext({ timestamp: now, topic: '', partition: -1, offset: -1, headers: [] })
        try {
          s.callback(now)
        } finally {
          this.#currentNode = previous
          this.#inPunctuation = false
        }
        s.next = now + s.interval - ((now - s.next) % s.interval)
        fired = true
      }
    }
    return fired
  }

  /** Flushes every store (caches forward their dirty entries downstream) in registration order. */
  flush(): void {
    for (const { store } of this.#registered) store.flush()
    this.#commitRequested = false
  }

  get commitRequested(): boolean {
    return this.#commitRequested
  }

  close(): void {
    let first: unknown
    for (const node of this.#nodes.values()) {
      try {
        node.processor?.close?.()
      } catch (e) {
        first ??= e
      }
    }
    for (const store of this.#stores.values()) {
      try {
        if (store.isOpen()) store.close()
      } catch (e) {
        first ??= e
      }
    }
    if (first !== undefined) throw first
  }

  // ---- the processor context -----------------------------------------------------------------------------

  #makeProcessorContext(): ProcessorContext<unknown, unknown> {
    const task = this
    const context: ProcessorContext<unknown, unknown> & { [TASK]: StreamTask } = {
      [TASK]: task,
      applicationId: this.applicationId,
      taskId: this.taskId,
      forward: (record, childName) => task.#forward(record as Record<unknown, unknown>, childName),
      getStateStore<S extends StateStore>(name: string): S {
        const node = task.#currentNode
        const store = task.#stores.get(name)
        if (store === undefined || (node !== null && !node.stores.includes(name))) {
          throw new StreamsError(
            'STORE_NOT_FOUND',
            `Processor ${node?.name ?? '?'} has no access to StateStore ${name} as the store is not connected to the processor.`,
            { storeName: name }
          )
        }
        return store as S
      },
      schedule: (intervalMs, type, callback): Cancellable => {
        if (intervalMs < 1) {
          throw new StreamsError('ILLEGAL_STATE', 'The minimum supported scheduling interval is 1 millisecond.')
        }
        const node = task.#currentNode
        if (node === null) throw new StreamsError('ILLEGAL_STATE', 'schedule() must be called from a processor')
        const s: Scheduled = {
          node,
          interval: intervalMs,
          type,
          callback,
          next: type === 'STREAM_TIME' ? -1 : task.#options.wallClock() + intervalMs,
          cancelled: false
        }
        task.#schedules.push(s)
        return {
          cancel: () => {
            s.cancelled = true
          }
        }
      },
      recordMetadata: (): RecordMetadata | null =>
        task.#inPunctuation ? null : { topic: task.#ctxTopic, partition: task.#ctxPartition, offset: task.#ctxOffset },
      currentStreamTimeMs: () => task.#streamTime,
      currentSystemTimeMs: () => task.#options.wallClock(),
      commit: () => {
        task.#commitRequested = true
      }
    }
    return context
  }

  /** The node whose processor is running now (captured by processors that forward later, from cache flushes). */
  currentNodeName(): string {
    if (this.#currentNode === null) throw new StreamsError('ILLEGAL_STATE', 'no current node')
    return this.#currentNode.name
  }

  /** Forwards `record` to the children of `nodeName`, as if that node's processor had forwarded it. */
  forwardFrom(nodeName: string, record: Record<unknown, unknown>): void {
    const node = this.#nodes.get(nodeName)
    if (node === undefined) throw new StreamsError('ILLEGAL_STATE', `unknown node ${nodeName}`)
    const previous = this.#currentNode
    this.#currentNode = node
    try {
      this.#forward(record, undefined)
    } finally {
      this.#currentNode = previous
    }
  }

  /** Dropped-records counter for processors (null keys, late records, handler 'continue'). */
  recordDropped(): void {
    this.droppedRecords.total++
  }
}

/** Wraps a processing error that the handler decided to fail on, so outer nodes do not handle it again. */
export class FailedProcessing extends Error {
  readonly error: StreamsError
  constructor(error: StreamsError) {
    super(error.message, { cause: error })
    this.error = error
  }
}

const TASK = Symbol('kstreams.task')

/** A deserializer that needs a schema from the registry first (see SchemaNotCachedError): retry after `fetch()`. */
export function isSchemaFetch(error: unknown): error is StreamsError & { fetch: () => Promise<void> } {
  return (
    error instanceof StreamsError &&
    error.code === 'SCHEMA_NOT_CACHED' &&
    typeof (error as { fetch?: unknown }).fetch === 'function'
  )
}

/** How built-in processors reach task internals that Kafka Streams keeps out of the public context. */
export function taskOf(context: ProcessorContext<unknown, unknown>): StreamTask {
  const task = (context as unknown as { [TASK]?: StreamTask })[TASK]
  if (task === undefined) throw new StreamsError('ILLEGAL_STATE', 'not a task processor context')
  return task
}
