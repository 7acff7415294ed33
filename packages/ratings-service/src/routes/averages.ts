// GET /averages and /averages/:movieId: interactive queries on the engine's stores. A movie owned by another
// instance is fetched from its owner when the engine names one; otherwise it is answered from this instance's view
// of the stats topic (the same data, possibly a few milliseconds behind), marked `source: "feed"`.
import type { FastifyInstance, FastifyReply } from 'fastify'
import type { MovieAverage } from '../kafka.ts'

interface Answer extends MovieAverage {
  readonly source: 'store' | 'owner' | 'feed'
}

const PROXY_TIMEOUT_MS = 2000
// `?local=true` is how instances ask each other: answer from this instance's stores only.
const LOCAL_QUERY = {
  type: 'object',
  properties: { local: { type: 'string', enum: ['true', 'false'] } },
  additionalProperties: false
} as const

function notQueryable(app: FastifyInstance, reply: FastifyReply): FastifyReply {
  return reply
    .code(503)
    .header('retry-after', '2')
    .send({
      statusCode: 503,
      error: 'Service Unavailable',
      code: 'NOT_QUERYABLE',
      message: `the streams engine is ${app.services.engine.state}; averages cannot be queried now`
    })
}

export async function averagesRoutes(app: FastifyInstance): Promise<void> {
  app.get<{ Querystring: { local?: string } }>(
    '/averages',
    { schema: { querystring: LOCAL_QUERY } },
    async (request, reply) => {
      const { engine, feed } = app.services
      if (!engine.queryable) return notQueryable(app, reply)
      const local = (await engine.localAverages()).map((a): Answer => ({ ...a, source: 'store' }))
      if (request.query.local === 'true') return local
      const out = new Map<number, Answer>()
      // Fallback for movies whose owner cannot be asked: the feed reads every partition.
      for (const a of feed.snapshot()) out.set(a.movieId, { ...a, source: 'feed' })
      await Promise.all(
        (await engine.otherHosts()).map(async (host) => {
          try {
            const res = await fetch(`http://${host}/averages?local=true`, {
              signal: AbortSignal.timeout(PROXY_TIMEOUT_MS)
            })
            if (!res.ok) throw new Error(`status ${res.status}`)
            for (const a of (await res.json()) as MovieAverage[]) {
              out.set(a.movieId, { movieId: a.movieId, rating: a.rating, count: a.count, source: 'owner' })
            }
          } catch (err) {
            request.log.warn({ owner: host, err }, 'instance did not answer; its movies come from the feed')
          }
        })
      )
      for (const a of local) out.set(a.movieId, a)
      return [...out.values()].sort((a, b) => a.movieId - b.movieId)
    }
  )

  // Path and query parts are text; the app's validator does not coerce types, so the patterns do the checking.
  app.get<{ Params: { movieId: string }; Querystring: { local?: string } }>(
    '/averages/:movieId',
    {
      schema: {
        params: {
          type: 'object',
          properties: { movieId: { type: 'string', pattern: '^[1-9][0-9]{0,14}$' } },
          required: ['movieId']
        },
        querystring: {
          type: 'object',
          properties: { local: { type: 'string', enum: ['true', 'false'] } },
          additionalProperties: false
        }
      }
    },
    async (request, reply) => {
      const { engine, feed } = app.services
      const movieId = Number(request.params.movieId)
      if (!app.config.movies.has(movieId)) {
        return reply
          .code(404)
          .send({ statusCode: 404, error: 'Not Found', code: 'UNKNOWN_MOVIE', message: `no movie ${movieId}` })
      }
      if (!engine.queryable) return notQueryable(app, reply)
      const found = await engine.lookup(movieId)
      if (found.local) {
        return { ...(found.value ?? { movieId, rating: null, count: 0 }), source: 'store' }
      }
      if (request.query.local === 'true') {
        // Asked by another instance: answering from the feed here could bounce between instances.
        return reply.code(421).send({
          statusCode: 421,
          error: 'Misdirected Request',
          code: 'NOT_OWNER',
          message: `movie ${movieId} is not owned by this instance`
        })
      }
      if (found.activeHost !== undefined && found.activeHost !== app.config.applicationServer) {
        try {
          const res = await fetch(`http://${found.activeHost}/averages/${movieId}?local=true`, {
            signal: AbortSignal.timeout(PROXY_TIMEOUT_MS)
          })
          if (res.ok) return { ...((await res.json()) as MovieAverage), source: 'owner' }
          request.log.warn(
            { owner: found.activeHost, status: res.status },
            'owner did not answer the query; using the feed'
          )
        } catch (err) {
          request.log.warn({ owner: found.activeHost, err }, 'owner unreachable; using the feed')
        }
      }
      return { ...(feed.get(movieId) ?? { movieId, rating: null, count: 0 }), source: 'feed' }
    }
  )
}
