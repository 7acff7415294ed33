// WS /kafka under load (issue 6), on a real listening app with a test double of the averages feed (no broker):
// - WS_SOCKETS (default 1,000) concurrent sockets each get the snapshot first, then every update, in order;
// - the delivery delay they see (feed push -> message event) is measured without and with a socket that never reads,
//   and the stalled socket does not slow the others down;
// - the stalled socket is closed with 1013 once its unsent bytes pass WS_MAX_BUFFERED_BYTES, and the process's live
//   memory grows by no more than that bound (plus one message) while it stalls.
// Clients and server share this process and its event loop, so a delay is the time to frame the update for every
// socket plus the clients' own parsing: an upper bound of what the server adds.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { connect } from 'node:net'
import type { AddressInfo, Socket } from 'node:net'
import { performance } from 'node:perf_hooks'
import type { FastifyInstance } from 'fastify'
import WebSocket from 'ws'
import { build } from '../../src/app.ts'
import { fakeServices, testConfig } from '../helpers.ts'
import { liveMemory, mb } from './memory.ts'

const SOCKETS = Number(process.env.WS_SOCKETS ?? 1000)
const UPDATES = Number(process.env.WS_UPDATES ?? 20)
// Small enough that the stalled socket reaches it with ~64 padded broadcasts; the default (1 MB) behaves the same.
const LIMIT = 64 * 1024
const PAD = 'x'.repeat(1000)
const MOVIES = [362, 363, 364]
// What the process may gain from one stalled socket: its unsent bytes (LIMIT, plus the one message that crossed it),
// plus what V8 and the allocator move between two readings (measured: under 0.5 MB).
const MEMORY_SLACK = 2 * 1024 * 1024

interface Update {
  movieId: number
  rating: number
  count: number
  type: 'snapshot' | 'update'
  sentAt?: number
  pad?: string
}

class Reader {
  readonly ws: WebSocket
  snapshots = 0
  lastSeq = 0
  errors: string[] = []
  constructor(url: string, onUpdate: (reader: Reader, m: Update, delay: number) => void) {
    this.ws = new WebSocket(url)
    this.ws.on('message', (data) => {
      const now = performance.now()
      const m = JSON.parse(String(data)) as Update
      if (m.type === 'snapshot') {
        if (this.lastSeq !== 0) this.errors.push(`snapshot after update ${this.lastSeq}`)
        this.snapshots++
        return
      }
      if (this.snapshots !== MOVIES.length) this.errors.push(`update before the full snapshot (${this.snapshots})`)
      if (m.count !== this.lastSeq + 1) this.errors.push(`update ${m.count} after ${this.lastSeq}`)
      this.lastSeq = m.count
      onUpdate(this, m, now - (m.sentAt ?? now))
    })
  }

  opened(): Promise<void> {
    return new Promise((resolve, reject) => this.ws.once('open', resolve).once('error', reject))
  }
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

/** Resumes a raw client that never read: skips the 101 response and the frames, resolves with the close code. */
function closeCode(raw: Socket): Promise<number> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0)
    let headerDone = false
    const timer = setTimeout(() => reject(new Error('no close frame within 10 s')), 10_000)
    raw.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk])
      if (!headerDone) {
        const end = buf.indexOf('\r\n\r\n')
        if (end < 0) return
        buf = buf.subarray(end + 4)
        headerDone = true
      }
      // Server frames are unmasked: opcode, 7-bit length or 126 + 16 bits or 127 + 64 bits, payload.
      while (buf.length >= 2) {
        const opcode = buf[0]! & 0x0f
        let len = buf[1]! & 0x7f
        let at = 2
        if (len === 126) {
          if (buf.length < 4) return
          len = buf.readUInt16BE(2)
          at = 4
        } else if (len === 127) {
          if (buf.length < 10) return
          len = Number(buf.readBigUInt64BE(2))
          at = 10
        }
        if (buf.length < at + len) return
        if (opcode === 0x8) {
          clearTimeout(timer)
          resolve(buf.readUInt16BE(at))
          return
        }
        buf = buf.subarray(at + len)
      }
    })
    raw.resume()
  })
}

/** The soft limit on open files; Node raises it to the hard limit at start-up, so `ulimit -Hn` is what counts. */
function openFilesLimit(): number {
  const line = readFileSync('/proc/self/limits', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max open files'))
  const soft = line?.split(/\s{2,}/)[1]
  return soft === undefined || soft === 'unlimited' ? Infinity : Number(soft)
}

describe(`WS /kafka with ${SOCKETS} sockets`, { timeout: 120_000 }, () => {
  const services = fakeServices()
  let app: FastifyInstance
  let url: string
  const readers: Reader[] = []
  let seq = 0
  // The delays of the current phase, and the resolver of the broadcast being waited for.
  let delays: number[] = []
  let waiting: { seq: number; left: number; done: () => void } | undefined

  const onUpdate = (_r: Reader, m: Update, delay: number): void => {
    delays.push(delay)
    if (waiting !== undefined && m.count === waiting.seq && --waiting.left === 0) waiting.done()
  }

  /** Pushes one update through the feed and resolves once every reader has it. */
  const broadcast = async (pad?: string): Promise<void> => {
    const count = ++seq
    const all = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`update ${count}: ${waiting?.left} readers still waiting`)),
        20_000
      )
      waiting = {
        seq: count,
        left: readers.length,
        done: () => {
          clearTimeout(timer)
          resolve()
        }
      }
    })
    services.feed.push({ movieId: 362, rating: 5, count, sentAt: performance.now(), pad } as never)
    await all
  }

  const summary = (): { p50: number; p99: number; n: number } => {
    const sorted = Float64Array.from(delays).sort()
    const s = { p50: percentile(sorted, 50), p99: percentile(sorted, 99), n: sorted.length }
    delays = []
    return s
  }

  before(async () => {
    app = await build({ config: testConfig({ WS_MAX_BUFFERED_BYTES: String(LIMIT) }), services, logger: false })
    await app.listen({ host: '127.0.0.1', port: 0 })
    url = `ws://127.0.0.1:${(app.server.address() as AddressInfo).port}/kafka`
    for (const movieId of MOVIES) services.feed.push({ movieId, rating: 7, count: 3 })
  })

  after(async () => {
    // The app's close would wait out the stalled socket's close handshake (30 s) if it were still connected.
    stalled?.destroy()
    for (const r of readers) r.ws.terminate()
    await app.close()
  })

  let baseline: { p50: number; p99: number; n: number }
  let stalled: Socket | undefined
  let stalledServerSide: WebSocket

  it('every socket gets the snapshot, then every update in order', async (t) => {
    // Two descriptors per socket (client and server ends, both in this process).
    const limit = openFilesLimit()
    t.diagnostic(`open files limit: ${limit}`)
    assert.ok(
      limit >= 2 * SOCKETS + 256,
      `${2 * SOCKETS + 256} open files needed, the limit is ${limit}: raise ulimit -Hn`
    )
    const started = performance.now()
    // In batches: the listen backlog (511) would otherwise drop SYNs and stall connects for a second.
    for (let i = 0; i < SOCKETS; i += 100) {
      const batch = Array.from({ length: Math.min(100, SOCKETS - i) }, () => new Reader(url, onUpdate))
      readers.push(...batch)
      await Promise.all(batch.map((r) => r.opened()))
    }
    const deadline = Date.now() + 20_000
    while (app.live.clients < SOCKETS || readers.some((r) => r.snapshots < MOVIES.length)) {
      if (Date.now() > deadline) throw new Error(`${app.live.clients} sockets registered`)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    const connectMs = performance.now() - started
    const mem = liveMemory()
    t.diagnostic(
      `${SOCKETS} sockets open with their snapshots in ${connectMs.toFixed(0)} ms; live heap ${mb(mem.heapUsed)}, rss ${mb(mem.rss)}`
    )

    const t0 = performance.now()
    for (let i = 0; i < UPDATES; i++) await broadcast()
    baseline = summary()
    t.diagnostic(
      `${UPDATES} updates x ${SOCKETS} sockets in ${(performance.now() - t0).toFixed(0)} ms: ` +
        `delay p50 ${baseline.p50.toFixed(1)} ms, p99 ${baseline.p99.toFixed(1)} ms`
    )
    assert.equal(baseline.n, UPDATES * SOCKETS)
    for (const r of readers) {
      assert.deepEqual(r.errors, [])
      assert.equal(r.snapshots, MOVIES.length)
      assert.equal(r.lastSeq, seq)
    }
  })

  it('a socket that never reads does not delay the others', async (t) => {
    // A raw client: it sends the upgrade request and never reads a byte, not even the 101.
    const raw = connect((app.server.address() as AddressInfo).port, '127.0.0.1')
    stalled = raw
    raw.pause()
    raw.write(
      'GET /kafka HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n'
    )
    const deadline = Date.now() + 10_000
    while (app.live.clients < SOCKETS + 1) {
      if (Date.now() > deadline) throw new Error('the stalled socket was not registered')
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    const localPort = await new Promise<number>((resolve) => {
      if (raw.localPort !== undefined) resolve(raw.localPort)
      else raw.once('connect', () => resolve(raw.localPort!))
    })
    stalledServerSide = [...app.websocketServer.clients].find(
      (ws) => (ws as unknown as { _socket: Socket })._socket.remotePort === localPort
    )!
    assert.ok(stalledServerSide !== undefined)
    // As if it had been stalled a while: fill the kernel's buffers directly, until the server starts queueing.
    while (stalledServerSide.bufferedAmount === 0) stalledServerSide.send(Buffer.alloc(16 * 1024))
    const queuedBefore = stalledServerSide.bufferedAmount

    for (let i = 0; i < UPDATES; i++) await broadcast()
    const withStalled = summary()
    t.diagnostic(
      `with the stalled socket (${queuedBefore} -> ${stalledServerSide.bufferedAmount} bytes queued for it): ` +
        `delay p50 ${withStalled.p50.toFixed(1)} ms, p99 ${withStalled.p99.toFixed(1)} ms ` +
        `(without: p50 ${baseline.p50.toFixed(1)} ms, p99 ${baseline.p99.toFixed(1)} ms)`
    )
    assert.equal(withStalled.n, UPDATES * SOCKETS)
    assert.ok(stalledServerSide.bufferedAmount > queuedBefore, 'the updates queue up for the stalled socket')
    assert.equal(app.live.clients, SOCKETS + 1, 'the stalled socket is still under its bound')
    for (const r of readers) assert.deepEqual(r.errors, [])
    // Same work per update with or without the stalled socket; the margin absorbs a loaded CI machine.
    assert.ok(
      withStalled.p50 <= baseline.p50 * 2 + 10,
      `p50 ${withStalled.p50.toFixed(1)} ms with the stalled socket vs ${baseline.p50.toFixed(1)} ms without`
    )
  })

  it(`the stalled socket is closed with 1013 past ${LIMIT} unsent bytes; memory stays within that bound`, async (t) => {
    const start = liveMemory()
    const closedBefore = app.live.closedSlow
    let peak = start
    let peakQueued = 0
    let updates = 0
    const message = JSON.stringify({ movieId: 362, rating: 5, count: seq, type: 'update', sentAt: 0, pad: PAD }).length
    while (app.live.closedSlow === closedBefore) {
      assert.ok(updates < 10 * Math.ceil(LIMIT / PAD.length), 'the stalled socket was never closed')
      // Just before the broadcast that closes it, the stalled socket holds the most it ever will.
      if (stalledServerSide.bufferedAmount > LIMIT - message) {
        peakQueued = stalledServerSide.bufferedAmount
        peak = liveMemory()
      }
      await broadcast(PAD)
      updates++
    }
    summary()
    // Live memory = V8 heap + external (the socket's queued Buffers are external memory).
    const grown = peak.heapUsed + peak.external - (start.heapUsed + start.external)
    t.diagnostic(
      `closed after ${updates} padded updates (${message} bytes each); queued for it at most ${peakQueued} bytes; ` +
        `live heap+external ${mb(start.heapUsed + start.external)} -> ${mb(peak.heapUsed + peak.external)} ` +
        `(${grown >= 0 ? '+' : ''}${(grown / 1024).toFixed(0)} KB), rss ${mb(start.rss)} -> ${mb(peak.rss)}`
    )
    assert.equal(app.live.closedSlow, closedBefore + 1)
    assert.equal(app.live.clients, SOCKETS)
    assert.ok(peakQueued > 0 && peakQueued <= LIMIT + message, `${peakQueued} bytes queued`)
    assert.ok(grown <= LIMIT + message + MEMORY_SLACK, `live memory grew by ${mb(grown)} with one stalled socket`)
    // The close frame waits behind the unsent bytes; the socket is gone from the broadcast already. Reading at last,
    // the client gets everything queued, then the close frame with 1013.
    assert.equal(stalledServerSide.readyState, WebSocket.CLOSING)
    const code = await closeCode(stalled!)
    assert.equal(code, 1013)
    for (const r of readers) {
      assert.deepEqual(r.errors, [])
      assert.equal(r.lastSeq, seq)
    }
    stalled?.destroy()
  })
})
