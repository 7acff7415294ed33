// The contract every WindowBytesStore implementation passes (retention as Kafka Streams' window stores).
import assert from 'node:assert/strict'
import { after, beforeEach, describe, it } from 'node:test'
import type { WindowBytesEntry, WindowBytesStore } from '../../../src/state/internals/bytes-store.ts'
import { encodeWindowStoreKey } from '../../../src/state/internals/window-key-schema.ts'
import { assertStoreClosed, b, newContext, removeStateDirs, s, type FixtureContext } from './store-fixture.ts'

export type WindowStoreFactory = (
  name: string,
  retentionPeriod: number,
  windowSize: number,
  retainDuplicates: boolean
) => WindowBytesStore

function show(entries: Iterable<WindowBytesEntry>): string[] {
  return [...entries].map((e) => `${e.key.toString('utf8')}@${e.windowStart}=${e.value.toString('utf8')}`)
}

export function windowBytesStoreContract(implementation: string, factory: WindowStoreFactory): void {
  const RETENTION = 100
  const WINDOW = 10

  describe(`WindowBytesStore contract: ${implementation}`, () => {
    let store: WindowBytesStore
    let context: FixtureContext

    function open(retainDuplicates = false): WindowBytesStore {
      if (store?.isOpen()) store.close()
      store = factory('window-contract', RETENTION, WINDOW, retainDuplicates)
      context = newContext()
      store.init(context, store)
      return store
    }

    beforeEach(() => open())
    after(() => {
      if (store?.isOpen()) store.close()
      removeStateDirs()
    })

    it('reports its configuration and registers on init', () => {
      assert.equal(store.retentionPeriod, RETENTION)
      assert.equal(store.windowSize, WINDOW)
      assert.equal(store.retainDuplicates, false)
      assert.equal(context.registered.length, 1)
      assert.equal(store.isOpen(), true)
    })

    it('puts, overwrites, fetches and deletes with null', () => {
      store.put(s('a'), s('1'), 0)
      store.put(s('a'), s('2'), 0)
      store.put(s('a'), s('3'), 10)
      assert.equal(store.fetch(s('a'), 0)?.toString(), '2')
      assert.equal(store.fetch(s('a'), 10)?.toString(), '3')
      assert.equal(store.fetch(s('a'), 5), undefined)
      assert.equal(store.fetch(s('b'), 0), undefined)
      store.put(s('a'), null, 0)
      assert.equal(store.fetch(s('a'), 0), undefined)
      assert.deepEqual(show(store.all()), ['a@10=3'])
    })

    it('fetchRange returns one key in [timeFrom, timeTo], ascending; backward descending', () => {
      for (const t of [0, 10, 20, 30]) store.put(s('a'), s(`a${t}`), t)
      store.put(s('b'), s('b10'), 10)
      store.put(s('a\u0000'), s('prefix-neighbour'), 10)
      assert.deepEqual(show(store.fetchRange(s('a'), 10, 20)), ['a@10=a10', 'a@20=a20'])
      assert.deepEqual(show(store.fetchRange(s('a'), 5, 100)), ['a@10=a10', 'a@20=a20', 'a@30=a30'])
      assert.deepEqual(show(store.backwardFetchRange(s('a'), 0, 20)), ['a@20=a20', 'a@10=a10', 'a@0=a0'])
      assert.deepEqual(show(store.fetchRange(s('a'), 21, 29)), [])
      assert.deepEqual(show(store.fetchRange(s('a'), 20, 10)), [])
    })

    it('fetchKeyRange and fetchAll order by windowStart, then key bytes', () => {
      store.put(s('c'), s('c0'), 0)
      store.put(s('a'), s('a10'), 10)
      store.put(s('b'), s('b0'), 0)
      store.put(b(0xff), s('ff0'), 0)
      store.put(s('a'), s('a0'), 0)
      store.put(s('é'), s('e10'), 10)
      assert.deepEqual(show(store.fetchAll(0, 10)), [
        'a@0=a0',
        'b@0=b0',
        'c@0=c0',
        '\ufffd@0=ff0',
        'a@10=a10',
        'é@10=e10'
      ])
      assert.deepEqual(show(store.fetchKeyRange(s('b'), s('c'), 0, 10)), ['b@0=b0', 'c@0=c0'])
      assert.deepEqual(show(store.fetchKeyRange(null, s('a'), 0, 10)), ['a@0=a0', 'a@10=a10'])
      assert.deepEqual(show(store.fetchKeyRange(s('c'), null, 0, 10)), ['c@0=c0', '\ufffd@0=ff0', 'é@10=e10'])
      assert.deepEqual(show(store.fetchKeyRange(s('c'), s('a'), 0, 10)), [])
      assert.deepEqual(show(store.fetchAll(5, 10)), ['a@10=a10', 'é@10=e10'])
      assert.deepEqual(show(store.all()), show(store.fetchAll(0, 10)))
    })

    it('drops puts at or before observed stream time - retention', () => {
      store.put(s('a'), s('late-ok'), 0)
      store.put(s('a'), s('now'), 150) // observed = 150: windows <= 50 are expired
      store.put(s('b'), s('expired'), 50)
      store.put(s('c'), s('live'), 51)
      assert.equal(store.fetch(s('b'), 50), undefined)
      assert.equal(store.fetch(s('c'), 51)?.toString(), 'live')
      assert.equal(store.fetch(s('a'), 0), undefined)
      assert.deepEqual(show(store.all()), ['c@51=live', 'a@150=now'])
      assert.deepEqual(show(store.fetchRange(s('a'), 0, 200)), ['a@150=now'])
      assert.deepEqual(show(store.fetchAll(0, 200)), ['c@51=live', 'a@150=now'])
    })

    it('expires windows as stream time advances, exactly at the retention boundary', () => {
      store.put(s('a'), s('0'), 0)
      store.put(s('a'), s('99'), 99) // observed 99: window 0 still live (0 > 99 - 100)
      assert.equal(store.fetch(s('a'), 0)?.toString(), '0')
      store.put(s('b'), s('100'), 100) // observed 100: window 0 expired (0 <= 0)
      assert.equal(store.fetch(s('a'), 0), undefined)
      assert.deepEqual(show(store.fetchRange(s('a'), 0, 100)), ['a@99=99'])
    })

    it('restores changelog records keyed [key][windowStart][seqnum], applying retention', () => {
      context.restore([
        { key: encodeWindowStoreKey(s('a'), 10, 0), value: s('1'), timestamp: 10 },
        { key: encodeWindowStoreKey(s('b'), 20, 0), value: s('2'), timestamp: 20 },
        { key: encodeWindowStoreKey(s('a'), 10, 0), value: s('3'), timestamp: 11 },
        { key: encodeWindowStoreKey(s('b'), 20, 0), value: null, timestamp: 21 },
        { key: encodeWindowStoreKey(b(), 30, 0), value: s('empty'), timestamp: 30 },
        { key: encodeWindowStoreKey(s('z'), 500, 0), value: s('far'), timestamp: 500 },
        { key: encodeWindowStoreKey(s('old'), 300, 0), value: s('expired'), timestamp: 300 }
      ])
      assert.deepEqual(show(store.all()), ['z@500=far'])
      open()
      context.restore([
        { key: encodeWindowStoreKey(s('a'), 10, 0), value: s('1'), timestamp: 10 },
        { key: encodeWindowStoreKey(s('a'), 10, 0), value: s('3'), timestamp: 11 },
        { key: encodeWindowStoreKey(b(), 30, 0), value: s('empty'), timestamp: 30 }
      ])
      assert.deepEqual(show(store.all()), ['a@10=3', '@30=empty'])
    })

    it('iteration is safe while the store changes', () => {
      for (const t of [0, 10, 20]) store.put(s('a'), s(`v${t}`), t)
      const seen: string[] = []
      for (const entry of store.fetchAll(0, 100)) {
        seen.push(`${entry.windowStart}`)
        store.put(s('b'), s('new'), entry.windowStart)
        store.put(s('a'), null, entry.windowStart + 10)
      }
      assert.ok(seen.length >= 1 && seen[0] === '0')
      assert.deepEqual(show(store.fetchRange(s('b'), 0, 100)).length, seen.length)
    })

    it('throws STORE_CLOSED after close', () => {
      store.put(s('a'), s('1'), 0)
      store.put(s('a'), s('2'), 10)
      const iterator = store.all()[Symbol.iterator]()
      assert.equal(iterator.next().done, false)
      store.close()
      assertStoreClosed(() => iterator.next())
      assertStoreClosed(() => store.put(s('a'), s('1'), 0))
      assertStoreClosed(() => store.fetch(s('a'), 0))
      assertStoreClosed(() => store.fetchRange(s('a'), 0, 10))
      assertStoreClosed(() => store.backwardFetchRange(s('a'), 0, 10))
      assertStoreClosed(() => store.fetchKeyRange(null, null, 0, 10))
      assertStoreClosed(() => store.fetchAll(0, 10))
      assertStoreClosed(() => store.all())
      assertStoreClosed(() => store.flush())
    })

    describe('with retainDuplicates', () => {
      it('keeps every put in order, ignores null puts, and fetch(key, time) finds nothing', () => {
        open(true)
        assert.equal(store.retainDuplicates, true)
        store.put(s('a'), s('1'), 0)
        store.put(s('a'), s('2'), 0)
        store.put(s('b'), s('x'), 0)
        store.put(s('a'), null, 0)
        store.put(s('a'), s('3'), 0)
        store.put(s('a'), s('4'), 10)
        assert.deepEqual(show(store.fetchRange(s('a'), 0, 10)), ['a@0=1', 'a@0=2', 'a@0=3', 'a@10=4'])
        assert.deepEqual(show(store.backwardFetchRange(s('a'), 0, 10)), ['a@10=4', 'a@0=3', 'a@0=2', 'a@0=1'])
        assert.deepEqual(show(store.fetchAll(0, 0)), ['a@0=1', 'a@0=2', 'a@0=3', 'b@0=x'])
        assert.equal(store.fetch(s('a'), 0), undefined)
      })

      it('restores duplicates as separate entries and expires them with their window', () => {
        open(true)
        context.restore([
          { key: encodeWindowStoreKey(s('a'), 5, 1), value: s('1'), timestamp: 5 },
          { key: encodeWindowStoreKey(s('a'), 5, 2), value: s('2'), timestamp: 5 }
        ])
        assert.deepEqual(show(store.fetchRange(s('a'), 0, 10)), ['a@5=1', 'a@5=2'])
        store.put(s('a'), s('3'), 105)
        assert.deepEqual(show(store.fetchRange(s('a'), 0, 200)), ['a@105=3'])
      })
    })
  })
}
