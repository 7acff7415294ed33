// POST-to-WebSocket latency: the time from sending POST /rating until the socket receives the new average (the
// rating went through the producer, the ratings topic, the aggregate and its record cache, flushed by the commit after
// the poll, the stats topic and the feed). Sequential samples on the local broker, at-least-once. Usage:
// KAFKA_BOOTSTRAP=… SCHEMA_REGISTRY_URL=… node bench/ws-latency.ts
import { loadavg } from 'node:os'
import WebSocket from 'ws'
import { engineMode, engineNice } from '../src/plugins/services.ts'
import { percentile, startService, stop } from './service-process.ts'

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 500)
const WARMUP = 20
const MOVIES = [362, 363, 364]

const { url, child } = await startService()
try {
  const ws = new WebSocket(url.replace(/^http/, 'ws') + 'kafka')
  const waiters = new Map<string, () => void>()
  ws.on('message', (data) => {
    const m = JSON.parse(String(data)) as { movieId: number; count: number }
    waiters.get(`${m.movieId}:${m.count}`)?.()
  })
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject))
  const counts = new Map<number, number>()
  const latencies: number[] = []
  for (let i = 0; i < SAMPLES + WARMUP; i++) {
    const movieId = MOVIES[i % MOVIES.length]!
    const count = (counts.get(movieId) ?? 0) + 1
    counts.set(movieId, count)
    const seen = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no update for ${movieId}:${count} within 10 s`)), 10_000)
      waiters.set(`${movieId}:${count}`, () => {
        clearTimeout(timer)
        resolve()
      })
    })
    const started = performance.now()
    const res = await fetch(new URL('/rating', url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ movieId, rating: 1 + (i % 10) })
    })
    if (res.status !== 202) throw new Error(`POST answered ${res.status}`)
    await seen
    if (i >= WARMUP) latencies.push(performance.now() - started)
  }
  ws.close()
  latencies.sort((a, b) => a - b)
  const f = (n: number): string => n.toFixed(1)
  console.log(
    `POST -> WebSocket update, ${SAMPLES} sequential samples (after ${WARMUP} warm-up), at-least-once, engine ${engineMode()}${engineMode() === 'process' ? ` (ENGINE_NICE=${engineNice()})` : ''}, ${new Date().toISOString()}, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`
  )
  console.log(
    `p50 ${f(percentile(latencies, 50))} ms, p90 ${f(percentile(latencies, 90))} ms, p99 ${f(percentile(latencies, 99))} ms, max ${f(latencies.at(-1)!)} ms (goal p99 <= 50 ms)`
  )
} finally {
  await stop(child)
}
