import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { StreamsError } from '../../../src/errors.ts'
import { LmdbKeyValueBytesStore } from '../../../src/state/internals/lmdb-key-value-bytes-store.ts'
import { keyValueBytesStoreContract } from '../contract/key-value-contract.ts'
import { b, newContext, newStateDir, removeStateDirs, s } from '../contract/store-fixture.ts'

keyValueBytesStoreContract('LmdbKeyValueBytesStore', (name) => new LmdbKeyValueBytesStore(name))

describe('LmdbKeyValueBytesStore persistence', () => {
  after(removeStateDirs)

  it('is persistent, lives in <stateDir>/<name>, and keeps its data across close and reopen', () => {
    const stateDir = newStateDir()
    const first = new LmdbKeyValueBytesStore('ratings')
    assert.equal(first.persistent(), true)
    first.init(newContext(stateDir), first)
    assert.ok(existsSync(join(stateDir, 'ratings')))
    first.put(s('362'), s('9.0'))
    first.put(b(), s('empty key'))
    first.flush()
    first.close()

    const second = new LmdbKeyValueBytesStore('ratings')
    second.init(newContext(stateDir), second)
    assert.equal(second.get(s('362'))?.toString(), '9.0')
    assert.equal(second.get(b())?.toString(), 'empty key')
    assert.equal(second.approximateNumEntries(), 2)
    second.close()
  })

  it('returns values that stay valid after later reads and writes', () => {
    const store = new LmdbKeyValueBytesStore('copies')
    store.init(newContext(), store)
    store.put(s('a'), s('first'))
    store.put(s('b'), s('second'))
    const a = store.get(s('a'))
    const listed = [...store.all()]
    store.put(s('a'), s('changed'))
    store.get(s('b'))
    assert.equal(a?.toString(), 'first')
    assert.deepEqual(
      listed.map((e) => e.value.toString()),
      ['first', 'second']
    )
    store.close()
  })

  it('refuses oversized keys with STORE_INVALID_OPERATION', () => {
    const store = new LmdbKeyValueBytesStore('big-keys')
    store.init(newContext(), store)
    assert.throws(
      () => store.put(Buffer.alloc(5000, 1), s('v')),
      (e: unknown) => e instanceof StreamsError && e.code === 'STORE_INVALID_OPERATION'
    )
    store.close()
  })
})
