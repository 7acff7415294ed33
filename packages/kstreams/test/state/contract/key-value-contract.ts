// The contract every KeyValueBytesStore implementation passes.
import assert from 'node:assert/strict'
import { after, beforeEach, describe, it } from 'node:test'
import type { BytesEntry, KeyValueBytesStore } from '../../../src/state/internals/bytes-store.ts'
import { assertStoreClosed, b, newContext, removeStateDirs, s, type FixtureContext } from './store-fixture.ts'

export type KeyValueStoreFactory = (name: string) => KeyValueBytesStore

function keys(entries: Iterable<BytesEntry>): string[] {
  return [...entries].map((e) => e.key.toString('hex'))
}

function pairs(entries: Iterable<BytesEntry>): Array<[string, string]> {
  return [...entries].map((e) => [e.key.toString('utf8'), e.value.toString('utf8')])
}

export function keyValueBytesStoreContract(implementation: string, factory: KeyValueStoreFactory): void {
  describe(`KeyValueBytesStore contract: ${implementation}`, () => {
    let store: KeyValueBytesStore
    let context: FixtureContext

    beforeEach(() => {
      store?.isOpen() && store.close()
      store = factory('kv-contract')
      context = newContext()
      store.init(context, store)
    })

    after(() => {
      if (store?.isOpen()) store.close()
      removeStateDirs()
    })

    it('is open after init and registers itself with a restore callback', () => {
      assert.equal(store.isOpen(), true)
      assert.equal(store.name, 'kv-contract')
      assert.equal(context.registered.length, 1)
      assert.equal(context.registered[0].store, store)
    })

    it('gets what was put, and undefined for absent keys', () => {
      assert.equal(store.get(s('a')), undefined)
      store.put(s('a'), s('1'))
      assert.equal(store.get(s('a'))?.toString(), '1')
      store.put(s('a'), s('2'))
      assert.equal(store.get(s('a'))?.toString(), '2')
      assert.equal(store.approximateNumEntries(), 1)
    })

    it('treats a null put as a delete', () => {
      store.put(s('a'), s('1'))
      store.put(s('a'), null)
      assert.equal(store.get(s('a')), undefined)
      store.put(s('never'), null)
      assert.equal(store.approximateNumEntries(), 0)
    })

    it('delete returns the removed value', () => {
      store.put(s('a'), s('1'))
      assert.equal(store.delete(s('a'))?.toString(), '1')
      assert.equal(store.delete(s('a')), undefined)
      assert.equal(store.get(s('a')), undefined)
    })

    it('putIfAbsent writes only when absent and returns the previous value', () => {
      assert.equal(store.putIfAbsent(s('a'), s('1')), undefined)
      assert.equal(store.putIfAbsent(s('a'), s('2'))?.toString(), '1')
      assert.equal(store.get(s('a'))?.toString(), '1')
      assert.equal(store.putIfAbsent(s('b'), null), undefined)
      assert.equal(store.get(s('b')), undefined)
    })

    it('putAll applies puts and deletes in order', () => {
      store.put(s('x'), s('0'))
      store.putAll([
        [s('a'), s('1')],
        [s('b'), s('2')],
        [s('x'), null],
        [s('a'), s('3')]
      ])
      assert.deepEqual(pairs(store.all()), [
        ['a', '3'],
        ['b', '2']
      ])
    })

    it('accepts the empty key', () => {
      store.put(b(), s('empty'))
      store.put(b(0), s('zero'))
      assert.equal(store.get(b())?.toString(), 'empty')
      assert.deepEqual(keys(store.all()), ['', '00'])
    })

    it('orders keys by unsigned bytes: 0x00, prefixes, 0xff and non-ASCII', () => {
      const input = [
        b(0xff),
        b(0x01, 0x00),
        b(0x00),
        b(0x01),
        b(0x80),
        b(0x7f),
        b(0x01, 0xff),
        b(0x00, 0x00),
        s('é'),
        s('z')
      ]
      for (const key of input) store.put(key, s('v'))
      const expected = ['00', '0000', '01', '0100', '01ff', '7a', '7f', '80', 'c3a9', 'ff']
      assert.deepEqual(keys(store.all()), expected)
      assert.deepEqual(keys(store.reverseAll()), [...expected].reverse())
    })

    it('range has inclusive bounds, open ends with null, and reverse order', () => {
      for (const k of ['a', 'b', 'c', 'd', 'e']) store.put(s(k), s(k.toUpperCase()))
      assert.deepEqual(pairs(store.range(s('b'), s('d'))), [
        ['b', 'B'],
        ['c', 'C'],
        ['d', 'D']
      ])
      assert.deepEqual(keys(store.range(null, s('b'))), keys([...store.all()].slice(0, 2)))
      assert.deepEqual(
        pairs(store.range(s('d'), null)).map((p) => p[0]),
        ['d', 'e']
      )
      assert.deepEqual(
        pairs(store.range(null, null)).map((p) => p[0]),
        ['a', 'b', 'c', 'd', 'e']
      )
      assert.deepEqual(
        pairs(store.reverseRange(s('b'), s('d'))).map((p) => p[0]),
        ['d', 'c', 'b']
      )
      assert.deepEqual(
        pairs(store.reverseRange(null, s('b'))).map((p) => p[0]),
        ['b', 'a']
      )
      assert.deepEqual(
        pairs(store.reverseRange(s('d'), null)).map((p) => p[0]),
        ['e', 'd']
      )
      // Bounds that are not keys.
      assert.deepEqual(
        pairs(store.range(s('bb'), s('dd'))).map((p) => p[0]),
        ['c', 'd']
      )
      assert.deepEqual(
        pairs(store.reverseRange(s('a0'), s('c0'))).map((p) => p[0]),
        ['c', 'b']
      )
    })

    it('range with from > to yields nothing', () => {
      store.put(s('a'), s('1'))
      store.put(s('b'), s('2'))
      assert.deepEqual([...store.range(s('b'), s('a'))], [])
      assert.deepEqual([...store.reverseRange(s('b'), s('a'))], [])
      assert.equal([...store.range(s('a'), s('a'))].length, 1)
    })

    it('prefixScan returns keys starting with the prefix, in order', () => {
      for (const key of [
        b(1),
        b(1, 0),
        b(1, 0xff),
        b(1, 0xff, 0xff),
        b(2),
        b(0, 0xff),
        b(0xff),
        b(0xff, 0),
        b(0xff, 0xff)
      ]) {
        store.put(key, s('v'))
      }
      assert.deepEqual(keys(store.prefixScan(b(1))), ['01', '0100', '01ff', '01ffff'])
      assert.deepEqual(keys(store.prefixScan(b(1, 0xff))), ['01ff', '01ffff'])
      assert.deepEqual(keys(store.prefixScan(b(0xff))), ['ff', 'ff00', 'ffff'])
      assert.deepEqual(keys(store.prefixScan(b(3))), [])
      assert.equal(keys(store.prefixScan(b())).length, 9)
    })

    it('iterates a snapshot: safe while the store changes, keys added meanwhile are not seen', () => {
      for (const k of ['a', 'b', 'c', 'd']) store.put(s(k), s('old'))
      const seen = new Map<string, string>()
      for (const entry of store.all()) {
        seen.set(entry.key.toString(), entry.value.toString())
        if (entry.key.toString() === 'a') {
          store.put(s('aa'), s('new-key'))
          store.put(s('c'), s('updated'))
          store.delete(s('d'))
        }
      }
      // Implementations may show the value at the snapshot (LMDB, RocksDB) or the current one (in-memory),
      // and may or may not still show a key deleted meanwhile.
      assert.deepEqual([...seen.keys()].slice(0, 3), ['a', 'b', 'c'])
      assert.ok(!seen.has('aa'))
      assert.ok(['old', 'updated'].includes(seen.get('c') ?? ''))
      assert.deepEqual(pairs(store.all()), [
        ['a', 'old'],
        ['aa', 'new-key'],
        ['b', 'old'],
        ['c', 'updated']
      ])
    })

    it('restores a batch of changelog records, null meaning delete', () => {
      store.put(s('gone'), s('x'))
      context.restore([
        { key: s('a'), value: s('1'), timestamp: 1 },
        { key: s('b'), value: s('2'), timestamp: 2 },
        { key: s('a'), value: s('3'), timestamp: 3 },
        { key: s('gone'), value: null, timestamp: 4 },
        { key: b(), value: s('e'), timestamp: 5 }
      ])
      assert.deepEqual(pairs(store.all()), [
        ['', 'e'],
        ['a', '3'],
        ['b', '2']
      ])
    })

    it('throws STORE_CLOSED for every operation after close, including open iterators', () => {
      store.put(s('a'), s('1'))
      store.put(s('b'), s('2'))
      const iterator = store.all()[Symbol.iterator]()
      assert.equal(iterator.next().done, false)
      store.close()
      assert.equal(store.isOpen(), false)
      assertStoreClosed(() => iterator.next())
      assertStoreClosed(() => store.get(s('a')))
      assertStoreClosed(() => store.put(s('a'), s('1')))
      assertStoreClosed(() => store.putIfAbsent(s('a'), s('1')))
      assertStoreClosed(() => store.putAll([]))
      assertStoreClosed(() => store.delete(s('a')))
      assertStoreClosed(() => store.range(null, null))
      assertStoreClosed(() => store.reverseRange(null, null))
      assertStoreClosed(() => store.all())
      assertStoreClosed(() => store.reverseAll())
      assertStoreClosed(() => store.prefixScan(s('a')))
      assertStoreClosed(() => store.approximateNumEntries())
      assertStoreClosed(() => store.flush())
      store.close()
    })

    it('is not usable before init', () => {
      const fresh = factory('kv-uninitialised')
      assert.equal(fresh.isOpen(), false)
      assertStoreClosed(() => fresh.get(s('a')))
    })

    it('handles many keys in order', () => {
      const n = 2000
      for (let i = n - 1; i >= 0; i--) {
        const key = Buffer.alloc(4)
        key.writeUInt32BE(i * 7919, 0)
        store.put(key, s(String(i)))
      }
      const all = [...store.all()]
      assert.equal(all.length, n)
      for (let i = 1; i < all.length; i++) assert.ok(Buffer.compare(all[i - 1].key, all[i].key) < 0)
      assert.equal(store.approximateNumEntries(), n)
      store.flush()
    })
  })
}
