// One partition of a simulated topic: an append-only log whose entries take consecutive offsets, data records and
// transaction markers alike (as in Kafka, a marker uses up an offset, so consumer positions skip over it).
import type { Headers } from '../../../src/processor/record.ts'

export type TxnState = 'open' | 'committed' | 'aborted'

/** A transaction on the broker side: the partitions it wrote to and the group offsets it carries (KIP-447). */
export interface Txn {
  readonly id: number
  readonly transactionalId: string
  readonly epoch: number
  state: TxnState
  /** Real time when its first partition (or offsets) were added; `transaction.timeout.ms` runs from here. */
  startedAt: number
  /** Partition → offset of this transaction's first record there (the partition's LSO while the transaction is open). */
  readonly firstOffsets: Map<PartitionLog, number>
  /** Group id → `topic:partition` → next offset, committed with the transaction. */
  readonly offsets: Map<string, Map<string, number>>
}

export interface LogEntry {
  readonly offset: number
  /** A commit or abort marker: never returned to consumers. */
  readonly control: boolean
  readonly key: Buffer | null
  readonly value: Buffer | null
  readonly timestamp: number
  readonly headers: Headers
  /** The transaction that wrote the record (null: not transactional). Markers point to the one they end. */
  readonly txn: Txn | null
}

export type Isolation = 'read_committed' | 'read_uncommitted'

export interface ReadResult {
  readonly records: LogEntry[]
  /** Position after the read: past every entry scanned, markers and aborted records included. */
  readonly next: number
}

export class PartitionLog {
  readonly topic: string
  readonly partition: number
  readonly entries: LogEntry[] = []
  /** Transactions with records on this partition that are still open. */
  readonly open = new Set<Txn>()

  constructor(topic: string, partition: number) {
    this.topic = topic
    this.partition = partition
  }

  /** Log end offset: the offset the next entry will get. */
  get end(): number {
    return this.entries.length
  }

  /** Last stable offset: the first offset of the earliest open transaction here, else the log end. */
  get lso(): number {
    let lso = this.end
    for (const txn of this.open) lso = Math.min(lso, txn.firstOffsets.get(this) ?? lso)
    return lso
  }

  append(key: Buffer | null, value: Buffer | null, timestamp: number, headers: Headers, txn: Txn | null): LogEntry {
    const entry: LogEntry = { offset: this.end, control: false, key, value, timestamp, headers, txn }
    this.entries.push(entry)
    if (txn !== null && !txn.firstOffsets.has(this)) {
      txn.firstOffsets.set(this, entry.offset)
      this.open.add(txn)
    }
    return entry
  }

  /** Ends `txn` on this partition with a marker (commit or abort, as `txn.state` says by then). */
  mark(txn: Txn): void {
    this.entries.push({
      offset: this.end,
      control: true,
      key: null,
      value: null,
      timestamp: Date.now(),
      headers: [],
      txn
    })
    this.open.delete(txn)
  }

  /**
   * Data records from `from` on, at most `max`. Under read_committed only up to the LSO, and records of aborted
   * transactions are skipped; under read_uncommitted everything up to the log end, open and aborted ones included.
   */
  read(from: number, isolation: Isolation, max: number): ReadResult {
    const limit = isolation === 'read_committed' ? this.lso : this.end
    const records: LogEntry[] = []
    let next = Math.max(0, from)
    while (next < limit && records.length < max) {
      const e = this.entries[next] as LogEntry
      next++
      if (e.control) continue
      if (isolation === 'read_committed' && e.txn !== null && e.txn.state === 'aborted') continue
      records.push(e)
    }
    // Markers and aborted records right behind the last record are passed too, as the real fetch position does.
    while (next < limit && records.length >= max) {
      const e = this.entries[next] as LogEntry
      if (!e.control && !(isolation === 'read_committed' && e.txn?.state === 'aborted')) break
      next++
    }
    return { records, next }
  }

  /** Every committed data record (read_committed view of the whole log). */
  committed(): LogEntry[] {
    return this.read(0, 'read_committed', Number.MAX_SAFE_INTEGER).records
  }

  /**
   * Every data record that is written for good: outside a transaction or in a committed one, also past the LSO. A
   * read_committed consumer sees those behind an open transaction only once it ends, but they are committed already.
   */
  durable(): LogEntry[] {
    return this.entries.filter((e) => !e.control && (e.txn === null || e.txn.state === 'committed'))
  }
}
