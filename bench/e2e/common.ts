// Shared by the end-to-end benchmark's orchestrator and its child processes: the input data, the expected averages,
// the child protocol (one JSON line per event on stdout) and /proc readings.
import { readFileSync } from 'node:fs'

export interface Rating {
  movieId: number
  rating: number
}

export const MOVIES = 1000

/**
 * Rating i of a run: movies cycle with a stride so every partition sees every movie's ratings interleaved, and
 * ratings are halves (1.0…10.0), whose sums are exact in doubles whatever the order of addition.
 */
export function rating(i: number): Rating {
  return { movieId: 1 + ((i * 7919) % MOVIES), rating: 1 + ((i * 31) % 19) * 0.5 }
}

/** Final average per movie after ratings 0…n-1, computed as Java would (double sum / long count). */
export function expectedAverages(n: number): Map<number, number> {
  const count = new Map<number, number>()
  const sum = new Map<number, number>()
  for (let i = 0; i < n; i++) {
    const r = rating(i)
    count.set(r.movieId, (count.get(r.movieId) ?? 0) + 1)
    sum.set(r.movieId, (sum.get(r.movieId) ?? 0) + r.rating)
  }
  const out = new Map<number, number>()
  for (const [movie, c] of count) out.set(movie, (sum.get(movie) as number) / c)
  return out
}

/** Events a child prints on stdout, one JSON object per line. */
export type ChildEvent =
  | { event: 'started'; at: number }
  | { event: 'processed'; at: number; records: number }
  | { event: 'error'; message: string }

export function emit(e: ChildEvent): void {
  process.stdout.write(JSON.stringify(e) + '\n')
}

/** Peak resident memory (VmHWM) and CPU seconds (user + system) of a live process, from /proc. */
export function procStats(pid: number): { peakRssMb: number; cpuSeconds: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const hwm = /VmHWM:\s+(\d+) kB/.exec(status)
    // Fields after the command name (which may hold spaces, hence the last ')'): utime is the 12th, stime the 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const ticks = Number(fields[11]) + Number(fields[12])
    return { peakRssMb: Math.round(Number(hwm?.[1] ?? 0) / 1024), cpuSeconds: ticks / 100 }
  } catch {
    return undefined
  }
}
