// ENGINE_MODE and ENGINE_NICE: the defaults, the accepted values, and one error naming the key for anything else.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { engineMode, engineNice } from '../../src/plugins/services.ts'

test('ENGINE_MODE: process by default, inline on request, anything else names the key', () => {
  assert.equal(engineMode({}), 'process')
  assert.equal(engineMode({ ENGINE_MODE: 'inline' }), 'inline')
  assert.equal(engineMode({ ENGINE_MODE: 'process' }), 'process')
  for (const bad of ['', 'thread', 'INLINE']) {
    assert.throws(
      () => engineMode({ ENGINE_MODE: bad }),
      (err: Error & { setting?: string }) =>
        err.setting === 'ENGINE_MODE' && /expected process or inline/.test(err.message)
    )
  }
})

test('ENGINE_NICE: 10 by default, 0 to 19 accepted, anything else names the key', () => {
  assert.equal(engineNice({}), 10)
  assert.equal(engineNice({ ENGINE_NICE: '0' }), 0)
  assert.equal(engineNice({ ENGINE_NICE: '19' }), 19)
  for (const bad of ['', '-1', '20', '1.5', 'low', ' 5']) {
    assert.throws(
      () => engineNice({ ENGINE_NICE: bad }),
      (err: Error & { setting?: string }) => err.setting === 'ENGINE_NICE' && /from 0 to 19/.test(err.message)
    )
  }
})
