// Shared pieces of the inner stores: the ordered map they build on, byte-order keys and the closed-store error.
import sortedBtree from 'sorted-btree'
import { StreamsError } from '../../errors.ts'

// sorted-btree is CommonJS; under Node's ESM interop the class is the `default` property of the module object.
export const BTree = sortedBtree.default
export type BTreeMap<K, V> = InstanceType<typeof sortedBtree.default<K, V>>

/**
 * Keys as latin1 strings: one UTF-16 code unit per byte (0..255), so JS string comparison is exactly the
 * unsigned byte-wise order of Kafka Streams' `Bytes`, and a Map can hash them.
 */
export function byteKey(key: Buffer): string {
  return key.toString('latin1')
}

export function compareByteKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

export function compareNumbers(a: number, b: number): number {
  return a - b
}

export function newByteKeyTree<V>(): BTreeMap<string, V> {
  return new BTree<string, V>(undefined, compareByteKeys)
}

export function newNumberTree<V>(): BTreeMap<number, V> {
  return new BTree<number, V>(undefined, compareNumbers)
}

export function storeNotOpen(name: string): StreamsError {
  return new StreamsError('STORE_CLOSED', `State store ${name} is not open (closed, or not initialised yet)`, {
    storeName: name
  })
}

/** Kafka Streams' NO_TIMESTAMP: the observed stream time of a store that has seen nothing. */
export const NO_TIMESTAMP = -1
