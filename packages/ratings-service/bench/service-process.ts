// Starts src/server.ts as its own process on fresh topics (as in production: one process, its own event loop) and
// resolves once it is ready. Shared by the benchmarks.
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { randomUUID } from 'node:crypto'
import { rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const SERVER = fileURLToPath(new URL('../src/server.ts', import.meta.url))

export function required(name: string): string {
  const v = process.env[name]
  if (v === undefined || v === '') throw new Error(`${name} is not set (start infra/kafka.sh and infra/registry.sh)`)
  return v
}

export async function startService(
  extraEnv: Record<string, string> = {}
): Promise<{ url: string; child: ChildProcess }> {
  const id = randomUUID().slice(0, 8)
  const child = spawn(process.execPath, ['--conditions=source', SERVER], {
    env: {
      ...process.env,
      KAFKA_BOOTSTRAP: required('KAFKA_BOOTSTRAP'),
      SCHEMA_REGISTRY_URL: required('SCHEMA_REGISTRY_URL'),
      PORT: '0',
      HOST: '127.0.0.1',
      // The default level: as the service runs (requests that succeed are logged at debug only).
      LOG_LEVEL: 'info',
      APPLICATION_ID: `ratings-bench-${id}`,
      RATINGS_TOPIC: `bench-ratings-${id}`,
      RATING_AVERAGES_TOPIC: `bench-rating-averages-${id}`,
      RATING_STATS_TOPIC: `bench-rating-stats-${id}`,
      STATE_DIR: `/tmp/ratings-bench-${id}`,
      TOPIC_REPLICATION_FACTOR: '1',
      ...extraEnv
    },
    stdio: ['ignore', 'pipe', 'inherit']
  })
  // The engine's state directory is of no use after the run.
  child.once('exit', () => rmSync(`/tmp/ratings-bench-${id}`, { recursive: true, force: true }))
  let out = ''
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += String(d)
      const m = /listening on (http:\/\/\S+)/.exec(out)
      if (m) resolve(m[1]!.replace('localhost', '127.0.0.1'))
    })
    child.once('exit', (code) => reject(new Error(`service exited ${code}`)))
  })
  const deadline = Date.now() + 60_000
  while ((await fetch(new URL('/health', url))).status !== 200) {
    if (Date.now() > deadline) throw new Error('service not ready after 60 s')
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return { url, child }
}

export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  await exited
}

/** Listens on a free local port, prints the line startChild() waits for, and closes the app on SIGTERM. */
export async function serveForBench(app: FastifyInstance): Promise<void> {
  await app.listen({ host: '127.0.0.1', port: 0 })
  process.stdout.write(`listening on http://127.0.0.1:${(app.server.address() as AddressInfo).port}/\n`)
  process.on('SIGTERM', () => {
    app.close().then(
      () => process.exit(0),
      () => process.exit(1)
    )
  })
}

export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
}
