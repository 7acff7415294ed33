// A StateStoreContext stand-in for store tests: a fresh state directory and a handle on the restore callback.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { StreamsError } from '../../../src/errors.ts'
import type { RestoreCallback, StateStore, StateStoreContext } from '../../../src/state/state-store.ts'

export interface FixtureContext extends StateStoreContext {
  readonly registered: Array<{ store: StateStore; restore: RestoreCallback }>
  /** The restore callback the store registered during init. */
  restore: RestoreCallback
}

const dirs: string[] = []

export function newStateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kstreams-state-'))
  dirs.push(dir)
  return dir
}

/** Removes every directory made by {@link newStateDir}; call from an `after` hook. */
export function removeStateDirs(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
}

export function newContext(stateDir: string = newStateDir()): FixtureContext {
  const registered: Array<{ store: StateStore; restore: RestoreCallback }> = []
  return {
    applicationId: 'contract-app',
    taskId: '0_0',
    stateDir,
    registered,
    register(store: StateStore, restore: RestoreCallback): void {
      registered.push({ store, restore })
    },
    restore(batch) {
      assert.equal(registered.length, 1, 'the store registers exactly once in init')
      registered[0].restore(batch)
    }
  }
}

export function b(...bytes: number[]): Buffer {
  return Buffer.from(bytes)
}

export function s(text: string): Buffer {
  return Buffer.from(text, 'utf8')
}

export function assertStoreClosed(fn: () => unknown): void {
  assert.throws(fn, (error: unknown) => error instanceof StreamsError && error.code === 'STORE_CLOSED')
}
