// The slow-reader policy of WS /kafka on a real socket: a client that stops reading is closed with 1013 once the
// server's unsent bytes pass WS_MAX_BUFFERED_BYTES, so memory stays bounded; a reading client is unaffected.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import WebSocket from 'ws'
import { build } from '../../src/app.ts'
import { fakeServices, testConfig, waitFor } from '../helpers.ts'

test('a socket that stops reading is closed with 1013 while the others keep their updates', async (t) => {
  const services = fakeServices()
  const app = await build({ config: testConfig({ WS_MAX_BUFFERED_BYTES: '65536' }), services, logger: false })
  t.after(() => app.close())
  await app.listen({ host: '127.0.0.1', port: 0 })
  const url = `ws://127.0.0.1:${(app.server.address() as AddressInfo).port}/kafka`

  const open = async (): Promise<WebSocket> => {
    const ws = new WebSocket(url)
    t.after(() => ws.terminate())
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject))
    return ws
  }
  const slow = await open()
  let slowClose: number | undefined
  slow.on('close', (code) => {
    slowClose = code
  })
  const reader = await open()
  let lastSeen = -1
  reader.on('message', (data) => {
    lastSeen = JSON.parse(String(data)).count
  })
  await waitFor('both sockets registered', () => (app.live.clients === 2 ? true : undefined))
  // Stop reading at the TCP level: the kernel buffers fill, then the server's ws buffer grows.
  ;(slow as unknown as { _socket: import('node:net').Socket })._socket.pause()

  let count = 0
  const pad = 'x'.repeat(1000)
  await waitFor(
    'the slow socket to be dropped',
    async () => {
      for (let i = 0; i < 200; i++) services.feed.push({ movieId: 362, rating: 5, count: ++count, pad } as never)
      await new Promise((resolve) => setImmediate(resolve))
      return app.live.closedSlow > 0 ? true : undefined
    },
    20_000
  )
  assert.equal(app.live.closedSlow, 1)
  assert.equal(app.live.clients, 1)
  ;(slow as unknown as { _socket: import('node:net').Socket })._socket.resume()
  await waitFor('the close frame', () => slowClose, 10_000)
  assert.equal(slowClose, 1013)
  await waitFor('the reader to see the last update', () => (lastSeen === count ? true : undefined), 10_000)
})
