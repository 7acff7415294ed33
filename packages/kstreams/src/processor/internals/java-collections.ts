// Reproduces the iteration order of java.util.HashSet / HashMap for String elements. Kafka Streams prints
// store and topic sets in describe() in that order, and sizes sub-topology nodes by visiting a HashMap, so
// matching describe() byte for byte needs the same order.

/** Java's `String.hashCode()` over UTF-16 code units, as a signed 32-bit int. */
export function javaStringHash(s: string): number {
  let h = 0
  for (let i = 0; i < s.length; i++) {
    h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0
  }
  return h
}

function spread(h: number): number {
  return (h ^ (h >>> 16)) | 0
}

function tableSizeFor(cap: number): number {
  let n = 1
  while (n < cap) n *= 2
  return n
}

/**
 * Order of a HashSet built by adding `elements` one by one to `new HashSet<>()` (capacity 16, doubling past a
 * 0.75 load factor). Duplicates are dropped.
 */
export function javaHashSetOrder(elements: Iterable<string>): string[] {
  const unique = [...new Set(elements)]
  let capacity = 16
  while (unique.length > capacity * 0.75) capacity *= 2
  return orderFor(unique, capacity)
}

/** Order of `new HashSet<>(collection)`: capacity sized up front from the collection's size. */
export function javaHashSetCopyOrder(elements: Iterable<string>): string[] {
  const unique = [...new Set(elements)]
  const capacity = tableSizeFor(Math.max(Math.floor(unique.length / 0.75) + 1, 16))
  return orderFor(unique, capacity)
}

function orderFor(unique: string[], capacity: number): string[] {
  const mask = capacity - 1
  return unique
    .map((s, i) => ({ s, i, b: spread(javaStringHash(s)) & mask }))
    .sort((a, b) => a.b - b.b || a.i - b.i)
    .map((e) => e.s)
}

/** `Set.toString()` of Java collections: `[a, b]`. */
export function javaSetToString(elements: readonly string[]): string {
  return `[${elements.join(', ')}]`
}
