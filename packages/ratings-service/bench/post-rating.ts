// POST /rating under load (autocannon, its own process) side by side with a bare Fastify route answering 202, in one
// run on the same machine. The service answers only after the broker's acks=all acknowledgement, so the ratio
// measures what durability costs. Usage: KAFKA_BOOTSTRAP=… SCHEMA_REGISTRY_URL=… node bench/post-rating.ts
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startService, stop } from './service-process.ts'

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50)
const AUTOCANNON = join(dirname(createRequire(import.meta.url).resolve('autocannon/package.json')), 'autocannon.js')
const BODY = JSON.stringify({ movieId: 362, rating: 8 })

// The baseline: Fastify with the same body limit and a JSON route that answers 202 without doing anything.
const BARE = `
import Fastify from 'fastify'
const app = Fastify({ logger: false, bodyLimit: 1024 })
app.post('/rating', async (_req, reply) => reply.code(202).send({ message: 'Accepted' }))
await app.listen({ host: '127.0.0.1', port: 0 })
process.stdout.write('listening on http://127.0.0.1:' + app.server.address().port + '/\\n')
`

async function startChild(args: string[], cwd?: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'] })
  const url = await new Promise<string>((resolve) => {
    child.stdout!.on('data', (d) => {
      const m = /listening on (\S+)/.exec(String(d))
      if (m) resolve(m[1]!)
    })
  })
  return { url, child }
}

interface Result {
  requests: { average: number }
  latency: { p50: number; p99: number; average: number }
  non2xx: number
  errors: number
  timeouts: number
}

async function load(url: string): Promise<Result> {
  const args = [
    AUTOCANNON,
    '-j',
    '-c',
    String(CONNECTIONS),
    '-d',
    String(DURATION_S),
    '-m',
    'POST',
    '-H',
    'content-type=application/json',
    '-b',
    BODY,
    new URL('/rating', url).href
  ]
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'ignore'] })
  let out = ''
  child.stdout.on('data', (d) => {
    out += String(d)
  })
  await new Promise((resolve) => child.once('exit', resolve))
  return JSON.parse(out) as Result
}

function row(name: string, r: Result): string {
  return `| ${name} | ${Math.round(r.requests.average)} | ${r.latency.p50} | ${r.latency.p99} | ${r.non2xx + r.errors + r.timeouts} |`
}

async function measure(url: string): Promise<Result> {
  await load(url) // warm-up, discarded
  return await load(url)
}

// One target at a time, so each has the machine to itself.
const bare = await startChild(['--input-type=module', '-e', BARE], dirname(AUTOCANNON))
const b = await measure(bare.url)
bare.child.kill('SIGTERM')
const httpOnly = await startChild([
  '--conditions=source',
  fileURLToPath(new URL('./http-path-server.ts', import.meta.url))
])
const h = await measure(httpOnly.url)
await stop(httpOnly.child)
const service = await startService()
let s: Result
try {
  s = await measure(service.url)
} finally {
  await stop(service.child)
}
console.log(`POST /rating, ${CONNECTIONS} connections, ${DURATION_S} s each, ${new Date().toISOString()}`)
console.log('| target | req/s | p50 ms | p99 ms | errors/non-2xx | ratio to bare |')
console.log('| --- | --- | --- | --- | --- | --- |')
for (const [name, r] of [
  ['bare Fastify 202', b],
  ['HTTP path: app + acks=all producer, no engine', h],
  ['ratings-service (engine + feed in the same process)', s]
] as const) {
  console.log(`${row(name, r)} ${(r.requests.average / b.requests.average).toFixed(2)} |`)
}
