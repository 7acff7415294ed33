// Suppliers of the inner (bytes) stores; the public `Stores` factory wraps them in the layered stacks.
import type {
  KeyValueBytesStoreSupplier,
  SessionBytesStoreSupplier,
  WindowBytesStoreSupplier
} from '../store-supplier.ts'
import { StreamsError } from '../../errors.ts'
import { InMemoryKeyValueBytesStore } from './in-memory-key-value-bytes-store.ts'
import { InMemorySessionBytesStore } from './in-memory-session-bytes-store.ts'
import { InMemoryWindowBytesStore } from './in-memory-window-bytes-store.ts'
import { LmdbKeyValueBytesStore } from './lmdb-key-value-bytes-store.ts'
import { LmdbSessionBytesStore } from './lmdb-session-bytes-store.ts'
import { LmdbWindowBytesStore } from './lmdb-window-bytes-store.ts'

function checkName(name: string): void {
  // The name becomes a directory and part of a topic name.
  if (typeof name !== 'string' || !/^[a-zA-Z0-9._-]+$/.test(name)) {
    throw new StreamsError(
      'CONFIG_INVALID',
      `Store name ${JSON.stringify(name)} must be non-empty and use only [a-zA-Z0-9._-]`
    )
  }
}

function checkDuration(what: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new StreamsError('CONFIG_INVALID', `${what} must be an integer number of ms >= ${min}, got ${value}`)
  }
}

/** Ordered in-memory key-value store (metrics scope `in-memory`). */
export function inMemoryKeyValue(name: string): KeyValueBytesStoreSupplier {
  checkName(name)
  return { name, metricsScope: 'in-memory', get: () => new InMemoryKeyValueBytesStore(name) }
}

/** Persistent key-value store on LMDB under `<stateDir>/<name>` (metrics scope `lmdb`). */
export function persistentKeyValue(name: string): KeyValueBytesStoreSupplier {
  checkName(name)
  return { name, metricsScope: 'lmdb', get: () => new LmdbKeyValueBytesStore(name) }
}

function checkWindow(name: string, retentionPeriod: number, windowSize: number): void {
  checkName(name)
  checkDuration('Window size', windowSize, 1)
  checkDuration('Retention period', retentionPeriod, 0)
  if (retentionPeriod < windowSize) {
    throw new StreamsError(
      'CONFIG_INVALID',
      `Retention period (${retentionPeriod} ms) of window store ${name} must be >= its window size (${windowSize} ms)`
    )
  }
}

/** In-memory window store (metrics scope `in-memory-window`); retention must cover at least one window. */
export function inMemoryWindow(
  name: string,
  retentionPeriod: number,
  windowSize: number,
  retainDuplicates: boolean
): WindowBytesStoreSupplier {
  checkWindow(name, retentionPeriod, windowSize)
  return {
    name,
    metricsScope: 'in-memory-window',
    retentionPeriod,
    windowSize,
    retainDuplicates,
    get: () => new InMemoryWindowBytesStore(name, retentionPeriod, windowSize, retainDuplicates)
  }
}

/** Persistent window store on LMDB under `<stateDir>/<name>` (metrics scope `lmdb-window`). */
export function persistentWindow(
  name: string,
  retentionPeriod: number,
  windowSize: number,
  retainDuplicates: boolean
): WindowBytesStoreSupplier {
  checkWindow(name, retentionPeriod, windowSize)
  return {
    name,
    metricsScope: 'lmdb-window',
    retentionPeriod,
    windowSize,
    retainDuplicates,
    get: () => new LmdbWindowBytesStore(name, retentionPeriod, windowSize, retainDuplicates)
  }
}

/** In-memory session store (metrics scope `in-memory-session`). */
export function inMemorySession(name: string, retentionPeriod: number): SessionBytesStoreSupplier {
  checkName(name)
  checkDuration('Retention period', retentionPeriod, 0)
  return {
    name,
    metricsScope: 'in-memory-session',
    retentionPeriod,
    get: () => new InMemorySessionBytesStore(name, retentionPeriod)
  }
}

/** Persistent session store on LMDB under `<stateDir>/<name>` (metrics scope `lmdb-session`). */
export function persistentSession(name: string, retentionPeriod: number): SessionBytesStoreSupplier {
  checkName(name)
  checkDuration('Retention period', retentionPeriod, 0)
  return {
    name,
    metricsScope: 'lmdb-session',
    retentionPeriod,
    get: () => new LmdbSessionBytesStore(name, retentionPeriod)
  }
}
