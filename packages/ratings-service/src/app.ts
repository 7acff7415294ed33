// The Fastify app: builds and wires the plugins, does not listen (server.ts does). Tests call build() and use
// inject()/injectWS(), with their own services when they need no broker.
import { STATUS_CODES } from 'node:http'
import Fastify, { LogController } from 'fastify'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import websocket from '@fastify/websocket'
import { redactConfig } from './config.ts'
import type { ServiceConfig } from './config.ts'
import { KafkaUnavailableError } from './kafka.ts'
import { servicesPlugin } from './plugins/services.ts'
import type { Services } from './plugins/services.ts'
import { averagesRoutes } from './routes/averages.ts'
import { healthRoutes } from './routes/health.ts'
import { liveRoutes } from './routes/live.ts'
import { metricsRoutes } from './routes/metrics.ts'
import { pageRoutes } from './routes/page.ts'
import { ratingRoutes } from './routes/rating.ts'

export interface BuildOptions {
  readonly config: ServiceConfig
  /** Pre-built services (tests); when absent they are started against Kafka and the registry. */
  readonly services?: Services
  /** Fastify's logger option; default: pino at `config.logLevel` with secrets redacted. */
  readonly logger?: boolean | Record<string, unknown>
  /** Where the default logger writes (stdout when absent); tests read the log lines from it. */
  readonly logStream?: { write(line: string): void }
}

/** Log paths that may hold credentials; pino replaces them. */
export const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  '*.password',
  '*["sasl.password"]',
  '*["sasl.jaas.config"]',
  '*["basic.auth.user.info"]',
  '*.basicAuth'
]

// Fastify logs two info lines per request, which under load cost about as much as answering a bare request. Here a
// request that failed (4xx, 5xx) gets one line at info, with the request; the others are logged at debug only.
class RequestLogs extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    request.log.debug({ req: request }, 'incoming request')
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) super.requestCompleted(error, request, reply)
    else if (reply.statusCode >= 400) {
      reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed')
    } else reply.log.debug({ res: reply, responseTime: reply.elapsedTime }, 'request completed')
  }
}

export async function build(opts: BuildOptions): Promise<FastifyInstance> {
  const { config } = opts
  const app = Fastify({
    logger: opts.logger ?? {
      level: config.logLevel,
      redact: { paths: REDACT, censor: '[redacted]' },
      ...(opts.logStream === undefined ? {} : { stream: opts.logStream })
    },
    bodyLimit: config.bodyLimit,
    logController: new RequestLogs(),
    // Start-up waits on Kafka and the registry with its own deadlines and errors that name the cause.
    pluginTimeout: 0,
    // Shut down only after in-flight requests are answered; new ones get 503 meanwhile.
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    ajv: {
      // Strict input: no type coercion ("8" is not 8), unknown fields are errors rather than silently removed.
      customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false }
    }
  })
  // Only JSON is accepted; without this Fastify would take text/plain and fail validation with a 400.
  app.removeContentTypeParser('text/plain')

  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err.validation !== undefined) {
      return reply
        .code(400)
        .send({ statusCode: 400, error: 'Bad Request', code: 'FST_ERR_VALIDATION', message: err.message })
    }
    if (err instanceof KafkaUnavailableError) {
      request.log.warn({ err }, 'Kafka cannot take the write')
      return reply.code(503).header('retry-after', '5').send({
        statusCode: 503,
        error: 'Service Unavailable',
        code: 'KAFKA_UNAVAILABLE',
        message: 'the rating could not be stored now; try again'
      })
    }
    // The engine refuses a query while a store restores or a rebalance moves it: a retryable 503, not a 500.
    if ((err as { code?: unknown }).code === 'ILLEGAL_STATE' || (err as { code?: unknown }).code === 'STORE_CLOSED') {
      return reply.code(503).header('retry-after', '2').send({
        statusCode: 503,
        error: 'Service Unavailable',
        code: 'NOT_QUERYABLE',
        message: 'the averages store is being restored or moved; try again'
      })
    }
    const status = err.statusCode ?? 500
    if (status >= 400 && status < 500) {
      return reply.code(status).send({
        statusCode: status,
        error: STATUS_CODES[status] ?? 'Client Error',
        code: err.code,
        message: err.message
      })
    }
    request.log.error({ err }, 'request failed')
    return reply
      .code(status >= 500 ? status : 500)
      .send({ statusCode: 500, error: 'Internal Server Error', message: 'internal error' })
  })

  app.log.info({ config: redactConfig(config) }, 'configuration')
  await app.register(servicesPlugin, { config, ...(opts.services === undefined ? {} : { services: opts.services }) })
  await app.register(websocket, { options: { maxPayload: 1024 } })
  await app.register(liveRoutes)
  await app.register(metricsRoutes)
  await app.register(pageRoutes)
  await app.register(ratingRoutes)
  await app.register(averagesRoutes)
  await app.register(healthRoutes)
  return app
}
