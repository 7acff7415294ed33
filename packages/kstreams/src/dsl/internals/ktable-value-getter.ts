// KTable value getters, as Kafka Streams' KTableValueGetter(Supplier): how a join (or any operator that needs a
// table's current value for a key) reads a table. A materialized table is read from its store; an unmaterialized
// filter/mapValues recomputes its value from its parent's getter, so only the sources need a store.
import { StreamsError } from '../../errors.ts'
import type { ProcessorContext } from '../../processor/processor.ts'
import type { InternalTopologyBuilder } from '../../processor/internals/internal-topology-builder.ts'
import { ValueAndTimestamp } from '../../state/value-and-timestamp.ts'
import { Windowed } from '../windowed.ts'
import type { KTableProcessorSupplier } from './ktable-processor-supplier.ts'

export interface KTableValueGetter<K, V> {
  /** Called from the owning processor's `init`; the getter's stores must be connected to that processor. */
  init(context: ProcessorContext<unknown, unknown>): void
  /** The table's current value and its timestamp, or null when the key is absent. */
  get(key: K): ValueAndTimestamp<V> | null
}

export interface KTableValueGetterSupplier<K, V> {
  get(): KTableValueGetter<K, V>
  /** Stores the getters read: a processor using a getter must be connected to each of them. */
  storeNames(): string[]
}

interface AnyStore {
  get?: (key: unknown) => unknown
  fetch?: (key: unknown, windowStart: number) => unknown
  fetchSession?: (key: unknown, start: number, end: number) => unknown
}

/** Reads a table from its own store (key-value, window or session, as the table's aggregation built it). */
export function materializedValueGetterSupplier<K, V>(storeName: string): KTableValueGetterSupplier<K, V> {
  return {
    storeNames: () => [storeName],
    get: () => {
      let store: AnyStore
      return {
        init(context) {
          store = context.getStateStore(storeName) as unknown as AnyStore
        },
        get(key: K): ValueAndTimestamp<V> | null {
          let found: unknown
          if (key instanceof Windowed && typeof store.fetch === 'function') {
            found = store.fetch(key.key, key.window.start)
          } else if (key instanceof Windowed && typeof store.fetchSession === 'function') {
            // A session store holds plain aggregates; its table's timestamp is the session end.
            const agg = store.fetchSession(key.key, key.window.start, key.window.end)
            return agg == null ? null : new ValueAndTimestamp(agg as V, key.window.end)
          } else if (typeof store.get === 'function') {
            found = store.get(key)
          } else {
            throw new StreamsError('ILLEGAL_STATE', `store ${storeName} cannot be read by key`, { storeName })
          }
          return (found ?? null) as ValueAndTimestamp<V> | null
        }
      }
    }
  }
}

/** The getter of a table built by `supplier`: its own view, or its store when it has one. */
export function valueGetterSupplierOf<K, V>(supplier: KTableProcessorSupplier): KTableValueGetterSupplier<K, V> {
  if (supplier.view !== undefined) return supplier.view() as KTableValueGetterSupplier<K, V>
  if (supplier.storeName !== undefined) return materializedValueGetterSupplier<K, V>(supplier.storeName)
  throw new StreamsError('TOPOLOGY_INVALID', 'this KTable cannot be read by key (no store and no value getter)')
}

/** Applies `compute` to each value a parent getter returns (unmaterialized filter/mapValues). */
export function mappedValueGetterSupplier<K, V, VR>(
  parent: KTableValueGetterSupplier<K, V>,
  compute: (key: K, value: ValueAndTimestamp<V> | null) => ValueAndTimestamp<VR> | null
): KTableValueGetterSupplier<K, VR> {
  return {
    storeNames: () => parent.storeNames(),
    get: () => {
      const getter = parent.get()
      return {
        init: (context) => getter.init(context),
        get: (key) => compute(key, getter.get(key))
      }
    }
  }
}

/** Union of store names in first-seen order. */
export function unionStoreNames(...lists: string[][]): string[] {
  const out: string[] = []
  for (const list of lists) for (const s of list) if (!out.includes(s)) out.push(s)
  return out
}

/**
 * Records that the sources feeding `processorNames` must be co-partitioned (a join reads both sides by key in one
 * task), as Kafka Streams' ensureCopartitionWith. The runtime checks their partition counts.
 */
export function copartitionUpstreamSources(tb: InternalTopologyBuilder, processorNames: readonly string[]): void {
  const sources: string[] = []
  const seen = new Set<string>()
  const stack = [...processorNames]
  while (stack.length > 0) {
    const name = stack.pop() as string
    if (seen.has(name)) continue
    seen.add(name)
    const node = tb.nodeFactories.get(name)
    if (node === undefined) continue
    if (node.kind === 'source') sources.push(name)
    else stack.push(...node.predecessors)
  }
  if (sources.length > 1) tb.copartitionSources(sources.sort())
}
