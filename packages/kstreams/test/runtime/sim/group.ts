// The group coordinator of the simulated cluster: members, generations, a join phase that waits for every member
// (eager: after it revoked everything; cooperative: at once), a range assignor, session and rebalance timeouts, and
// the group's committed offsets, including those still pending in an open transaction (KIP-447).
import { KafkaClientError } from '../../../src/internals/client/client-error.ts'
import type { TopicPartition } from '../../../src/internals/client/kafka-client.ts'
import type { Txn } from './log.ts'

export type Protocol = 'eager' | 'cooperative'

export interface Member {
  readonly id: string
  readonly instance: string
  readonly topics: readonly string[]
  readonly sessionTimeoutMs: number
  readonly rebalanceTimeoutMs: number
  lastHeartbeat: number
  /** True once the member has rejoined in the current join phase. */
  joined: boolean
  /** Generation of `target`, set for every member when a join phase completes. */
  generation: number
  /** The partitions the coordinator gave this member in `generation`. */
  target: TopicPartition[]
  /** Partitions the member's consumer holds right now (cooperative: not handed to anyone else before released). */
  readonly owned: () => readonly TopicPartition[]
}

export const tpKey = (tp: TopicPartition): string => `${tp.topic}:${tp.partition}`

export const ILLEGAL_GENERATION = 22
export const UNKNOWN_MEMBER_ID = 25

export class Group {
  readonly id: string
  readonly protocol: Protocol
  generation = 0
  state: 'stable' | 'joining' = 'stable'
  readonly members = new Map<string, Member>()
  /** `topic:partition` → committed next offset. */
  readonly committed = new Map<string, number>()
  /** `topic:partition` → the open transaction holding offsets for it (require_stable readers wait for it). */
  readonly pending = new Map<string, Txn>()
  /** Every generation's assignment, for tests of the coordinator. */
  readonly history: Array<{ generation: number; assignment: Map<string, TopicPartition[]> }> = []
  #joinDeadline = 0
  #seq = 0
  readonly #partitionCount: (topic: string) => number
  readonly #notify: () => void

  constructor(id: string, protocol: Protocol, partitionCount: (topic: string) => number, notify: () => void) {
    this.id = id
    this.protocol = protocol
    this.#partitionCount = partitionCount
    this.#notify = notify
  }

  join(init: Omit<Member, 'id' | 'joined' | 'generation' | 'target' | 'lastHeartbeat'>): Member {
    const member: Member = {
      ...init,
      id: `${init.instance}-${String(++this.#seq).padStart(4, '0')}`,
      joined: false,
      generation: -1,
      target: [],
      lastHeartbeat: Date.now()
    }
    this.members.set(member.id, member)
    this.rebalance()
    return member
  }

  leave(memberId: string): void {
    if (this.members.delete(memberId)) this.rebalance()
  }

  /** Starts a join phase: every member must rejoin before the next generation is assigned. */
  rebalance(): void {
    this.state = 'joining'
    let timeout = 0
    for (const m of this.members.values()) {
      m.joined = false
      timeout = Math.max(timeout, m.rebalanceTimeoutMs)
    }
    this.#joinDeadline = Date.now() + timeout
    this.#tryComplete()
    this.#notify()
  }

  markJoined(memberId: string): void {
    const m = this.members.get(memberId)
    if (m === undefined || this.state !== 'joining') return
    m.joined = true
    this.#tryComplete()
  }

  /** Expels members whose session expired (no heartbeat) or that did not rejoin within the rebalance timeout. */
  tick(now: number, heartbeating: (m: Member) => boolean): void {
    let changed = false
    for (const m of [...this.members.values()]) {
      if (heartbeating(m)) m.lastHeartbeat = now
      const late = this.state === 'joining' && !m.joined && now > this.#joinDeadline
      if (now - m.lastHeartbeat > m.sessionTimeoutMs || late) {
        this.members.delete(m.id)
        changed = true
      }
    }
    if (changed) this.rebalance()
  }

  /** The broker's check of an offset commit (plain or transactional) from `memberId` in `generation`. */
  validate(memberId: string, generation: number, transactional: boolean): void {
    const m = this.members.get(memberId)
    if (m === undefined) {
      throw new KafkaClientError(`Broker: The coordinator is not aware of this member (group ${this.id})`, {
        code: UNKNOWN_MEMBER_ID,
        isTxnRequiresAbort: transactional
      })
    }
    if (m.generation !== generation || generation !== this.generation) {
      throw new KafkaClientError(`Broker: Specified group generation id is not valid (group ${this.id})`, {
        code: ILLEGAL_GENERATION,
        isTxnRequiresAbort: transactional
      })
    }
  }

  #tryComplete(): void {
    if (this.state !== 'joining') return
    for (const m of this.members.values()) if (!m.joined) return
    this.#assign()
  }

  /**
   * Range assignment per topic over the members subscribed to it, in member id order, so that partition p of
   * co-partitioned topics goes to the same member. Cooperative: a partition another member still holds is withheld
   * until that member has released it (it then rejoins and a follow-up rebalance hands the partition over).
   */
  #assign(): void {
    const members = [...this.members.values()].sort((a, b) => (a.id < b.id ? -1 : 1))
    const assignment = new Map<string, TopicPartition[]>(members.map((m) => [m.id, []]))
    const topics = [...new Set(members.flatMap((m) => m.topics))].sort()
    for (const topic of topics) {
      const n = this.#partitionCount(topic)
      const subs = members.filter((m) => m.topics.includes(topic))
      if (n <= 0 || subs.length === 0) continue
      const per = Math.floor(n / subs.length)
      const extra = n % subs.length
      let p = 0
      subs.forEach((m, i) => {
        const count = per + (i < extra ? 1 : 0)
        for (let k = 0; k < count; k++, p++) assignment.get(m.id)?.push({ topic, partition: p })
      })
    }
    if (this.protocol === 'cooperative') {
      const holder = new Map<string, string>()
      for (const m of members) for (const tp of m.owned()) holder.set(tpKey(tp), m.id)
      for (const [id, list] of assignment) {
        assignment.set(
          id,
          list.filter((tp) => {
            const h = holder.get(tpKey(tp))
            return h === undefined || h === id
          })
        )
      }
    }
    this.generation++
    for (const m of members) {
      m.generation = this.generation
      m.target = assignment.get(m.id) ?? []
    }
    this.state = 'stable'
    this.history.push({ generation: this.generation, assignment })
    this.#notify()
  }

  /** Offsets of a committed transaction become the group's; an aborted one's are dropped. */
  endTxn(txn: Txn): void {
    const offsets = txn.offsets.get(this.id)
    if (offsets === undefined) return
    for (const [key, offset] of offsets) {
      if (txn.state === 'committed') this.committed.set(key, offset)
      if (this.pending.get(key) === txn) this.pending.delete(key)
    }
    this.#notify()
  }
}
