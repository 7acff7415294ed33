import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { LmdbSessionBytesStore } from '../../../src/state/internals/lmdb-session-bytes-store.ts'
import { newContext, newStateDir, removeStateDirs, s } from '../contract/store-fixture.ts'
import { sessionBytesStoreContract } from '../contract/session-contract.ts'

sessionBytesStoreContract('LmdbSessionBytesStore', (name, retention) => new LmdbSessionBytesStore(name, retention))

describe('LmdbSessionBytesStore persistence', () => {
  after(removeStateDirs)

  it('keeps sessions and observed stream time across reopen', () => {
    const stateDir = newStateDir()
    const first = new LmdbSessionBytesStore('sessions', 600_000)
    first.init(newContext(stateDir), first)
    first.put(s('a'), 0, 1000, s('early'))
    first.put(s('a'), 500_000, 550_000, s('late'))
    first.close()

    const second = new LmdbSessionBytesStore('sessions', 600_000)
    second.init(newContext(stateDir), second)
    assert.deepEqual(
      [...second.fetch(s('a'))].map((e) => e.value.toString()),
      ['early', 'late']
    )
    second.put(s('b'), 601_000, 601_000, s('now')) // observed 601_000: end 1000 <= 1000 expires
    assert.equal(second.fetchSession(s('a'), 0, 1000), undefined)
    second.close()
  })
})
