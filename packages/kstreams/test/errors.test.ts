import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ErrorCodes, StreamsError } from '../src/index.ts'

test('docs/errors.md lists exactly the codes of ErrorCodes, with the same descriptions', () => {
  const doc = readFileSync(join(import.meta.dirname, '../../../docs/errors.md'), 'utf8')
  const rows = [...doc.matchAll(/^\|\s*`([A-Z_]+)`\s*\|\s*([^|]+?)\s*\|/gm)].map((m) => [m[1], (m[2] as string).trim()])
  assert.deepEqual(Object.fromEntries(rows), { ...ErrorCodes })
})

test('a StreamsError carries its code, cause and structured fields', () => {
  const cause = new Error('boom')
  const e = new StreamsError('PROCESSING', 'failed', { cause, taskId: '0_1', topic: 't', partition: 1, offset: '5' })
  assert.equal(e.code, 'PROCESSING')
  assert.equal(e.cause, cause)
  assert.equal(e.taskId, '0_1')
  assert.equal(e.partition, 1)
  assert.ok(e instanceof Error)
})
