// The stateless KStream processors (filter, map, mapValues, flatMap, flatMapValues, peek, pass-through).
// Each is a small closure over its function; they keep no state and never touch stores.
import { StreamsError } from '../../errors.ts'
import type { KeyValue } from '../../key-value.ts'
import type { Processor, ProcessorContext, ProcessorSupplier } from '../../processor/processor.ts'
import type { Record } from '../../processor/record.ts'
import type { FlatKeyValueMapper, ForeachAction, KeyValueMapper, Predicate, ValueMapper } from '../functions.ts'

type Ctx = ProcessorContext<unknown, unknown>

function processor(
  process: (ctx: Ctx, record: Record<unknown, unknown>) => void
): ProcessorSupplier<unknown, unknown, unknown, unknown> {
  return () => {
    let ctx: Ctx
    const p: Processor<unknown, unknown, unknown, unknown> = {
      init(context) {
        ctx = context
      },
      process(record) {
        process(ctx, record)
      }
    }
    return p
  }
}

export function kstreamFilter<K, V>(
  predicate: Predicate<K, V>,
  filterNot: boolean
): ProcessorSupplier<unknown, unknown, unknown, unknown> {
  return processor((ctx, r) => {
    if (filterNot !== predicate(r.key as K, r.value as V)) ctx.forward(r)
  })
}

export function kstreamMap<K, V, KR, VR>(
  mapper: KeyValueMapper<K, V, KeyValue<KR, VR>>
): ProcessorSupplier<unknown, unknown, unknown, unknown> {
  return processor((ctx, r) => {
    const kv = mapper(r.key as K, r.value as V)
    if (kv == null) {
      throw new StreamsError('PROCESSING', 'The provided KeyValueMapper returned null which is not allowed.')
    }
    ctx.forward(r.withKey(kv.key).withValue(kv.value))
  })
}

export function kstreamSelectKey<K, V, KR>(
  mapper: KeyValueMapper<K, V, KR>
): ProcessorSupplier<unknown, unknown, unknown, unknown> {
  return processor((ctx, r) => {
    ctx.forward(r.withKey(mapper(r.key as K, r.value as V)))
  })
}

export function kstreamMapValues<K, V, VR>(
  mapper: ValueMapper<K, V, VR>
): ProcessorSupplier<unknown, unknown, unknown, unknown> {
  return processor((ctx, r) => {
    ctx.forward(r.withValue(mapper(r.value as V, r.key as K)))
  })
}

export function kstreamFlatMap<K, V, KR, VR>(
  mapper: FlatKeyValueMapper<K, V, KR, VR>
): ProcessorSupplier<unknown, unknown, unknown, unknown> {
  return processor((ctx, r) => {
    for (const kv of mapper(r.key as K, r.value as V)) ctx.forward(r.withKey(kv.key).withValue(kv.value))
  })
}

export function kstreamFlatMapValues<K, V, VR>(
  mapper: ValueMapper<K, V, Iterable<VR>>
): ProcessorSupplier<unknown, unknown, unknown, unknown> {
  return processor((ctx, r) => {
    for (const v of mapper(r.value as V, r.key as K)) ctx.forward(r.withValue(v))
  })
}

export function kstreamPeek<K, V>(action: ForeachAction<K, V>): ProcessorSupplier<unknown, unknown, unknown, unknown> {
  return processor((ctx, r) => {
    action(r.key as K, r.value as V)
    ctx.forward(r)
  })
}

export function kstreamForeach<K, V>(
  action: ForeachAction<K, V>
): ProcessorSupplier<unknown, unknown, unknown, unknown> {
  return processor((_ctx, r) => {
    action(r.key as K, r.value as V)
  })
}

export function kstreamPassThrough(): ProcessorSupplier<unknown, unknown, unknown, unknown> {
  return processor((ctx, r) => {
    ctx.forward(r)
  })
}

/** Forwards each record to the first branch (child name) whose predicate matches, else to the default. */
export function kstreamBranch<K, V>(
  predicates: ReadonlyArray<Predicate<K, V>>,
  childNames: readonly string[],
  defaultChild: string | undefined
): ProcessorSupplier<unknown, unknown, unknown, unknown> {
  return processor((ctx, r) => {
    for (let i = 0; i < predicates.length; i++) {
      if ((predicates[i] as Predicate<K, V>)(r.key as K, r.value as V)) {
        ctx.forward(r, childNames[i])
        return
      }
    }
    if (defaultChild !== undefined) ctx.forward(r, defaultChild)
  })
}
