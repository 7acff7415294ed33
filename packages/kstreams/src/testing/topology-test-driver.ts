import { StreamsError } from '../errors.ts'
import type { Topology } from '../processor/topology.ts'
import type { Headers } from '../processor/record.ts'
import { StreamTask } from '../processor/internals/stream-task.ts'
import { logAndFailDeserialization, logAndFailProcessing } from '../processor/errors.ts'
import type { Deserializer, Serializer } from '../serdes/serde.ts'
import type { KeyValueStore, TimestampedKeyValueStore } from '../state/key-value-store.ts'
import type { SessionStore } from '../state/session-store.ts'
import type { StateStore } from '../state/state-store.ts'
import type { TimestampedWindowStore, WindowStore } from '../state/window-store.ts'
import { KeyValueStoreFacade, WindowStoreFacade } from '../state/internals/store-facades.ts'
import { cacheMaxBytes, deadLetterQueueTopic, handlerOption, optionalSerde } from '../runtime/streams-config.ts'
import type { StreamsConfig } from '../runtime/streams-config.ts'
import { TestInputTopic } from './test-input-topic.ts'
import { TestOutputTopic } from './test-output-topic.ts'
import type { CapturedRecord } from './test-output-topic.ts'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

interface Produced extends CapturedRecord {
  readonly topic: string
}

/**
 * Runs a topology in-process, without a broker, as Kafka Streams' `TopologyTestDriver`: the whole topology is
 * one task, records are processed synchronously as they are piped, and the driver commits (flushing caches)
 * after every record. Records written to repartition topics, or to topics the topology also reads, are piped
 * back in. Wall-clock time is simulated and only moves with {@link advanceWallClockTime}.
 */
export class TopologyTestDriver {
  readonly #task: StreamTask
  readonly #topology: Topology
  readonly #applicationId: string
  readonly #outputs = new Map<string, CapturedRecord[]>()
  readonly #offsets = new Map<string, number>()
  readonly #produced: Produced[] = []
  readonly #internalTopics: Set<string>
  /** Topics whose records the driver pipes back in: internal topics and the topology's own source topics. */
  readonly #loopback: Set<string>
  readonly #stateDir: string
  #wallClock: number
  #closed = false

  constructor(topology: Topology, config: StreamsConfig = {}, initialWallClockTimeMs = Date.now()) {
    this.#topology = topology
    this.#applicationId =
      typeof config['application.id'] === 'string' ? config['application.id'] : 'dummy-topology-test-driver-app-id'
    this.#wallClock = initialWallClockTimeMs
    this.#stateDir = mkdtempSync(join(tmpdir(), 'kstreams-ttd-'))
    const builder = topology.internalBuilder
    builder.setApplicationId(this.#applicationId)
    this.#internalTopics = new Set([...builder.internalTopics.keys()].map((t) => `${this.#applicationId}-${t}`))
    const nodeNames = [...builder.nodeFactories.keys()]
    this.#task = new StreamTask({
      taskId: '0_0',
      partition: 0,
      applicationId: this.#applicationId,
      builder,
      nodeNames,
      collector: {
        send: (topic, key, value, headers, timestamp) => {
          this.#produced.push({ topic, key, value, headers, timestamp })
        }
      },
      cacheMaxBytes: cacheMaxBytes(config),
      stateDir: this.#stateDir,
      deserializationExceptionHandler: handlerOption(
        config,
        'deserialization.exception.handler',
        handlerOption(config, 'default.deserialization.exception.handler', logAndFailDeserialization)
      ),
      processingExceptionHandler: handlerOption(config, 'processing.exception.handler', logAndFailProcessing),
      deadLetterQueueTopic: deadLetterQueueTopic(config),
      logger: { warn: () => {}, error: () => {} },
      wallClock: () => this.#wallClock,
      defaultKeySerde: optionalSerde(config, 'default.key.serde'),
      defaultValueSerde: optionalSerde(config, 'default.value.serde'),
      decorateTopic: (t) => (builder.internalTopics.has(t) ? `${this.#applicationId}-${t}` : t)
    })
    this.#task.initialize()
    this.#loopback = new Set([...this.#internalTopics, ...this.#task.sourceTopics()])
  }

  #checkOpen(): void {
    if (this.#closed) throw new StreamsError('ILLEGAL_STATE', 'the driver is closed')
  }

  /** @internal Used by TestInputTopic. */
  pipeRaw(topic: string, key: Buffer | null, value: Buffer | null, timestamp: number, headers: Headers): void {
    this.#checkOpen()
    if (!this.#loopback.has(topic) || this.#internalTopics.has(topic)) {
      throw new StreamsError('ILLEGAL_STATE', `Unknown topic: ${topic}`, { topic })
    }
    this.#enqueue(topic, key, value, timestamp, headers)
    this.#completeAllProcessableWork()
  }

  #enqueue(topic: string, key: Buffer | null, value: Buffer | null, timestamp: number, headers: Headers): void {
    const offset = this.#offsets.get(topic) ?? 0
    this.#offsets.set(topic, offset + 1)
    this.#task.addRecord({ topic, partition: 0, offset, timestamp, key, value, headers })
  }

  #captureOutputs(): void {
    const produced = this.#produced.splice(0)
    for (const r of produced) {
      let list = this.#outputs.get(r.topic)
      if (list === undefined) {
        list = []
        this.#outputs.set(r.topic, list)
      }
      list.push(r)
      if (this.#loopback.has(r.topic)) {
        this.#enqueue(r.topic, r.key, r.value, r.timestamp, r.headers)
      }
    }
  }

  #completeAllProcessableWork(): void {
    this.#captureOutputs()
    while (this.#task.hasRecordsQueued()) {
      this.#task.process()
      this.#task.maybePunctuateStreamTime()
      this.#task.flush()
      this.#captureOutputs()
    }
  }

  /** Moves simulated wall-clock time forward, firing wall-clock punctuators, then commits. */
  advanceWallClockTime(ms: number): void {
    this.#checkOpen()
    if (ms < 0) throw new StreamsError('ILLEGAL_STATE', 'advance must be non-negative')
    this.#wallClock += ms
    this.#task.maybePunctuateSystemTime()
    this.#task.flush()
    this.#completeAllProcessableWork()
  }

  createInputTopic<K, V>(
    topic: string,
    keySerializer: Serializer<K>,
    valueSerializer: Serializer<V>,
    startTimestampMs = Date.now(),
    autoAdvanceMs = 0
  ): TestInputTopic<K, V> {
    this.#checkOpen()
    return new TestInputTopic(this, topic, keySerializer, valueSerializer, startTimestampMs, autoAdvanceMs)
  }

  createOutputTopic<K, V>(
    topic: string,
    keyDeserializer: Deserializer<K>,
    valueDeserializer: Deserializer<V>
  ): TestOutputTopic<K, V> {
    return new TestOutputTopic(
      {
        readOutput: (t) => this.#outputs.get(t)?.shift(),
        queueSize: (t) => this.#outputs.get(t)?.length ?? 0
      },
      topic,
      keyDeserializer,
      valueDeserializer
    )
  }

  /** Names of every topic the topology wrote to, including internal ones. */
  producedTopicNames(): Set<string> {
    return new Set(this.#outputs.keys())
  }

  getStateStore(name: string): StateStore | undefined {
    return this.#task.getStore(name)
  }

  getAllStateStores(): ReadonlyMap<string, StateStore> {
    return this.#task.stores
  }

  #kind(name: string): string | undefined {
    return this.#topology.internalBuilder.stateFactories.get(name)?.builder.kind
  }

  /** A key-value store by name; DSL (timestamped) stores are shown through their plain values. */
  getKeyValueStore<K, V>(name: string): KeyValueStore<K, V> {
    const store = this.#task.getStore(name)
    const kind = this.#kind(name)
    if (store === undefined || (kind !== 'keyValue' && kind !== 'timestampedKeyValue')) {
      throw new StreamsError('STORE_NOT_FOUND', `no key-value store named ${name}`, { storeName: name })
    }
    return kind === 'timestampedKeyValue'
      ? new KeyValueStoreFacade(store as unknown as TimestampedKeyValueStore<K, V>)
      : (store as unknown as KeyValueStore<K, V>)
  }

  getTimestampedKeyValueStore<K, V>(name: string): TimestampedKeyValueStore<K, V> {
    const store = this.#task.getStore(name)
    if (store === undefined || this.#kind(name) !== 'timestampedKeyValue') {
      throw new StreamsError('STORE_NOT_FOUND', `no timestamped key-value store named ${name}`, { storeName: name })
    }
    return store as unknown as TimestampedKeyValueStore<K, V>
  }

  getWindowStore<K, V>(name: string): WindowStore<K, V> {
    const store = this.#task.getStore(name)
    const kind = this.#kind(name)
    if (store === undefined || (kind !== 'window' && kind !== 'timestampedWindow')) {
      throw new StreamsError('STORE_NOT_FOUND', `no window store named ${name}`, { storeName: name })
    }
    return kind === 'timestampedWindow'
      ? new WindowStoreFacade(store as unknown as TimestampedWindowStore<K, V>)
      : (store as unknown as WindowStore<K, V>)
  }

  getSessionStore<K, V>(name: string): SessionStore<K, V> {
    const store = this.#task.getStore(name)
    if (store === undefined || this.#kind(name) !== 'session') {
      throw new StreamsError('STORE_NOT_FOUND', `no session store named ${name}`, { storeName: name })
    }
    return store as unknown as SessionStore<K, V>
  }

  /** Task metrics with Kafka Streams' names (e.g. `dropped-records-total`). */
  metrics(): Record<string, number> {
    return {
      'dropped-records-total': this.#task.droppedRecords.total,
      'process-total': this.#task.processedRecords
    }
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    try {
      this.#task.flush()
      this.#captureOutputs()
      this.#task.close()
    } finally {
      rmSync(this.#stateDir, { recursive: true, force: true })
    }
  }
}
