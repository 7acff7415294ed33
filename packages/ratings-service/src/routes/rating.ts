// POST /rating: validates the body, writes it to the ratings topic and answers 202 only once the broker acknowledged
// it (acks=all, idempotent producer), or 503 when that takes longer than PRODUCE_TIMEOUT_MS. Ratings are whole numbers
// from 1 to 10, as the page offers (8.0 in JSON is 8).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { KafkaUnavailableError } from '../kafka.ts'
import type { Rating } from '../topology.ts'

const body = {
  type: 'object',
  required: ['movieId', 'rating'],
  additionalProperties: false,
  properties: {
    movieId: { type: 'integer', minimum: 1 },
    rating: { type: 'integer', minimum: 1, maximum: 10 }
  }
} as const

// JSON is UTF-8 (RFC 8259 section 8.1), yet Fastify decodes every body as UTF-8 whatever its charset says and ignores
// Content-Encoding: a body declared latin1, UTF-16 or gzip was read as something else than what was sent, and a valid
// one got a 202 (found by test/reliability/http-fuzz.test.ts). Both are refused with 415 before the body is read.
// Callback style, not async: a hook on every POST /rating should not cost a promise.
function onlyUtf8Identity(request: FastifyRequest, reply: FastifyReply, done: () => void): void {
  const encoding = request.headers['content-encoding']
  if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
    unsupported(reply, 'UNSUPPORTED_CONTENT_ENCODING', `Content-Encoding ${encoding} is not supported`)
    return
  }
  const type = request.headers['content-type']
  const charset =
    type === undefined || !type.includes(';')
      ? undefined
      : /;\s*charset\s*=\s*"?([^";\s]*)/i.exec(type)?.[1]?.toLowerCase()
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    unsupported(reply, 'UNSUPPORTED_CHARSET', `charset ${charset} is not supported: JSON is UTF-8`)
    return
  }
  done()
}

// The client gets its answer after `ms` while the producer keeps trying far longer (RATING_DELIVERY_TIMEOUT_MS): a
// producer that gives up on a message has to bump its idempotent epoch, which can write a batch twice. So a 503 means
// "not confirmed": the rating may still be written.
function acknowledgedWithin(write: Promise<void>, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new KafkaUnavailableError(`rating not acknowledged within ${ms} ms`)), ms)
    write.finally(() => clearTimeout(timer)).then(resolve, reject)
  })
}

function unsupported(reply: FastifyReply, code: string, message: string): void {
  reply.code(415).send({ statusCode: 415, error: 'Unsupported Media Type', code, message })
}

export async function ratingRoutes(app: FastifyInstance): Promise<void> {
  // Bound once: a labelled inc() hashes its labels on every call.
  const accepted = app.metrics.ratings.labels({ result: 'accepted' })
  const rejected = app.metrics.ratings.labels({ result: 'rejected' })
  const unavailable = app.metrics.ratings.labels({ result: 'unavailable' })
  const timeoutMs = app.config.produceTimeoutMs
  app.post<{ Body: Rating }>('/rating', { schema: { body }, onRequest: onlyUtf8Identity }, async (request, reply) => {
    const { movieId, rating } = request.body
    if (!app.config.movies.has(movieId)) {
      rejected.inc()
      return await reply.code(400).send({
        statusCode: 400,
        code: 'UNKNOWN_MOVIE',
        error: 'Bad Request',
        message: `body/movieId ${movieId} is not a known movie (known: ${[...app.config.movies.keys()].join(', ')})`
      })
    }
    try {
      await acknowledgedWithin(app.services.sink.send({ movieId, rating }), timeoutMs)
    } catch (err) {
      unavailable.inc()
      throw err
    }
    accepted.inc()
    return await reply.code(202).send({ message: 'Accepted' })
  })
}
