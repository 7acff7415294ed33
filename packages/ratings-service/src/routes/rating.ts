// POST /rating: validates the body, writes it to the ratings topic and answers 202 only once the broker acknowledged
// it (acks=all, idempotent producer). Ratings are whole numbers from 1 to 10, as the page offers (8.0 in JSON is 8).
import type { FastifyInstance } from 'fastify'
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

export async function ratingRoutes(app: FastifyInstance): Promise<void> {
  app.post<{ Body: Rating }>('/rating', { schema: { body } }, async (request, reply) => {
    const { movieId, rating } = request.body
    if (!app.config.movies.has(movieId)) {
      app.metrics.ratings.inc({ result: 'rejected' })
      return await reply.code(400).send({
        statusCode: 400,
        code: 'UNKNOWN_MOVIE',
        error: 'Bad Request',
        message: `body/movieId ${movieId} is not a known movie (known: ${[...app.config.movies.keys()].join(', ')})`
      })
    }
    try {
      await app.services.sink.send({ movieId, rating })
    } catch (err) {
      app.metrics.ratings.inc({ result: 'unavailable' })
      throw err
    }
    app.metrics.ratings.inc({ result: 'accepted' })
    return await reply.code(202).send({ message: 'Accepted' })
  })
}
