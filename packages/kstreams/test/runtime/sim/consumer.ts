// ConsumerClient of the simulated cluster. A subscribed consumer is a member of its group (group.ts); the
// rebalance protocol advances inside consume(), as librdkafka serves rebalance callbacks from its poll: the
// listener's steps run one after another (each awaited before the assignment changes further), and while a step
// runs consume() returns no records. consume() does not wait for a step beyond its own timeout, because a listener
// may itself wait for the consume() call under way to return (the runtime does, to rewind its partitions).
import { StreamsError } from '../../../src/errors.ts'
import { KafkaClientError } from '../../../src/internals/client/client-error.ts'
import type {
  ClientLogger,
  ClientProperties,
  ConsumedRecord,
  ConsumerClient,
  ConsumerGroupMetadata,
  RebalanceListener,
  TopicPartition,
  TopicPartitionOffset
} from '../../../src/internals/client/kafka-client.ts'
import type { SimCluster } from './cluster.ts'
import { never, timedOut } from './faults.ts'
import { type Group, type Member, tpKey } from './group.ts'
import type { Isolation } from './log.ts'

const INVALID = -1001
const ERR_STATE = -172

interface Assigned {
  readonly tp: TopicPartition
  /** Next offset to fetch; INVALID until learned from the committed offset or auto.offset.reset. */
  position: number
  paused: boolean
  highWatermark: number | undefined
}

/** The consumer behind a groupMetadata() token (sendOffsetsToTransaction needs its member id and generation). */
const members = new WeakMap<ConsumerGroupMetadata, SimConsumer>()

export function groupMember(group: ConsumerGroupMetadata): SimConsumer | undefined {
  return members.get(group)
}

export class SimConsumer implements ConsumerClient {
  readonly #cluster: SimCluster
  readonly instance: string
  readonly groupId: string
  readonly isolation: Isolation
  readonly #reset: 'earliest' | 'latest'
  readonly #sessionTimeoutMs: number
  readonly #maxPollIntervalMs: number
  readonly #group: Group
  readonly #metadata: ConsumerGroupMetadata
  readonly #logger: ClientLogger | undefined
  readonly #assigned = new Map<string, Assigned>()
  #topics: readonly string[] = []
  #listener: RebalanceListener | undefined
  #member: Member | null = null
  #manual = false
  /** Generation whose assignment the consumer has applied. */
  #applied = -1
  #rebalances: Promise<void> = Promise.resolve()
  #steps = 0
  #closed = false
  #lastPoll = Date.now()
  #fetchFrom = 0

  constructor(cluster: SimCluster, instance: string, properties: ClientProperties, logger?: ClientLogger) {
    this.#cluster = cluster
    this.instance = instance
    this.groupId = String(properties['group.id'])
    this.isolation = properties['isolation.level'] === 'read_committed' ? 'read_committed' : 'read_uncommitted'
    const reset = String(properties['auto.offset.reset'] ?? 'earliest')
    this.#reset = reset === 'latest' || reset === 'largest' || reset === 'end' ? 'latest' : 'earliest'
    this.#sessionTimeoutMs = Number(properties['session.timeout.ms'] ?? 45_000)
    this.#maxPollIntervalMs = Number(properties['max.poll.interval.ms'] ?? 300_000)
    const strategy = String(properties['partition.assignment.strategy'] ?? 'range')
    this.#group = cluster.group(this.groupId, strategy.includes('cooperative') ? 'cooperative' : 'eager')
    this.#logger = logger
    this.#metadata = Object.freeze({ groupId: this.groupId })
    members.set(this.#metadata, this)
  }

  get memberId(): string | undefined {
    return this.#member?.id
  }

  /** The generation the member's commits carry (the one the coordinator gave it last). */
  get generation(): number {
    return this.#member?.generation ?? -1
  }

  /**
   * True while the background heartbeat reaches the coordinator: not closed, not crashed, not cut off, and polled
   * within max.poll.interval.ms (librdkafka leaves the group otherwise).
   */
  heartbeating(): boolean {
    return (
      !this.#closed &&
      this.#cluster.faults.reachable(this.instance) &&
      Date.now() - this.#lastPoll <= this.#maxPollIntervalMs
    )
  }

  #open(what: string): void {
    if (this.#closed) throw new StreamsError('ILLEGAL_STATE', `${what}: consumer is closed`)
  }

  #owned(): TopicPartition[] {
    return [...this.#assigned.values()].map((a) => a.tp)
  }

  subscribe(topics: readonly string[], listener?: RebalanceListener): void {
    this.#open('subscribe')
    this.#topics = [...topics]
    this.#listener = listener
    this.#manual = false
    if (this.#member !== null) this.#group.leave(this.#member.id)
    this.#joinGroup()
  }

  #joinGroup(): void {
    this.#member = this.#group.join({
      instance: this.instance,
      topics: this.#topics,
      sessionTimeoutMs: this.#sessionTimeoutMs,
      rebalanceTimeoutMs: this.#maxPollIntervalMs,
      owned: () => this.#owned()
    })
  }

  /** Queues one rebalance step; consume() returns nothing while steps are running. */
  #step(what: string, fn: () => Promise<void> | void): void {
    this.#steps++
    this.#rebalances = this.#rebalances
      .then(fn)
      .catch((e: unknown) => {
        this.#logger?.log('error', `rebalance listener failed (${what}): ${(e as Error)?.message ?? e}`)
      })
      .finally(() => {
        this.#steps--
        this.#cluster.notify()
      })
  }

  #assign(list: readonly TopicPartition[]): void {
    for (const tp of list) {
      this.#assigned.set(tpKey(tp), { tp, position: INVALID, paused: false, highWatermark: undefined })
    }
  }

  #unassign(list: readonly TopicPartition[]): void {
    for (const tp of list) this.#assigned.delete(tpKey(tp))
  }

  /** Advances the group protocol by one step for this member (see the file comment). */
  #drive(): void {
    if (this.#manual || this.#closed || this.#steps > 0 || this.#member === null) return
    const g = this.#group
    const member = this.#member
    if (!g.members.has(member.id)) {
      // Expelled (session or rebalance timeout): the partitions are lost, then the consumer rejoins.
      const lost = this.#owned()
      this.#applied = -1
      this.#member = null
      this.#step('lost', async () => {
        if (lost.length > 0) {
          try {
            if (this.#listener?.onPartitionsLost) await this.#listener.onPartitionsLost(lost)
            else await this.#listener?.onPartitionsRevoked(lost)
          } finally {
            this.#unassign(lost)
          }
        }
        if (!this.#closed && !this.#manual) this.#joinGroup()
      })
      return
    }
    if (g.state === 'joining' && !member.joined) {
      const owned = this.#owned()
      if (g.protocol === 'eager' && owned.length > 0) {
        this.#step('revoke', async () => {
          try {
            await this.#listener?.onPartitionsRevoked(owned)
          } finally {
            this.#unassign(owned)
          }
          g.markJoined(member.id)
        })
      } else {
        g.markJoined(member.id)
      }
      return
    }
    if (g.state === 'stable' && this.#applied < member.generation) {
      this.#applied = member.generation
      const target = member.target
      const wanted = new Set(target.map(tpKey))
      if (g.protocol === 'eager') {
        this.#step('assign', async () => {
          this.#assign(target)
          await this.#listener?.onPartitionsAssigned(target)
        })
        return
      }
      const owned = this.#owned()
      const revoked = owned.filter((tp) => !wanted.has(tpKey(tp)))
      const have = new Set(owned.map(tpKey))
      const added = target.filter((tp) => !have.has(tpKey(tp)))
      this.#step('cooperative', async () => {
        if (revoked.length > 0) {
          try {
            await this.#listener?.onPartitionsRevoked(revoked)
          } finally {
            this.#unassign(revoked)
          }
        }
        this.#assign(added)
        // Called after every rebalance, with an empty list too, as librdkafka's incremental assign is.
        await this.#listener?.onPartitionsAssigned(added)
        // Released partitions go to their new owner in a follow-up rebalance, as the cooperative protocol does.
        if (revoked.length > 0) g.rebalance()
      })
    }
  }

  /** Records from assigned, unpaused partitions whose position is known (or can be learned now). */
  #fetch(max: number): ConsumedRecord[] {
    const out: ConsumedRecord[] = []
    const list = [...this.#assigned.values()]
    if (list.length === 0) return out
    this.#fetchFrom = (this.#fetchFrom + 1) % list.length
    for (let i = 0; i < list.length && out.length < max; i++) {
      const a = list[(this.#fetchFrom + i) % list.length] as Assigned
      if (a.paused) continue
      const log = this.#cluster.log(a.tp.topic, a.tp.partition)
      if (log === undefined) continue
      if (a.position === INVALID) {
        const key = tpKey(a.tp)
        // require_stable: offsets pending in an open transaction are not used until it ends.
        if (this.isolation === 'read_committed' && this.#group.pending.has(key)) continue
        const committed = this.#manual ? undefined : this.#group.committed.get(key)
        a.position = committed ?? (this.#reset === 'earliest' ? 0 : log.end)
      }
      const { records, next } = log.read(a.position, this.isolation, max - out.length)
      a.position = next
      a.highWatermark = this.isolation === 'read_committed' ? log.lso : log.end
      for (const e of records) {
        out.push({
          topic: a.tp.topic,
          partition: a.tp.partition,
          offset: e.offset,
          key: e.key,
          value: e.value,
          timestamp: e.timestamp,
          headers: e.headers
        })
      }
    }
    return out
  }

  async consume(max: number, timeoutMs = 1000): Promise<ConsumedRecord[]> {
    this.#open('consume')
    const faults = this.#cluster.faults
    if (faults.isCrashed(this.instance)) return never()
    const rule = faults.take(this.instance, 'consume')
    if (rule?.action.kind === 'hang') return never()
    if (rule?.action.kind === 'error') throw new KafkaClientError('consuming: Broker: simulated', { code: -1 })
    this.#lastPoll = Date.now()
    const deadline = Date.now() + timeoutMs
    await this.#cluster.latency()
    for (;;) {
      if (faults.isCrashed(this.instance)) return never()
      if (this.#closed) return []
      if (faults.reachable(this.instance)) {
        this.#drive()
        if (this.#steps === 0) {
          const records = this.#fetch(max)
          if (records.length > 0) return records
        }
      }
      const left = deadline - Date.now()
      if (left <= 0) return []
      await this.#cluster.waitForChange(left)
    }
  }

  async assign(positions: readonly TopicPartitionOffset[]): Promise<void> {
    this.#open('assign')
    await this.#cluster.call(this.instance, 'assign', 10_000)
    this.#manual = true
    this.#assigned.clear()
    for (const p of positions) {
      const log = this.#cluster.log(p.topic, p.partition)
      const position = p.offset === -2 ? 0 : p.offset === -1 ? (log?.end ?? 0) : p.offset
      this.#assigned.set(tpKey(p), {
        tp: { topic: p.topic, partition: p.partition },
        position,
        paused: false,
        highWatermark: undefined
      })
    }
  }

  async commit(offsets: readonly TopicPartitionOffset[]): Promise<void> {
    this.#open('commit')
    if (offsets.length === 0) return
    await this.#cluster.call(this.instance, 'commit', 10_000)
    this.#group.validate(this.#member?.id ?? '', this.generation, false)
    for (const o of offsets) this.#group.committed.set(tpKey(o), o.offset)
    this.#cluster.notify()
  }

  async committed(partitions: readonly TopicPartition[], timeoutMs = 10_000): Promise<TopicPartitionOffset[]> {
    this.#open('committed')
    await this.#cluster.call(this.instance, 'committed', timeoutMs)
    if (this.isolation === 'read_committed') {
      // require_stable: the broker answers UNSTABLE_OFFSET_COMMIT while a transaction holds offsets for a partition,
      // and the client asks again until its timeout.
      const stable = (): boolean => partitions.every((p) => !this.#group.pending.has(tpKey(p)))
      if (!(await this.#cluster.until(stable, timeoutMs))) throw timedOut('fetching committed offsets')
      if (this.#cluster.faults.isCrashed(this.instance)) await never()
    }
    return partitions.map((p) => ({
      topic: p.topic,
      partition: p.partition,
      offset: this.#group.committed.get(tpKey(p)) ?? INVALID
    }))
  }

  pause(partitions: readonly TopicPartition[]): void {
    for (const p of partitions) {
      const a = this.#assigned.get(tpKey(p))
      if (a !== undefined) a.paused = true
    }
  }

  resume(partitions: readonly TopicPartition[]): void {
    for (const p of partitions) {
      const a = this.#assigned.get(tpKey(p))
      if (a !== undefined) a.paused = false
    }
    this.#cluster.notify()
  }

  async seek(position: TopicPartitionOffset, timeoutMs = 10_000): Promise<void> {
    this.#open('seek')
    await this.#cluster.call(this.instance, 'seek', timeoutMs)
    const a = this.#assigned.get(tpKey(position))
    if (a === undefined) {
      throw new KafkaClientError(`seeking ${position.topic}-${position.partition}: Local: Erroneous state`, {
        code: ERR_STATE
      })
    }
    const log = this.#cluster.log(position.topic, position.partition)
    a.position = position.offset === -2 ? 0 : position.offset === -1 ? (log?.end ?? 0) : position.offset
    this.#cluster.notify()
  }

  assignment(): TopicPartition[] {
    return this.#owned()
  }

  async watermarks(partition: TopicPartition, timeoutMs = 10_000): Promise<{ low: number; high: number }> {
    this.#open('watermarks')
    await this.#cluster.call(this.instance, 'watermarks', timeoutMs)
    const log = this.#cluster.log(partition.topic, partition.partition)
    if (log === undefined) {
      throw new KafkaClientError(`watermarks of ${partition.topic}: Broker: Unknown topic or partition`, {
        code: 3,
        isRetriable: true
      })
    }
    const lso = this.isolation === 'read_committed' && this.#cluster.options.committedWatermark === 'lso'
    return { low: 0, high: lso ? log.lso : log.end }
  }

  positions(partitions: readonly TopicPartition[]): TopicPartitionOffset[] {
    if (this.#closed) return []
    return partitions.map((p) => ({
      topic: p.topic,
      partition: p.partition,
      offset: this.#assigned.get(tpKey(p))?.position ?? INVALID
    }))
  }

  cachedHighWatermark(partition: TopicPartition): number | undefined {
    if (this.#closed) return undefined
    return this.#assigned.get(tpKey(partition))?.highWatermark
  }

  groupMetadata(): ConsumerGroupMetadata {
    return this.#metadata
  }

  async close(): Promise<void> {
    if (this.#closed) return
    if (this.#cluster.faults.isCrashed(this.instance)) await never()
    const owned = this.#owned()
    const member = this.#member
    if (!this.#manual && member !== null && owned.length > 0 && this.#group.members.has(member.id)) {
      this.#step('close', async () => {
        try {
          await this.#listener?.onPartitionsRevoked(owned)
        } finally {
          this.#unassign(owned)
        }
      })
    }
    await this.#rebalances
    this.#closed = true
    if (member !== null) this.#group.leave(member.id)
    this.#member = null
    this.#assigned.clear()
    this.#cluster.consumers.delete(this)
  }
}
