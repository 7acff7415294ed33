import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { StreamsError } from '../../../src/errors.ts'
import {
  inMemoryKeyValue,
  inMemorySession,
  inMemoryWindow,
  persistentKeyValue,
  persistentSession,
  persistentWindow
} from '../../../src/state/internals/suppliers.ts'
import { newContext, removeStateDirs } from '../contract/store-fixture.ts'

const invalid = (e: unknown) => e instanceof StreamsError && e.code === 'CONFIG_INVALID'

describe('inner store suppliers', () => {
  after(removeStateDirs)

  it('give a new store per get(), with the supplier name and metrics scope', () => {
    const kv = inMemoryKeyValue('counts')
    assert.equal(kv.name, 'counts')
    assert.equal(kv.metricsScope, 'in-memory')
    const first = kv.get()
    assert.notEqual(first, kv.get())
    assert.equal(first.name, 'counts')
    assert.equal(first.persistent(), false)

    const lmdb = persistentKeyValue('ratings')
    assert.equal(lmdb.metricsScope, 'lmdb')
    const store = lmdb.get()
    assert.equal(store.persistent(), true)
    store.init(newContext(), store)
    store.put(Buffer.from('k'), Buffer.from('v'))
    assert.equal(store.get(Buffer.from('k'))?.toString(), 'v')
    store.close()
  })

  it('carry window and session settings', () => {
    const windows = inMemoryWindow('w', 86_400_000, 3_600_000, true)
    assert.deepEqual(
      [windows.retentionPeriod, windows.windowSize, windows.retainDuplicates],
      [86_400_000, 3_600_000, true]
    )
    assert.equal(windows.get().windowSize, 3_600_000)
    const sessions = inMemorySession('s', 1000)
    assert.equal(sessions.retentionPeriod, 1000)
    assert.equal(sessions.get().retentionPeriod, 1000)
  })

  it('give LMDB window and session stores', () => {
    const windows = persistentWindow('lw', 1000, 100, false)
    assert.equal(windows.metricsScope, 'lmdb-window')
    const w = windows.get()
    assert.equal(w.persistent(), true)
    w.init(newContext(), w)
    w.put(Buffer.from('k'), Buffer.from('v'), 5)
    assert.equal(w.fetch(Buffer.from('k'), 5)?.toString(), 'v')
    w.close()
    const sessions = persistentSession('ls', 1000)
    assert.equal(sessions.metricsScope, 'lmdb-session')
    const ss = sessions.get()
    ss.init(newContext(), ss)
    ss.put(Buffer.from('k'), 1, 2, Buffer.from('v'))
    assert.equal(ss.fetchSession(Buffer.from('k'), 1, 2)?.toString(), 'v')
    ss.close()
    assert.throws(() => persistentWindow('lw', 10, 100, false), invalid)
  })

  it('reject bad names and durations', () => {
    assert.throws(() => inMemoryKeyValue(''), invalid)
    assert.throws(() => persistentKeyValue('../escape'), invalid)
    assert.throws(() => inMemoryWindow('w', 10, 100, false), invalid)
    assert.throws(() => inMemoryWindow('w', 100, 0, false), invalid)
    assert.throws(() => inMemorySession('s', -1), invalid)
  })
})
