// Runs KafkaStreams instances of one application on a SimCluster: start, crash (state directory kept or wiped),
// restart, close, and the liveness condition the property tests wait for.
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { KafkaStreams, type KafkaStreamsState } from '../../../src/runtime/kafka-streams.ts'
import type { Topology } from '../../../src/processor/topology.ts'
import type { SimCluster } from './cluster.ts'

export interface Incarnation {
  /** `<slot>#<n>`: the provider's instance name, so faults and crashes hit this incarnation only. */
  readonly name: string
  readonly streams: KafkaStreams
  readonly dir: string
  crashed: boolean
  closed: boolean
}

export interface AppOptions {
  readonly applicationId: string
  readonly topology: () => Topology
  readonly config: Readonly<Record<string, unknown>>
}

/** Log lines kept for the report of a failing schedule (the last ones only). */
export class LogTail {
  readonly lines: string[] = []
  add(line: string): void {
    this.lines.push(line)
    if (this.lines.length > 200) this.lines.shift()
  }
}

export class SimApp {
  readonly cluster: SimCluster
  readonly options: AppOptions
  readonly slots = new Map<number, Incarnation>()
  readonly log = new LogTail()
  readonly #root: string
  #incarnations = 0
  /** Every incarnation ever started (crashed ones stay, abandoned, as a killed process would). */
  readonly all: Incarnation[] = []

  constructor(cluster: SimCluster, options: AppOptions) {
    this.cluster = cluster
    this.options = options
    this.#root = mkdtempSync(join(tmpdir(), 'kstreams-sim-'))
  }

  /**
   * Starts an instance in `slot`. `dir`: the state directory to use (a restart with its state kept passes a copy of
   * the crashed instance's, since a crashed KafkaStreams keeps its directory registered in this process).
   */
  async start(slot: number, from?: string): Promise<Incarnation> {
    const name = `i${slot}#${++this.#incarnations}`
    const dir = join(this.#root, name.replace('#', '-'))
    if (from !== undefined) cpSync(from, dir, { recursive: true })
    const streams = new KafkaStreams(
      this.options.topology(),
      { ...this.options.config, 'application.id': this.options.applicationId, 'state.dir': dir },
      {
        clientProvider: this.cluster.provider(name),
        logger: {
          log: (level, message, fields) => {
            if (level !== 'debug') {
              this.log.add(`${name} ${level}: ${message}${fields ? ' ' + JSON.stringify(fields) : ''}`)
            }
          }
        }
      }
    )
    const inc: Incarnation = { name, streams, dir, crashed: false, closed: false }
    this.slots.set(slot, inc)
    this.all.push(inc)
    this.log.add(`${name} start${from !== undefined ? ' (state kept)' : ''}`)
    try {
      await streams.start()
    } catch (error) {
      // A start that cannot reach the cluster fails (state ERROR, clients closed), as KafkaStreams.start() should:
      // the operator starts it again. The slot is free again.
      this.log.add(`${name} start failed: ${(error as Error).message}`)
      inc.closed = true
      if (this.slots.get(slot) === inc) this.slots.delete(slot)
    }
    return inc
  }

  /** Kills the instance in `slot`: its clients never answer again. */
  crash(slot: number): Incarnation | undefined {
    const inc = this.slots.get(slot)
    if (inc === undefined || inc.crashed || inc.closed) return undefined
    inc.crashed = true
    this.cluster.faults.crash(inc.name)
    this.slots.delete(slot)
    this.log.add(`${inc.name} crash`)
    return inc
  }

  /** Crashes the instance in `slot` (if running) and starts a new one with its state directory kept or wiped. */
  async restart(slot: number, keepState: boolean): Promise<Incarnation> {
    const old = this.slots.get(slot)
    if (old !== undefined) this.crash(slot)
    const previous = old ?? [...this.all].reverse().find((i) => i.name.startsWith(`i${slot}#`))
    return await this.start(slot, keepState ? previous?.dir : undefined)
  }

  /** Closes the instance in `slot` cleanly. */
  async stop(slot: number): Promise<void> {
    const inc = this.slots.get(slot)
    if (inc === undefined) return
    this.slots.delete(slot)
    inc.closed = true
    this.log.add(`${inc.name} close`)
    if (!(await inc.streams.close(20_000))) this.unclosed.push(inc.name)
  }

  /** Instances whose close() did not finish in time. */
  readonly unclosed: string[] = []

  live(): Incarnation[] {
    return [...this.slots.values()]
  }

  states(): Record<string, KafkaStreamsState> {
    return Object.fromEntries(this.live().map((i) => [i.name, i.streams.state]))
  }

  /** Source partitions of the application: its input topics and its repartition topics. */
  sourceTopics(inputTopics: readonly string[]): string[] {
    const repartition = [...this.cluster.topics.keys()].filter(
      (t) => t.startsWith(`${this.options.applicationId}-`) && t.endsWith('-repartition')
    )
    return [...inputTopics, ...repartition]
  }

  /**
   * Liveness: every live instance is RUNNING, the group is stable, no transaction is open, and the group's committed
   * offset of every source partition is past every committed record there (it may stop before a trailing marker).
   */
  caughtUp(inputTopics: readonly string[]): boolean {
    const live = this.live()
    if (live.length === 0 || live.some((i) => i.streams.state !== 'RUNNING')) return false
    const group = this.cluster.groups.get(this.options.applicationId)
    if (group === undefined || group.state !== 'stable' || group.members.size !== live.length) return false
    for (const s of this.cluster.txnIds.values()) if (s.txn !== null) return false
    for (const topic of this.sourceTopics(inputTopics)) {
      for (const log of this.cluster.logs(topic)) {
        const committed = group.committed.get(`${topic}:${log.partition}`) ?? 0
        if (log.open.size > 0 || log.read(committed, 'read_committed', 1).records.length > 0) return false
      }
    }
    return true
  }

  /** Closes every live instance and removes the state directories (crashed instances are abandoned). */
  async dispose(): Promise<void> {
    for (const slot of [...this.slots.keys()]) await this.stop(slot)
    rmSync(this.#root, { recursive: true, force: true })
  }
}
