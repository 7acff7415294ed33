import { test } from 'node:test'
import assert from 'node:assert/strict'
import { settlesWithin } from '../../src/internals/settles-within.ts'

test('settlesWithin: true for a promise that resolves in time, false when the time runs out first', async () => {
  assert.equal(await settlesWithin(Promise.resolve('x'), 1000), true)
  let resolveLate!: () => void
  const late = new Promise<void>((resolve) => {
    resolveLate = resolve
  })
  assert.equal(await settlesWithin(late, 20), false)
  resolveLate()
  assert.equal(await settlesWithin(late, 20), true, 'the same promise, once resolved')
})

test('settlesWithin: a rejection in time is passed on', async () => {
  await assert.rejects(settlesWithin(Promise.reject(new Error('boom')), 1000), /boom/)
})
