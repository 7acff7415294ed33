// Fault injection for the simulated cluster. Every client call passes through `gate()`, which applies the first
// matching rule: fail with a given KafkaClientError, time out, or never answer. An instance can also lose the
// broker for a while (every call is delayed or fails during the window) or crash (its clients never answer again).
import { KafkaClientError, TIMED_OUT } from '../../../src/internals/client/client-error.ts'

/** Client calls that can be faulted. `produce` faults become delivery failures of the records queued. */
export type SimMethod =
  | 'createAdmin'
  | 'createProducer'
  | 'createConsumer'
  | 'createTopics'
  | 'listTopics'
  | 'describePartitionCounts'
  | 'deleteTopics'
  | 'produce'
  | 'flush'
  | 'initTransactions'
  | 'beginTransaction'
  | 'sendOffsetsToTransaction'
  | 'commitTransaction'
  | 'abortTransaction'
  | 'consume'
  | 'commit'
  | 'committed'
  | 'seek'
  | 'watermarks'
  | 'assign'

export type FaultAction =
  | { readonly kind: 'error'; readonly error: ErrorKind }
  /** Rejects with TIMED_OUT after `ms` (as a client whose request got no answer in time). */
  | { readonly kind: 'timeout'; readonly ms: number }
  /**
   * The client never answers. For the calls the real adapter puts a deadline on (flush and the transactional calls,
   * see settle() in confluent-client.ts) the call then rejects as the adapter does once that deadline passed (TIMED_OUT,
   * not retriable), after `Faults.adapterDeadlineMs` instead of the adapter's timeout + 15 s; other calls never settle.
   */
  | { readonly kind: 'hang' }

/** The classes of error librdkafka reports, each with the flags it sets. */
export type ErrorKind = 'retriable' | 'abortable' | 'fatal' | 'fenced' | 'plain'

export interface FaultRule {
  /** Instance name the rule applies to; undefined: every instance. */
  readonly instance?: string
  readonly method: SimMethod
  readonly action: FaultAction
  /** How many calls it hits before it is used up. */
  times: number
}

/** librdkafka-like errors for each class (codes from rdkafka.h / the Kafka protocol). */
export function makeError(kind: ErrorKind, what: string): KafkaClientError {
  switch (kind) {
    case 'retriable':
      return new KafkaClientError(`${what}: Broker: Coordinator not available (simulated)`, {
        code: 15,
        isRetriable: true
      })
    case 'abortable':
      return new KafkaClientError(`${what}: Broker: transaction requires abort (simulated)`, {
        code: 48,
        isTxnRequiresAbort: true
      })
    case 'fatal':
      return new KafkaClientError(`${what}: Local: Fatal error (simulated)`, { code: -150, isFatal: true })
    case 'fenced':
      return fencedError(what)
    case 'plain':
      return new KafkaClientError(`${what}: Broker: Unknown server error (simulated)`, { code: -1 })
  }
}

export function fencedError(what: string): KafkaClientError {
  return new KafkaClientError(`${what}: Local: This instance has been fenced by a newer instance`, {
    code: -144,
    isFatal: true
  })
}

export function timedOut(what: string): KafkaClientError {
  return new KafkaClientError(`${what}: Local: Timed out`, { code: TIMED_OUT, isRetriable: true })
}

export function transportError(what: string): KafkaClientError {
  return new KafkaClientError(`${what}: Local: Broker transport failure`, { code: -195, isRetriable: true })
}

/** A promise that never settles: the call of a crashed client, or a `hang` fault. */
export function never<T>(): Promise<T> {
  return new Promise<T>(() => {})
}

interface Outage {
  readonly instance: string | undefined
  readonly until: number
  /** 'fail': calls fail at once with a transport error; 'delay': they wait for the outage to end (or time out). */
  readonly mode: 'fail' | 'delay'
}

/** Calls the real adapter bounds with a deadline of its own (see FaultAction 'hang'). */
export const ADAPTER_BOUNDED: ReadonlySet<SimMethod> = new Set([
  'flush',
  'initTransactions',
  'sendOffsetsToTransaction',
  'commitTransaction',
  'abortTransaction'
])

const LOCAL: ReadonlySet<SimMethod> = new Set(['seek', 'assign', 'beginTransaction'])
const WAITS_OUT: ReadonlySet<SimMethod> = new Set(['flush', 'createAdmin', 'createProducer', 'createConsumer'])

export class Faults {
  /** How long a bounded 'hang' lasts before it rejects (the adapter's timeout + grace, scaled down). */
  adapterDeadlineMs = 60
  readonly rules: FaultRule[] = []
  readonly #outages: Outage[] = []
  readonly #crashed = new Set<string>()
  /** Every fault that fired, for the report of a failing schedule. */
  readonly fired: string[] = []

  inject(rule: FaultRule): void {
    this.rules.push(rule)
  }

  /** The broker is unreachable for `instance` (every instance when undefined) during the next `ms`. */
  unreachable(instance: string | undefined, ms: number, mode: 'fail' | 'delay' = 'delay'): void {
    this.#outages.push({ instance, until: Date.now() + ms, mode })
  }

  crash(instance: string): void {
    this.#crashed.add(instance)
  }

  isCrashed(instance: string): boolean {
    return this.#crashed.has(instance)
  }

  /** The outage in force for `instance` now, if any. */
  outage(instance: string): Outage | undefined {
    const now = Date.now()
    return this.#outages.find((o) => o.until > now && (o.instance === undefined || o.instance === instance))
  }

  /** True when neither a crash nor an outage cuts `instance` off. */
  reachable(instance: string): boolean {
    return !this.#crashed.has(instance) && this.outage(instance) === undefined
  }

  /** Ends every outage and removes the rules not used up yet (crashes stay: those instances are gone). */
  heal(): void {
    this.#outages.length = 0
    this.rules.length = 0
  }

  /** The rule that applies to this call, used up by one. */
  take(instance: string, method: SimMethod): FaultRule | undefined {
    const i = this.rules.findIndex((r) => r.method === method && (r.instance === undefined || r.instance === instance))
    if (i < 0) return undefined
    const rule = this.rules[i] as FaultRule
    rule.times--
    if (rule.times <= 0) this.rules.splice(i, 1)
    this.fired.push(`${instance}.${method}:${rule.action.kind === 'error' ? rule.action.error : rule.action.kind}`)
    return rule
  }

  /**
   * Runs before every client call: never settles for a crashed instance, applies a matching rule, and waits out
   * (or fails in) an outage. `timeoutMs` bounds how long the call waits for the broker. Local calls (seek, assign,
   * beginTransaction: librdkafka serves them without a broker round trip) are not affected by outages.
   */
  async gate(instance: string, method: SimMethod, timeoutMs: number): Promise<void> {
    if (this.#crashed.has(instance)) return never()
    const rule = this.take(instance, method)
    if (rule !== undefined) {
      const a = rule.action
      if (a.kind === 'hang') {
        if (!ADAPTER_BOUNDED.has(method)) return never()
        await sleep(this.adapterDeadlineMs)
        throw new KafkaClientError(`${method}: the client did not answer within ${this.adapterDeadlineMs} ms`, {
          code: TIMED_OUT
        })
      }
      if (a.kind === 'timeout') {
        await sleep(Math.min(a.ms, timeoutMs))
        throw timedOut(method)
      }
      throw makeError(a.error, method)
    }
    if (LOCAL.has(method)) return
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const o = this.outage(instance)
      if (o === undefined) break
      // A flush waits for the deliveries, which librdkafka retries until message.timeout.ms, and a connect retries
      // until its connect timeout, whatever the outage.
      if (o.mode === 'fail' && !WAITS_OUT.has(method)) throw transportError(method)
      if (Date.now() >= deadline) throw timedOut(method)
      await sleep(Math.max(1, Math.min(o.until, deadline) - Date.now()))
      if (this.#crashed.has(instance)) return never()
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
