// The conformance function catalog (conformance/README.md), in TypeScript. Long values are bigint here
// (Serdes.Long()), Integer and Double are number; arithmetic keeps the type of its first operand.
import { KeyValue } from '../../src/index.ts'
import type { Windowed } from '../../src/index.ts'

type Fn = (...args: any[]) => any
export type FnSpec = string | { name: string; arg?: unknown }

function num(a: unknown, b: unknown): unknown {
  if (typeof a === 'bigint') return BigInt(b as number | bigint)
  return Number(b)
}

function add(a: unknown, b: unknown): unknown {
  return typeof a === 'bigint' ? a + (num(a, b) as bigint) : (a as number) + (num(a, b) as number)
}

function sub(a: unknown, b: unknown): unknown {
  return typeof a === 'bigint' ? a - (num(a, b) as bigint) : (a as number) - (num(a, b) as number)
}

function mul(a: unknown, b: unknown): unknown {
  return typeof a === 'bigint' ? a * (num(a, b) as bigint) : (a as number) * (num(a, b) as number)
}

function one(a: unknown): unknown {
  return typeof a === 'bigint' ? 1n : 1
}

function constant(arg: unknown): unknown {
  if (typeof arg === 'number' && Number.isInteger(arg)) return BigInt(arg)
  return arg
}

function firstChar(s: unknown): string | null {
  return typeof s === 'string' ? s.substring(0, 1) : null
}

function words(v: unknown): string[] {
  return typeof v === 'string' ? v.split(' ').filter((w) => w !== '') : []
}

function removeComma(agg: unknown, s: unknown): unknown {
  if (s === null) return agg
  const items = String(agg).split(',')
  const i = items.indexOf(String(s))
  if (i >= 0) items.splice(i, 1)
  return items.join(',')
}

function javaString(v: unknown): string {
  return v === null ? 'null' : String(v)
}

function greater(a: unknown, b: unknown): boolean {
  return typeof a === 'bigint' ? a > (num(a, b) as bigint) : (a as number) > Number(b)
}

const catalog: Record<string, (arg: unknown) => Fn> = {
  // predicates (key, value)
  always: () => () => true,
  never: () => () => false,
  keyEquals: (arg) => (k: unknown) => k !== null && k === arg,
  valueEquals: (arg) => (_k: unknown, v: unknown) => v !== null && v === arg,
  keyStartsWith: (arg) => (k: unknown) => typeof k === 'string' && k.startsWith(arg as string),
  valueStartsWith: (arg) => (_k: unknown, v: unknown) => typeof v === 'string' && v.startsWith(arg as string),
  valueIsNull: () => (_k: unknown, v: unknown) => v === null,
  valueNotNull: () => (_k: unknown, v: unknown) => v !== null,
  keyIsNull: () => (k: unknown) => k === null,
  valueGreaterThan: (arg) => (_k: unknown, v: unknown) => v !== null && greater(v, arg),
  valueEven: () => (_k: unknown, v: unknown) =>
    v !== null && (typeof v === 'bigint' ? v % 2n === 0n : (v as number) % 2 === 0),
  // value mappers (value, key)
  upper: () => (v: unknown) => (v === null ? null : (v as string).toUpperCase()),
  lower: () => (v: unknown) => (v === null ? null : (v as string).toLowerCase()),
  length: () => (v: unknown) => (v === null ? null : BigInt((v as string).length)),
  appendKey: () => (v: unknown, k: unknown) => (v === null ? null : `${javaString(v)}@${javaString(k)}`),
  plus: (arg) => (v: unknown) => (v === null ? null : add(v, arg)),
  times: (arg) => (v: unknown) => (v === null ? null : mul(v, arg)),
  toStringValue: () => (v: unknown) => (v === null ? null : String(v)),
  parseLong: () => (v: unknown) => (v === null ? null : BigInt(v as string)),
  constant: (arg) => () => constant(arg),
  toNull: () => () => null,
  // key mappers (key, value)
  valueAsKey: () => (_k: unknown, v: unknown) => v,
  firstCharOfValue: () => (_k: unknown, v: unknown) => firstChar(v),
  firstCharOfKey: () => (k: unknown) => firstChar(k),
  constantKey: (arg) => () => constant(arg),
  windowedKeyToString: () => (k: Windowed<unknown>) => `${javaString(k.key)}@${k.window.start}/${k.window.end}`,
  // key-value mappers
  identity: () => (k: unknown, v: unknown) => KeyValue.pair(k, v),
  swap: () => (k: unknown, v: unknown) => KeyValue.pair(v, k),
  firstCharOfValueAsKey: () => (_k: unknown, v: unknown) => KeyValue.pair(firstChar(v), v),
  modKey: (arg) => (k: unknown, v: unknown) =>
    KeyValue.pair(typeof k === 'bigint' ? k % BigInt(arg as number) : (k as number) % (arg as number), v),
  withKey: (arg) => (_k: unknown, v: unknown) => KeyValue.pair(constant(arg), v),
  // flat mappers
  splitWordsToKeys: () => (_k: unknown, v: unknown) => words(v).map((w) => KeyValue.pair(w, w)),
  splitWords: () => (v: unknown) => words(v),
  duplicate: () => (v: unknown) => [v, v],
  // initializers
  zero: () => () => 0n,
  zeroDouble: () => () => 0,
  emptyString: () => () => '',
  // aggregators (key, value, agg); reducers and mergers are adapted by the caller
  count: () => (_k: unknown, _v: unknown, agg: unknown) => add(agg, one(agg)),
  sum: () => (_k: unknown, v: unknown, agg: unknown) => (v === null ? agg : add(agg, v)),
  concatComma: () => (_k: unknown, v: unknown, agg: unknown) =>
    v === null ? agg : agg === '' ? v : `${agg as string},${v as string}`,
  removeComma: () => (_k: unknown, v: unknown, agg: unknown) => removeComma(agg, v),
  subtractCount: () => (_k: unknown, _v: unknown, agg: unknown) => sub(agg, one(agg)),
  subtractSum: () => (_k: unknown, v: unknown, agg: unknown) => (v === null ? agg : sub(agg, v)),
  // reducers (v1, v2) — names shared with aggregators are resolved by `reducer()`
  max: () => (a: unknown, b: unknown) => ((b as number) > (a as number) ? b : a),
  latest: () => (_a: unknown, b: unknown) => b,
  // joiners
  concatJoin: () => (l: unknown, r: unknown) => `${javaString(l)}+${javaString(r)}`
}

function lookup(spec: FnSpec): Fn {
  const name = typeof spec === 'string' ? spec : spec.name
  const arg = typeof spec === 'string' ? undefined : spec.arg
  const factory = catalog[name]
  if (factory === undefined) throw new Error(`conformance catalog has no function ${name}`)
  return factory(arg)
}

export const fn = lookup

/** A reducer (v1, v2) by name: aggregator-style catalog entries are adapted. */
export function reducer(spec: FnSpec): Fn {
  const name = typeof spec === 'string' ? spec : spec.name
  if (name === 'sum') return (a: unknown, b: unknown) => add(a, b)
  if (name === 'concatComma') return (a: unknown, b: unknown) => `${a as string},${b as string}`
  if (name === 'removeComma') return (a: unknown, b: unknown) => removeComma(a, b)
  if (name === 'subtractSum') return (a: unknown, b: unknown) => sub(a, b)
  return lookup(spec)
}

/** A session merger (key, agg1, agg2) by name. */
export function merger(spec: FnSpec): Fn {
  const name = typeof spec === 'string' ? spec : spec.name
  if (name === 'sum') return (_k: unknown, a: unknown, b: unknown) => add(a, b)
  if (name === 'concatComma') {
    return (_k: unknown, a: unknown, b: unknown) => [a, b].filter((x) => x !== null && x !== '').join(',')
  }
  throw new Error(`conformance catalog has no merger ${name}`)
}
