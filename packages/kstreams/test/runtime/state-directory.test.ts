import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { StateDirectory } from '../../src/runtime/internals/state-directory.ts'

const fresh = (): string => mkdtempSync(join(tmpdir(), 'kstreams-statedir-'))

test('StateDirectory: one lock per folder in a process; the process id survives unlock and a new lock', () => {
  const root = fresh()
  const a = new StateDirectory(root, 'app', true)
  const id = a.lock()
  assert.match(id, /^[0-9a-f-]{36}$/)
  assert.throws(() => new StateDirectory(root, 'app', true).lock(), { code: 'ILLEGAL_STATE' })
  a.unlock()
  const b = new StateDirectory(root, 'app', true)
  assert.equal(b.lock(), id, 'a restarted instance keeps its transactional.id')
  b.unlock()
  assert.notEqual(new StateDirectory(root, 'other-app', true).lock(), id)
})

test('StateDirectory: under exactly-once a task folder without checkpoint is wiped, one with a checkpoint kept', () => {
  const dirs = new StateDirectory(fresh(), 'app', true)
  const dir = dirs.prepareTaskDir('0_1')
  writeFileSync(join(dir, 'store-data'), 'uncommitted writes')
  assert.deepEqual(readdirSync(dirs.prepareTaskDir('0_1')), [], 'no checkpoint: wiped')
  writeFileSync(join(dir, 'store-data'), 'committed writes')
  dirs.writeCheckpoint('0_1', { 'app-s-changelog': 7 })
  assert.ok(existsSync(join(dirs.prepareTaskDir('0_1'), 'store-data')), 'checkpoint: kept')
})

test('StateDirectory: at-least-once keeps a task folder without checkpoint', () => {
  const dirs = new StateDirectory(fresh(), 'app', false)
  writeFileSync(join(dirs.prepareTaskDir('1_0'), 'store-data'), 'x')
  assert.ok(existsSync(join(dirs.prepareTaskDir('1_0'), 'store-data')))
})

test('StateDirectory: a checkpoint is read once (then deleted), and written without a temporary file left over', () => {
  const dirs = new StateDirectory(fresh(), 'app', true)
  assert.deepEqual(dirs.takeCheckpoint('0_0'), {}, 'none yet')
  dirs.writeCheckpoint('0_0', { 'app-a-changelog': 3, 'app-b-changelog': 0 })
  assert.deepEqual(readdirSync(dirs.taskDir('0_0')), ['.checkpoint'])
  assert.deepEqual(dirs.takeCheckpoint('0_0'), { 'app-a-changelog': 3, 'app-b-changelog': 0 })
  assert.deepEqual(dirs.takeCheckpoint('0_0'), {}, 'valid for one start only')
})

test('StateDirectory: an unreadable checkpoint counts as none', () => {
  const dirs = new StateDirectory(fresh(), 'app', true)
  writeFileSync(join(dirs.prepareTaskDir('0_0'), '.checkpoint'), '{"truncated":')
  assert.deepEqual(dirs.takeCheckpoint('0_0'), {})
})
