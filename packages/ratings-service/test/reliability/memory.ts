// Heap and RSS measurement for the reliability tests: a forced full GC before each reading, so that what is compared
// is live memory, not garbage that has not been collected yet. `gc` is taken from V8 at run time, so the tests do not
// need node --expose-gc (npm test runs them without it).
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as (options?: { type: 'major'; execution: 'sync' }) => void

export interface MemoryReading {
  readonly heapUsed: number
  /** Memory of Buffers and other objects outside the V8 heap (socket write queues are here). */
  readonly external: number
  readonly rss: number
}

/** Live memory after full garbage collections (twice: the first run's finalizers free more for the second). */
export function liveMemory(): MemoryReading {
  gc()
  gc()
  const { heapUsed, external, rss } = process.memoryUsage()
  return { heapUsed, external, rss }
}

export function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`
}
