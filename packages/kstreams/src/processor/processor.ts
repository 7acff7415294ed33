import type { Record } from './record.ts'
import type { StateStore } from '../state/state-store.ts'

/** Where the record being processed came from. Absent for records created by a punctuator. */
export interface RecordMetadata {
  readonly topic: string
  readonly partition: number
  readonly offset: number
}

export type PunctuationType = 'WALL_CLOCK_TIME' | 'STREAM_TIME'

export type Punctuator = (timestamp: number) => void

export interface Cancellable {
  cancel(): void
}

/**
 * The processor's view of its task. Valid from `init` until `close`.
 * `forward` hands a record to every child (or to the named child) synchronously, depth first.
 */
export interface ProcessorContext<KOut = unknown, VOut = unknown> {
  readonly applicationId: string
  readonly taskId: string
  forward<K extends KOut, V extends VOut>(record: Record<K, V>, childName?: string): void
  getStateStore<S extends StateStore>(name: string): S
  schedule(intervalMs: number, type: PunctuationType, callback: Punctuator): Cancellable
  /** Metadata of the input record being processed; `null` inside a punctuator. */
  recordMetadata(): RecordMetadata | null
  currentStreamTimeMs(): number
  currentSystemTimeMs(): number
  /** Requests a commit as soon as possible. */
  commit(): void
}

/**
 * A node of the processor topology. Lifecycle: `init` once before the first record, `process` per record,
 * `close` once when the task closes. A processor instance belongs to one task and is never shared.
 */
export interface Processor<KIn = unknown, VIn = unknown, KOut = unknown, VOut = unknown> {
  init?(context: ProcessorContext<KOut, VOut>): void
  process(record: Record<KIn, VIn>): void
  close?(): void
}

/** Creates a fresh processor for every task. */
export type ProcessorSupplier<KIn = unknown, VIn = unknown, KOut = unknown, VOut = unknown> = () => Processor<
  KIn,
  VIn,
  KOut,
  VOut
>
