// Health: /health/live says the process serves HTTP and its engine has not failed for good; /health/ready (and
// /health) say whether it can do its job: the engine RUNNING, the producer connected, the feed caught up.
import type { FastifyInstance } from 'fastify'

export async function healthRoutes(app: FastifyInstance): Promise<void> {
  const readiness = (): { ready: boolean; body: Record<string, unknown> } => {
    const { engine, sink, feed } = app.services
    const checks = {
      engine: engine.state,
      producer: sink.connected ? 'connected' : 'disconnected',
      feed: !feed.connected ? 'disconnected' : feed.caughtUp ? 'caught-up' : 'catching-up'
    }
    const ready = checks.engine === 'RUNNING' && sink.connected && feed.connected && feed.caughtUp
    return { ready, body: { status: ready ? 'ready' : 'not-ready', checks } }
  }

  // An engine in ERROR never recovers by itself (as in Kafka Streams): liveness fails so the process is restarted.
  app.get('/health/live', async (_request, reply) => {
    const state = app.services.engine.state
    const dead = state === 'ERROR' || state === 'PENDING_ERROR'
    return await reply.code(dead ? 503 : 200).send({ status: dead ? 'dead' : 'live', engine: state })
  })

  const ready = async (_request: unknown, reply: import('fastify').FastifyReply): Promise<unknown> => {
    const r = readiness()
    return await reply.code(r.ready ? 200 : 503).send(r.body)
  }
  app.get('/health/ready', ready)
  app.get('/health', ready)
}
