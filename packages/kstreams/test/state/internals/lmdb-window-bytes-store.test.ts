import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { LmdbWindowBytesStore } from '../../../src/state/internals/lmdb-window-bytes-store.ts'
import { newContext, newStateDir, removeStateDirs, s } from '../contract/store-fixture.ts'
import { windowBytesStoreContract } from '../contract/window-contract.ts'

windowBytesStoreContract(
  'LmdbWindowBytesStore',
  (name, retention, windowSize, retainDuplicates) =>
    new LmdbWindowBytesStore(name, retention, windowSize, retainDuplicates)
)

describe('LmdbWindowBytesStore persistence and segments', () => {
  after(removeStateDirs)

  it('keeps windows and observed stream time across reopen', () => {
    const stateDir = newStateDir()
    const first = new LmdbWindowBytesStore('windows', 3_600_000, 60_000, false)
    first.init(newContext(stateDir), first)
    first.put(s('a'), s('old'), 0)
    first.put(s('a'), s('new'), 3_000_000)
    first.flush()
    first.close()

    const second = new LmdbWindowBytesStore('windows', 3_600_000, 60_000, false)
    second.init(newContext(stateDir), second)
    assert.equal(second.fetch(s('a'), 0)?.toString(), 'old')
    // Observed stream time (3_000_000) was recovered: window 0 expires once time passes 3_600_000.
    second.put(s('b'), s('x'), 3_600_000)
    assert.equal(second.fetch(s('a'), 0), undefined)
    assert.deepEqual(
      [...second.fetchAll(0, 10_000_000)].map((e) => e.windowStart),
      [3_000_000, 3_600_000]
    )
    second.close()
  })

  it('drops whole expired segments from disk', () => {
    const store = new LmdbWindowBytesStore('segments', 120_000, 1000, false)
    const context = newContext()
    store.init(context, store)
    for (let t = 0; t < 600_000; t += 1000) store.put(s('k'), s(String(t)), t)
    const live = [...store.fetchRange(s('k'), 0, 600_000)]
    assert.equal(live.length, 120)
    assert.equal(live[0].windowStart, 480_000)
    store.close()
  })

  it('keeps duplicate sequence numbers unique across reopen', () => {
    const stateDir = newStateDir()
    const first = new LmdbWindowBytesStore('dups', 100_000, 1000, true)
    first.init(newContext(stateDir), first)
    first.put(s('a'), s('1'), 10)
    first.put(s('a'), s('2'), 10)
    first.close()
    const second = new LmdbWindowBytesStore('dups', 100_000, 1000, true)
    second.init(newContext(stateDir), second)
    second.put(s('a'), s('3'), 10)
    assert.deepEqual(
      [...second.fetchRange(s('a'), 0, 100)].map((e) => e.value.toString()),
      ['1', '2', '3']
    )
    second.close()
  })
})
