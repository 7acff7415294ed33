// The contract every SessionBytesStore implementation passes (retention on session end, as Kafka Streams).
import assert from 'node:assert/strict'
import { after, beforeEach, describe, it } from 'node:test'
import type { SessionBytesEntry, SessionBytesStore } from '../../../src/state/internals/bytes-store.ts'
import { encodeSessionStoreKey } from '../../../src/state/internals/window-key-schema.ts'
import { assertStoreClosed, b, newContext, removeStateDirs, s, type FixtureContext } from './store-fixture.ts'

export type SessionStoreFactory = (name: string, retentionPeriod: number) => SessionBytesStore

function show(entries: Iterable<SessionBytesEntry>): string[] {
  return [...entries].map((e) => `${e.key.toString('utf8')}[${e.start},${e.end}]=${e.value.toString('utf8')}`)
}

export function sessionBytesStoreContract(implementation: string, factory: SessionStoreFactory): void {
  const RETENTION = 100

  describe(`SessionBytesStore contract: ${implementation}`, () => {
    let store: SessionBytesStore
    let context: FixtureContext

    function open(): void {
      if (store?.isOpen()) store.close()
      store = factory('session-contract', RETENTION)
      context = newContext()
      store.init(context, store)
    }

    beforeEach(open)
    after(() => {
      if (store?.isOpen()) store.close()
      removeStateDirs()
    })

    it('reports its retention and registers on init', () => {
      assert.equal(store.retentionPeriod, RETENTION)
      assert.equal(context.registered.length, 1)
    })

    it('puts, fetches, overwrites and removes sessions', () => {
      store.put(s('a'), 0, 10, s('1'))
      store.put(s('a'), 0, 10, s('2'))
      store.put(s('a'), 20, 30, s('3'))
      assert.equal(store.fetchSession(s('a'), 0, 10)?.toString(), '2')
      assert.equal(store.fetchSession(s('a'), 0, 11), undefined)
      assert.equal(store.fetchSession(s('b'), 0, 10), undefined)
      store.remove(s('a'), 0, 10)
      assert.equal(store.fetchSession(s('a'), 0, 10), undefined)
      store.put(s('a'), 20, 30, null)
      assert.deepEqual(show(store.all()), [])
    })

    it('fetch(key) returns every session of the key, ascending by end then start', () => {
      store.put(s('a'), 50, 60, s('3'))
      store.put(s('a'), 0, 10, s('1'))
      store.put(s('a'), 5, 10, s('2'))
      store.put(s('b'), 0, 10, s('other'))
      store.put(s('a\u0000'), 0, 10, s('neighbour'))
      assert.deepEqual(show(store.fetch(s('a'))), ['a[0,10]=1', 'a[5,10]=2', 'a[50,60]=3'])
    })

    it('findSessions selects end >= earliestEnd and start <= latestStart', () => {
      store.put(s('a'), 0, 10, s('s1'))
      store.put(s('a'), 20, 30, s('s2'))
      store.put(s('a'), 40, 50, s('s3'))
      store.put(s('b'), 20, 30, s('other'))
      assert.deepEqual(show(store.findSessions(s('a'), 10, 40)), ['a[0,10]=s1', 'a[20,30]=s2', 'a[40,50]=s3'])
      assert.deepEqual(show(store.findSessions(s('a'), 11, 39)), ['a[20,30]=s2'])
      assert.deepEqual(show(store.findSessions(s('a'), 25, 25)), ['a[20,30]=s2'])
      assert.deepEqual(show(store.findSessions(s('a'), 31, 39)), [])
      assert.deepEqual(show(store.backwardFindSessions(s('a'), 0, 100)), ['a[40,50]=s3', 'a[20,30]=s2', 'a[0,10]=s1'])
    })

    it('findSessionsRange orders by end, then key bytes, then start', () => {
      store.put(s('c'), 0, 10, s('c'))
      store.put(s('a'), 5, 20, s('a20'))
      store.put(s('b'), 0, 10, s('b'))
      store.put(b(0xff), 0, 10, s('ff'))
      store.put(s('a'), 0, 10, s('a10'))
      assert.deepEqual(show(store.findSessionsRange(null, null, 0, 100)), [
        'a[0,10]=a10',
        'b[0,10]=b',
        'c[0,10]=c',
        '\ufffd[0,10]=ff',
        'a[5,20]=a20'
      ])
      assert.deepEqual(show(store.findSessionsRange(s('b'), s('c'), 0, 100)), ['b[0,10]=b', 'c[0,10]=c'])
      assert.deepEqual(show(store.findSessionsRange(s('a'), s('a'), 15, 100)), ['a[5,20]=a20'])
      assert.deepEqual(show(store.findSessionsRange(s('c'), s('a'), 0, 100)), [])
    })

    it('drops sessions whose end is at or before observed stream time - retention', () => {
      store.put(s('a'), 0, 10, s('old'))
      store.put(s('a'), 150, 200, s('now')) // observed 200: ends <= 100 expired
      store.put(s('b'), 90, 100, s('expired'))
      store.put(s('c'), 95, 101, s('live'))
      assert.equal(store.fetchSession(s('a'), 0, 10), undefined)
      assert.equal(store.fetchSession(s('b'), 90, 100), undefined)
      assert.equal(store.fetchSession(s('c'), 95, 101)?.toString(), 'live')
      assert.deepEqual(show(store.all()), ['c[95,101]=live', 'a[150,200]=now'])
      assert.deepEqual(show(store.findSessions(s('a'), 0, 1000)), ['a[150,200]=now'])
    })

    it('restores changelog records keyed [key][end][start], null removing', () => {
      context.restore([
        { key: encodeSessionStoreKey(s('a'), 0, 10), value: s('1'), timestamp: 10 },
        { key: encodeSessionStoreKey(s('a'), 20, 30), value: s('2'), timestamp: 30 },
        { key: encodeSessionStoreKey(s('a'), 0, 10), value: null, timestamp: 31 },
        { key: encodeSessionStoreKey(b(), 5, 40), value: s('empty'), timestamp: 40 }
      ])
      assert.deepEqual(show(store.all()), ['a[20,30]=2', '[5,40]=empty'])
    })

    it('iteration is safe while the store changes', () => {
      for (const end of [10, 20, 30]) store.put(s('a'), end - 5, end, s(`v${end}`))
      let count = 0
      for (const session of store.fetch(s('a'))) {
        count++
        store.put(s('a'), session.start, session.end, s('merged'))
        store.remove(s('a'), session.start + 10, session.end + 10)
      }
      assert.ok(count >= 1)
      assert.equal(store.fetchSession(s('a'), 5, 10)?.toString(), 'merged')
    })

    it('throws STORE_CLOSED after close', () => {
      store.put(s('a'), 0, 10, s('1'))
      store.put(s('a'), 20, 30, s('2'))
      const iterator = store.findSessionsRange(null, null, 0, 100)[Symbol.iterator]()
      assert.equal(iterator.next().done, false)
      store.close()
      assertStoreClosed(() => iterator.next())
      assertStoreClosed(() => store.put(s('a'), 0, 10, s('1')))
      assertStoreClosed(() => store.remove(s('a'), 0, 10))
      assertStoreClosed(() => store.fetchSession(s('a'), 0, 10))
      assertStoreClosed(() => store.findSessions(s('a'), 0, 10))
      assertStoreClosed(() => store.backwardFindSessions(s('a'), 0, 10))
      assertStoreClosed(() => store.findSessionsRange(null, null, 0, 10))
      assertStoreClosed(() => store.fetch(s('a')))
      assertStoreClosed(() => store.all())
      assertStoreClosed(() => store.flush())
    })
  })
}
