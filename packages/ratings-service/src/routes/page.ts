// GET / and /assets/*: the page and its script and stylesheet, read once at start and served from memory with
// strong ETags. Everything is local (no CDN), so the page works offline.
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { FastifyInstance } from 'fastify'

const PUBLIC = new URL('../public/', import.meta.url)

interface Asset {
  readonly body: Buffer
  readonly type: string
  readonly etag: string
}

function load(name: string, type: string): Asset {
  const body = readFileSync(new URL(name, PUBLIC))
  return { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` }
}

export async function pageRoutes(app: FastifyInstance): Promise<void> {
  const assets = new Map<string, Asset>([
    ['/', load('index.html', 'text/html; charset=utf-8')],
    ['/assets/app.js', load('app.js', 'text/javascript; charset=utf-8')],
    ['/assets/app.css', load('app.css', 'text/css; charset=utf-8')]
  ])
  for (const [path, asset] of assets) {
    app.get(path, async (request, reply) => {
      reply.header('etag', asset.etag).header('cache-control', 'no-cache').header('x-content-type-options', 'nosniff')
      if (path === '/') {
        reply.header(
          'content-security-policy',
          "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; frame-ancestors 'none'"
        )
      }
      if (request.headers['if-none-match'] === asset.etag) return await reply.code(304).send()
      return await reply.type(asset.type).send(asset.body)
    })
  }
}
