import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { SchemaRegistryError } from '../../src/serdes/schema-errors.ts'
import { createSchemaRegistryClient, dropMockSchemaRegistryScope } from '../../src/serdes/schema-registry.ts'

const USER = 'alice'
const SECRET = 's3cr3t-pa55'

interface Seen {
  method: string
  url: string
  authorization: string | undefined
  contentType: string | undefined
  body: string
}

// A tiny stand-in for the registry REST API; each path prefix selects a behaviour.
function startRegistry(): Promise<{ server: Server; base: string; seen: Seen[] }> {
  const seen: Seen[] = []
  const hanging: ServerResponse[] = []
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = ''
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')))
    req.on('end', () => {
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        authorization: req.headers.authorization,
        contentType: req.headers['content-type'],
        body
      })
      const url = req.url ?? ''
      const json = (status: number, payload: unknown) => {
        res.writeHead(status, { 'content-type': 'application/vnd.schemaregistry.v1+json' })
        res.end(JSON.stringify(payload))
      }
      const expected = `Basic ${Buffer.from(`${USER}:${SECRET}`).toString('base64')}`
      if (url.startsWith('/slow')) {
        hanging.push(res)
        return
      }
      if (url.startsWith('/broken')) return json(500, { error_code: 50001, message: 'Error in the backend data store' })
      if (url.startsWith('/apicurio')) {
        return json(422, { message: 'Failed to discover artifact type from content.', error_code: 42201 })
      }
      if (url.startsWith('/html')) {
        res.writeHead(502, { 'content-type': 'text/html' })
        return res.end('<html>Bad gateway</html>')
      }
      if (url.startsWith('/auth') && req.headers.authorization !== expected) {
        return json(401, { error_code: 401, message: 'Unauthorized' })
      }
      const path = url.replace(/^\/(auth|apis\/ccompat\/v7)/, '')
      if (req.method === 'POST' && path === '/subjects/ratings-value/versions') return json(200, { id: 17 })
      if (req.method === 'POST' && path === '/subjects/ratings-value') {
        return json(200, { subject: 'ratings-value', id: 17, version: 3, schema: JSON.parse(body).schema })
      }
      if (req.method === 'GET' && path === '/schemas/ids/17') {
        return json(200, { schema: '{"type":"object"}', schemaType: 'JSON' })
      }
      if (req.method === 'GET' && path === '/schemas/ids/18') return json(200, { schema: '"string"' })
      if (req.method === 'GET' && path === '/subjects/ratings-value/versions/latest') {
        return json(200, {
          subject: 'ratings-value',
          id: 17,
          version: 3,
          schema: '{"type":"object"}',
          schemaType: 'JSON'
        })
      }
      if (path.startsWith('/subjects/')) return json(404, { error_code: 40401, message: 'Subject not found' })
      return json(404, { error_code: 40403, message: 'Schema not found' })
    })
  })
  server.on('close', () => hanging.forEach((r) => r.destroy()))
  server.listen(0, '127.0.0.1')
  return once(server, 'listening').then(() => {
    const { port } = server.address() as AddressInfo
    return { server, base: `http://127.0.0.1:${port}`, seen }
  })
}

async function rejection(promise: Promise<unknown>): Promise<SchemaRegistryError> {
  try {
    await promise
  } catch (error) {
    assert.ok(error instanceof SchemaRegistryError, `expected SchemaRegistryError, got ${String(error)}`)
    assert.equal(error.code, 'SCHEMA_REGISTRY')
    assert.ok(!error.message.includes(SECRET), 'the password must never appear in an error')
    return error
  }
  assert.fail('expected a rejection')
}

describe('HTTP schema registry client', () => {
  let registry: Awaited<ReturnType<typeof startRegistry>>
  before(async () => {
    registry = await startRegistry()
  })
  after(() => {
    registry.server.closeAllConnections()
    registry.server.close()
  })

  it('speaks the Confluent REST API with basic auth', async () => {
    const client = createSchemaRegistryClient({ url: `${registry.base}/auth/`, basicAuth: `${USER}:${SECRET}` })
    assert.equal(client.url, `${registry.base}/auth`)
    assert.equal(await client.register('ratings-value', '{"type":"object"}', 'JSON'), 17)
    const post = registry.seen.at(-1)
    assert.equal(post?.url, '/auth/subjects/ratings-value/versions')
    assert.equal(post?.contentType, 'application/vnd.schemaregistry.v1+json')
    assert.deepEqual(JSON.parse(post?.body ?? ''), { schema: '{"type":"object"}', schemaType: 'JSON' })
    assert.equal(post?.authorization, `Basic ${Buffer.from(`${USER}:${SECRET}`).toString('base64')}`)
    assert.deepEqual(await client.getSchemaById(17), { schema: '{"type":"object"}', schemaType: 'JSON' })
    assert.equal((await client.getLatest('ratings-value')).version, 3)
    assert.equal((await client.lookup('ratings-value', '{}', 'JSON')).id, 17)
    // The registry omits schemaType for Avro.
    assert.equal((await client.getSchemaById(18)).schemaType, 'AVRO')
  })

  it('takes credentials from basic.auth.user.info or the URL, and keeps them out of url', async () => {
    const viaSetting = createSchemaRegistryClient({
      url: `${registry.base}/auth`,
      'basic.auth.user.info': `${USER}:${SECRET}`
    })
    assert.equal(await viaSetting.register('ratings-value', '{}', 'JSON'), 17)
    const withUserInfo = `${registry.base.replace('http://', `http://${USER}:${SECRET}@`)}/auth`
    const viaUrl = createSchemaRegistryClient(withUserInfo)
    assert.ok(!viaUrl.url.includes(SECRET))
    assert.equal(await viaUrl.register('ratings-value', '{}', 'JSON'), 17)
  })

  it('works against an Apicurio-style ccompat base path', async () => {
    const client = createSchemaRegistryClient(`${registry.base}/apis/ccompat/v7`)
    assert.equal(
      await client.register('ratings-value', '{"$schema":"http://json-schema.org/draft-07/schema#"}', 'JSON'),
      17
    )
    assert.equal(registry.seen.at(-1)?.url, '/apis/ccompat/v7/subjects/ratings-value/versions')
  })

  it('reports 401 with a hint, without the credentials', async () => {
    const client = createSchemaRegistryClient({ url: `${registry.base}/auth`, basicAuth: `${USER}:wrong-${SECRET}` })
    const error = await rejection(client.register('ratings-value', '{}', 'JSON'))
    assert.equal(error.status, 401)
    assert.match(error.message, /HTTP 401 to POST http:\/\/127\.0\.0\.1:\d+\/auth\/subjects\/ratings-value\/versions/)
    assert.match(error.message, /credentials/)
    assert.ok(!error.message.includes('wrong-'))
  })

  it('reports 404 with the registry error code', async () => {
    const client = createSchemaRegistryClient(`${registry.base}/auth`)
    const unauthorized = await rejection(client.getLatest('nope'))
    assert.equal(unauthorized.status, 401)
    const open = createSchemaRegistryClient(registry.base)
    const missing = await rejection(open.getLatest('nope'))
    assert.equal(missing.status, 404)
    assert.equal(missing.registryErrorCode, 40401)
    assert.ok(missing.notFound)
    assert.match(missing.message, /Subject not found/)
  })

  it('reports 5xx answers, JSON or not', async () => {
    const json = await rejection(createSchemaRegistryClient(`${registry.base}/broken`).getSchemaById(1))
    assert.equal(json.status, 500)
    assert.equal(json.registryErrorCode, 50001)
    assert.match(json.message, /backend data store/)
    const html = await rejection(createSchemaRegistryClient(`${registry.base}/html`).getSchemaById(1))
    assert.equal(html.status, 502)
    assert.match(html.message, /Bad gateway/)
  })

  it('explains what Apicurio needs when it cannot tell the schema type (42201)', async () => {
    const error = await rejection(createSchemaRegistryClient(`${registry.base}/apicurio`).register('s', '{}', 'JSON'))
    assert.equal(error.status, 422)
    assert.equal(error.registryErrorCode, 42201)
    assert.match(error.message, /needs "\$schema"/)
  })

  it('times out a registry that does not answer', async () => {
    const client = createSchemaRegistryClient({
      url: `${registry.base}/slow`,
      timeoutMs: 150,
      basicAuth: `${USER}:${SECRET}`
    })
    const started = Date.now()
    const error = await rejection(client.getSchemaById(1))
    assert.match(error.message, /did not answer GET .*\/slow\/schemas\/ids\/1 within 150 ms/)
    assert.ok(Date.now() - started < 5000)
  })

  it('reports an unreachable registry', async () => {
    // A port that was just free: listen, note it, close.
    const probe = createServer().listen(0, '127.0.0.1')
    await once(probe, 'listening')
    const { port } = probe.address() as AddressInfo
    probe.close()
    await once(probe, 'close')
    const client = createSchemaRegistryClient({ url: `http://${USER}:${SECRET}@127.0.0.1:${port}`, timeoutMs: 2000 })
    const error = await rejection(client.getSchemaById(1))
    assert.match(error.message, /unreachable .*ECONNREFUSED/)
    assert.equal(error.status, undefined)
  })

  it('rejects URLs it cannot use, without echoing them', () => {
    assert.throws(
      () => createSchemaRegistryClient(`not a url ${SECRET}`),
      (e: Error) => !e.message.includes(SECRET)
    )
    assert.throws(() => createSchemaRegistryClient('ftp://x'), /http\(s\):\/\/ or mock:\/\//)
  })
})

describe('mock:// schema registry', () => {
  it('shares state per scope and drops it on request', async () => {
    const a = createSchemaRegistryClient('mock://scope-a')
    const b = createSchemaRegistryClient({ url: 'mock://scope-a' })
    const other = createSchemaRegistryClient('mock://scope-b')
    assert.equal(await a.register('s', '{"type":"string"}', 'JSON'), 1)
    assert.equal((await b.getSchemaById(1)).schema, '{"type":"string"}')
    // Same schema again: same id and no new version; reformatted JSON counts as the same schema.
    assert.equal(await b.register('s', '{ "type": "string" }', 'JSON'), 1)
    assert.equal((await b.getLatest('s')).version, 1)
    assert.equal(await b.register('s', '{"type":"number"}', 'JSON'), 2)
    assert.equal((await a.getLatest('s')).version, 2)
    const missing = await rejection(other.getSchemaById(1))
    assert.equal(missing.registryErrorCode, 40403)
    dropMockSchemaRegistryScope('mock://scope-a')
    assert.equal((await rejection(a.getLatest('s'))).registryErrorCode, 40401)
    assert.equal(await a.register('s', '{"type":"number"}', 'JSON'), 1)
    dropMockSchemaRegistryScope('scope-a')
  })
})
