// The suppress buffer's changelog: what a flush logs, and that a new buffer restored from it evicts the same
// entries in the same order (key, change, prior value, record context).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Serdes } from '../../../src/index.ts'
import { Change } from '../../../src/dsl/internals/change.ts'
import { SuppressBuffer } from '../../../src/dsl/internals/ktable-suppress.ts'
import type { RestoreCallback, StateStore } from '../../../src/state/state-store.ts'
import type { RecordContext } from '../../../src/state/internals/internal-store-context.ts'

interface Logged {
  key: Buffer
  value: Buffer | null
  timestamp: number
}

function context(log: Logged[], onRegister: (restore: RestoreCallback) => void = () => {}): never {
  const rc: RecordContext = { timestamp: 99, topic: 't', partition: 0, offset: 7, headers: [] }
  return {
    applicationId: 'app',
    taskId: '0_0',
    stateDir: '/tmp',
    cache: null,
    register: (_store: StateStore, restore: RestoreCallback) => onRegister(restore),
    recordContext: () => rc,
    setRecordContext: () => {},
    changelogFor: (name: string) => `app-${name}-changelog`,
    logChange: (_name: string, key: Buffer, value: Buffer | null, timestamp: number) =>
      log.push({ key, value, timestamp })
  } as never
}

const ctx = (timestamp: number): RecordContext => ({
  timestamp,
  topic: 'in',
  partition: 0,
  offset: timestamp,
  headers: [{ key: 'h', value: Buffer.from('v') }]
})

function drain(buffer: SuppressBuffer): unknown[] {
  const out: unknown[] = []
  buffer.evictWhile(
    () => true,
    (key, change, rc) => out.push([key, change.newValue, change.oldValue, rc.timestamp, rc.headers.length])
  )
  return out
}

test('a flush logs buffered keys and tombstones for evicted ones; a restored buffer evicts the same entries', () => {
  const log: Logged[] = []
  const buffer = new SuppressBuffer('b', Serdes.String() as never, Serdes.Long() as never, true)
  buffer.init(context(log), buffer)
  buffer.put(10, 'b', new Change(1n, null), ctx(1))
  buffer.put(10, 'a', new Change(1n, null), ctx(2))
  buffer.put(5, 'c', new Change(1n, null), ctx(3))
  buffer.put(20, 'a', new Change(2n, 1n), ctx(4))
  buffer.flush()
  assert.equal(log.length, 3)
  buffer.evictWhile(
    () => buffer.minTimestamp <= 5,
    () => {}
  )
  buffer.flush()
  assert.deepEqual(
    log.slice(3).map((l) => [l.key.toString(), l.value]),
    [['c', null]]
  )

  let restore: RestoreCallback = () => {}
  const restored = new SuppressBuffer('b', Serdes.String() as never, Serdes.Long() as never, true)
  restored.init(
    context([], (r) => {
      restore = r
    }),
    restored
  )
  restore(log.map((l) => ({ key: l.key, value: l.value, timestamp: l.timestamp })))
  // 'a' keeps the time of its first update (10) and its prior value; ties are ordered by key bytes.
  assert.equal(restored.priorValueForBuffered('a')?.value, null)
  assert.deepEqual(drain(restored), [
    ['a', 2n, 1n, 4, 1],
    ['b', 1n, null, 1, 1]
  ])
})

test('without logging nothing is written', () => {
  const log: Logged[] = []
  const buffer = new SuppressBuffer('b', Serdes.String() as never, Serdes.Long() as never, false)
  buffer.init(context(log), buffer)
  buffer.put(1, 'a', new Change(1n, null), ctx(1))
  buffer.flush()
  assert.deepEqual(log, [])
  assert.deepEqual(drain(buffer), [['a', 1n, null, 1, 1]])
})
