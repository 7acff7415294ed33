// Micro-benchmark of the inner stores and the hot-path serdes, one core, in-process.
// Run: node --conditions=source bench/stores.bench.ts [--quick]
import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { jsonSchemaSerde } from '../packages/kstreams/src/serdes/json-schema-serde.ts'
import { Serdes } from '../packages/kstreams/src/serdes/serdes.ts'
import { InMemoryKeyValueBytesStore } from '../packages/kstreams/src/state/internals/in-memory-key-value-bytes-store.ts'
import { InMemoryWindowBytesStore } from '../packages/kstreams/src/state/internals/in-memory-window-bytes-store.ts'
import { LmdbKeyValueBytesStore } from '../packages/kstreams/src/state/internals/lmdb-key-value-bytes-store.ts'
import type { StateStore, StateStoreContext } from '../packages/kstreams/src/state/state-store.ts'

const quick = process.argv.includes('--quick')
const scale = quick ? 0.1 : 1

interface Result {
  name: string
  ops: number
  seconds: number
}

const results: Result[] = []
// Keeps results observable so the JIT cannot drop the measured work.
let sink = 0

function bench(name: string, ops: number, body: (n: number) => void): void {
  const n = Math.max(1000, Math.round(ops * scale))
  body(Math.min(n, 50_000)) // warm-up
  const started = process.hrtime.bigint()
  body(n)
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  results.push({ name, ops: n, seconds })
}

function context(stateDir: string): StateStoreContext {
  return { applicationId: 'bench', taskId: '0_0', stateDir, register: (_s: StateStore) => {} }
}

const KEYS = 10_000
const keys = Array.from({ length: KEYS }, (_, i) => Buffer.from(String(100_000 + i)))
const value = Buffer.from(JSON.stringify({ count: 12, sum: 87.5 }))

function kvGetPut(store: { get(k: Buffer): Buffer | undefined; put(k: Buffer, v: Buffer | null): void }) {
  return (n: number) => {
    for (let i = 0; i < n; i++) {
      const key = keys[i % KEYS]
      const previous = store.get(key)
      if (previous !== undefined) sink += previous.length
      store.put(key, value)
    }
  }
}

const memory = new InMemoryKeyValueBytesStore('bench-kv')
memory.init(context(tmpdir()), memory)
bench('in-memory KV get+put (10k keys)', 2_000_000, kvGetPut(memory))
bench('in-memory KV range of 100', 20_000, (n) => {
  for (let i = 0; i < n; i++) {
    let count = 0
    for (const e of memory.range(keys[i % (KEYS - 100)], keys[(i % (KEYS - 100)) + 99])) count += e.value.length
    sink += count
  }
})

const stateDir = mkdtempSync(join(tmpdir(), 'kstreams-bench-'))
const lmdb = new LmdbKeyValueBytesStore('bench-lmdb')
lmdb.init(context(stateDir), lmdb)
bench('LMDB KV get+put (10k keys)', 200_000, kvGetPut(lmdb))
lmdb.close()
rmSync(stateDir, { recursive: true, force: true })

const windows = new InMemoryWindowBytesStore('bench-window', 86_400_000, 3_600_000, false)
windows.init(context(tmpdir()), windows)
bench('in-memory window fetch+put (1h windows)', 1_000_000, (n) => {
  for (let i = 0; i < n; i++) {
    const start = Math.floor(i / 1000) * 60_000 - ((Math.floor(i / 1000) * 60_000) % 3_600_000)
    const key = keys[i % KEYS]
    const previous = windows.fetch(key, start)
    if (previous !== undefined) sink += previous.length
    windows.put(key, value, start)
  }
})

function serdeRoundTrip<T>(
  serde: { serialize(t: string, v: T): Buffer | null; deserialize(t: string, b: Buffer | null): T | null },
  values: T[]
) {
  return (n: number) => {
    for (let i = 0; i < n; i++) {
      const bytes = serde.serialize('topic', values[i % values.length])
      const back = serde.deserialize('topic', bytes)
      if (back !== null) sink++
    }
  }
}

bench('Serdes.Long (bigint) ser+de', 5_000_000, serdeRoundTrip(Serdes.Long(), [0n, -1n, 1234567890123n, 2n ** 62n]))
bench('Serdes.LongNumber ser+de', 5_000_000, serdeRoundTrip(Serdes.LongNumber(), [0, -1, 1234567890123, 2 ** 52]))
bench('Serdes.Double ser+de', 5_000_000, serdeRoundTrip(Serdes.Double(), [0, 8.5, -1e-300, Math.PI]))
bench('Serdes.String ser+de', 5_000_000, serdeRoundTrip(Serdes.String(), ['362', 'Lethal Weapon', 'é😀']))
const ratings = Array.from({ length: 64 }, (_, i) => ({ movieId: 300 + i, rating: (i % 10) + 0.5 }))
bench('Serdes.Json ser+de ({movieId, rating})', 2_000_000, serdeRoundTrip(Serdes.Json<(typeof ratings)[0]>(), ratings))
const schemaSerde = jsonSchemaSerde<(typeof ratings)[0]>({
  schema: {
    type: 'object',
    properties: { movieId: { type: 'integer' }, rating: { type: 'number' } },
    required: ['movieId', 'rating']
  },
  registry: 'mock://bench'
})
bench('jsonSchemaSerde ser(+validate)+de, mock://', 1_000_000, serdeRoundTrip(schemaSerde, ratings))

const cpu = cpus()[0]?.model ?? 'unknown CPU'
console.log(`node ${process.version}, ${cpu}, ${new Date().toISOString()}${quick ? ' (quick)' : ''}`)
console.log('| benchmark | ops | ops/s |')
console.log('| --- | ---: | ---: |')
for (const r of results) {
  console.log(
    `| ${r.name} | ${r.ops.toLocaleString('en-US')} | ${Math.round(r.ops / r.seconds).toLocaleString('en-US')} |`
  )
}
if (sink === -1) console.log(sink)
