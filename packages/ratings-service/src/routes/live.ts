// WS /kafka: every socket first gets a snapshot of all current averages, then each change. The instance holds ONE
// subscription (the averages feed) and broadcasts to all sockets; the tutorial opened one consumer per socket in a
// shared group, so two tabs split the partitions and each saw only part of the movies.
//
// Slow readers: a socket whose unsent data passes `wsMaxBufferedBytes` is closed with 1013 (try again later)
// instead of buffering without bound. Nothing is lost by that: the page reconnects and the new snapshot holds
// every movie's latest average. The check runs before each send, so a socket never queues more than
// `wsMaxBufferedBytes` plus one message in this process (the kernel's socket buffers come on top); once closed it
// gets nothing more, and ws frees what it queued when the peer answers the close or after its 30 s close timeout.
// test/reliability/ws-load.test.ts measures that bound, and that a stalled socket does not delay the others.
import type { FastifyInstance } from 'fastify'
import type { WebSocket } from 'ws'
import type { MovieAverage } from '../kafka.ts'

/** Sent to sockets: the tutorial's {movieId, rating}, plus the number of ratings and snapshot-or-update. */
export interface AverageMessage extends MovieAverage {
  readonly type: 'snapshot' | 'update'
}

export interface LiveStats {
  readonly clients: number
  readonly closedSlow: number
  readonly sent: number
}

declare module 'fastify' {
  interface FastifyInstance {
    live: LiveStats
  }
}

export async function liveRoutes(app: FastifyInstance): Promise<void> {
  const sockets = new Set<WebSocket>()
  const stats = { clients: 0, closedSlow: 0, sent: 0 }
  const limit = app.config.wsMaxBufferedBytes

  const deliver = (socket: WebSocket, text: string): void => {
    if (socket.readyState !== socket.OPEN) return
    if (socket.bufferedAmount > limit) {
      stats.closedSlow++
      sockets.delete(socket)
      socket.close(1013, 'too slow: reconnect for a fresh snapshot')
      return
    }
    socket.send(text)
    stats.sent++
  }

  const unsubscribe = app.services.feed.subscribe((average) => {
    // Serialized once for every socket.
    const text = JSON.stringify({ ...average, type: 'update' } satisfies AverageMessage)
    for (const socket of sockets) deliver(socket, text)
  })
  app.addHook('onClose', async () => {
    unsubscribe()
    for (const socket of sockets) socket.close(1001, 'server shutting down')
  })
  app.decorate('live', {
    get clients() {
      return sockets.size
    },
    get closedSlow() {
      return stats.closedSlow
    },
    get sent() {
      return stats.sent
    }
  })

  app.get('/kafka', { websocket: true }, (socket, request) => {
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', (err) => request.log.warn({ err }, 'websocket error'))
    // After the upgrade response has gone out on its own (a client that reads the 101 and the first frame in one
    // chunk could drop the frame). Snapshot and registration stay in one tick: no update falls between them.
    setImmediate(() => {
      if (socket.readyState !== socket.OPEN) return
      for (const average of app.services.feed.snapshot()) {
        deliver(socket, JSON.stringify({ ...average, type: 'snapshot' } satisfies AverageMessage))
      }
      sockets.add(socket)
    })
    // The protocol is server-to-client; anything a client sends is ignored.
  })
}
// The `live` decoration is read by /metrics.
Object.assign(liveRoutes, { [Symbol.for('skip-override')]: true })
