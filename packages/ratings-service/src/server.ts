// Runs the service: reads the configuration, builds the app, listens on PORT (8080 as in the tutorial) and shuts
// down cleanly on SIGTERM/SIGINT (stop taking requests, close the engine, flush the producer).
import { ConfigError, loadConfig } from './config.ts'
import { build } from './app.ts'

let config
try {
  config = loadConfig()
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`ratings-service: invalid configuration: ${err.message}\n`)
    process.exit(2)
  }
  throw err
}

const app = await build({ config }).catch((err: unknown) => {
  const e = err as Error & { setting?: string }
  process.stderr.write(
    `ratings-service: cannot start: ${e.setting === undefined ? '' : e.setting + ': '}${e.message}\n`
  )
  process.exit(1)
})

let closing = false
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (closing) return
    closing = true
    app.log.info({ signal }, 'shutting down')
    const timer = setTimeout(() => {
      app.log.error('shutdown timed out; exiting')
      process.exit(1)
    }, config.shutdownTimeoutMs + 5000)
    timer.unref()
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        app.log.error({ err }, 'shutdown failed')
        process.exit(1)
      }
    )
  })
}

await app.listen({ host: config.host, port: config.port })
const shown = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host
const address = app.server.address()
const port = typeof address === 'object' && address !== null ? address.port : config.port
process.stdout.write(`ratings-service listening on http://${shown}:${port}/\n`)
