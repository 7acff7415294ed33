import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { StreamsError } from '../../../src/errors.ts'
import {
  inMemoryKeyValue,
  inMemorySession,
  inMemoryWindow,
  persistentKeyValue
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

  it('reject bad names and durations', () => {
    assert.throws(() => inMemoryKeyValue(''), invalid)
    assert.throws(() => persistentKeyValue('../escape'), invalid)
    assert.throws(() => inMemoryWindow('w', 10, 100, false), invalid)
    assert.throws(() => inMemoryWindow('w', 100, 0, false), invalid)
    assert.throws(() => inMemorySession('s', -1), invalid)
  })
})
