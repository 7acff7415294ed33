// Configuration: defaults, env over file, a Confluent Cloud client.properties as downloaded, and one clear error
// naming the key for each kind of bad setting.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError, loadConfig, parseProperties, redactConfig } from '../src/config.ts'

const CLOUD_PROPERTIES = `# Required connection configs for Kafka producer, consumer, and admin
bootstrap.servers=pkc-abcde.europe-west1.gcp.confluent.cloud:9092
security.protocol=SASL_SSL
sasl.mechanisms=PLAIN
sasl.username=KAFKAKEY
sasl.password=kafka/secret+value=

# Best practice for higher availability in librdkafka clients prior to 1.7
session.timeout.ms=45000
client.id=ccloud-nodejs-client-1234

# Required connection configs for Confluent Cloud Schema Registry
schema.registry.url=https://psrc-xyz.europe-west3.gcp.confluent.cloud
basic.auth.credentials.source=USER_INFO
basic.auth.user.info=SRKEY:sr-secret
`

function file(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'ratings-config-'))
  const path = join(dir, 'client.properties')
  writeFileSync(path, text)
  return path
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn()
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`)
    return e
  }
  assert.fail('expected a ConfigError')
}

test('defaults run against the local infrastructure on PORT 8080', () => {
  const c = loadConfig({})
  assert.equal(c.port, 8080)
  assert.equal(c.kafka['bootstrap.servers'], '127.0.0.1:9092')
  assert.equal(c.registry.url, 'http://127.0.0.1:8081/apis/ccompat/v7')
  assert.equal(c.topics.partitions, 3)
  assert.equal(c.topics.replicationFactor, -1)
  assert.equal(loadConfig({ PORT: '9000' }).port, 9000)
})

test('parseProperties: separators, comments, continuations and escapes', () => {
  const p = parseProperties('# c\n! c\na=1\nb : 2\nc 3\nd=x\\\n   y\ne=\\u0041\\=\\:\nf=\n  g = spaced  ')
  assert.deepEqual(Object.fromEntries(p), { a: '1', b: '2', c: '3', d: 'xy', e: 'A=:', f: '', g: 'spaced  ' })
})

test('a Confluent Cloud client.properties works as downloaded', () => {
  const c = loadConfig({ KAFKA_CONFIG_FILE: file(CLOUD_PROPERTIES) })
  assert.equal(c.kafka['bootstrap.servers'], 'pkc-abcde.europe-west1.gcp.confluent.cloud:9092')
  assert.equal(c.kafka['security.protocol'], 'SASL_SSL')
  assert.equal(c.kafka['sasl.mechanism'], 'PLAIN')
  assert.equal(c.kafka['sasl.username'], 'KAFKAKEY')
  assert.equal(c.kafka['sasl.password'], 'kafka/secret+value=')
  assert.equal(c.kafka['session.timeout.ms'], '45000')
  assert.equal(c.kafka['sasl.mechanisms'], undefined)
  assert.equal(c.kafka['schema.registry.url'], undefined)
  assert.equal(c.registry.url, 'https://psrc-xyz.europe-west3.gcp.confluent.cloud')
  assert.equal(c.registry.basicAuth, 'SRKEY:sr-secret')
})

test('sasl.jaas.config (the Java client form) gives the SASL credentials', () => {
  const c = loadConfig(
    {},
    {
      file: file(`bootstrap.servers=b:9092
security.protocol=SASL_SSL
sasl.mechanism=PLAIN
sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username='user' password='p@ss';
client.dns.lookup=use_all_dns_ips
acks=all
`)
    }
  )
  assert.equal(c.kafka['sasl.username'], 'user')
  assert.equal(c.kafka['sasl.password'], 'p@ss')
  assert.equal(c.kafka['sasl.jaas.config'], undefined)
  assert.equal(c.kafka['client.dns.lookup'], undefined)
})

test('environment variables override the file', () => {
  const c = loadConfig({
    KAFKA_CONFIG_FILE: file(CLOUD_PROPERTIES),
    KAFKA_BOOTSTRAP: 'other:9093',
    KAFKA_SASL_PASSWORD: 'fromenv'
  })
  assert.equal(c.kafka['bootstrap.servers'], 'other:9093')
  assert.equal(c.kafka['sasl.password'], 'fromenv')
})

test('each invalid setting stops start-up with an error naming its key', () => {
  const cases: Array<[Record<string, string>, string]> = [
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ KAFKA_BOOTSTRAP: 'localhost' }, 'KAFKA_BOOTSTRAP'],
    [{ KAFKA_SECURITY_PROTOCOL: 'TLS' }, 'KAFKA_SECURITY_PROTOCOL'],
    [{ KAFKA_SECURITY_PROTOCOL: 'SASL_SSL', KAFKA_SASL_MECHANISM: 'MAGIC' }, 'KAFKA_SASL_MECHANISM'],
    [{ KAFKA_SECURITY_PROTOCOL: 'SASL_SSL' }, 'sasl.jaas.config'],
    [{ SCHEMA_REGISTRY_URL: 'not a url' }, 'SCHEMA_REGISTRY_URL'],
    [{ SCHEMA_REGISTRY_URL: 'ftp://x' }, 'SCHEMA_REGISTRY_URL'],
    [{ TOPIC_PARTITIONS: '0' }, 'TOPIC_PARTITIONS'],
    [{ TOPIC_REPLICATION_FACTOR: '0' }, 'TOPIC_REPLICATION_FACTOR'],
    [{ RATINGS_TOPIC: 'bad topic' }, 'RATINGS_TOPIC'],
    [{ APPLICATION_ID: 'a/b' }, 'APPLICATION_ID'],
    [{ APPLICATION_SERVER: 'nohost' }, 'APPLICATION_SERVER'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ COMMIT_INTERVAL_MS: '-1' }, 'COMMIT_INTERVAL_MS'],
    [{ COMMIT_INTERVAL_MS: 'soon' }, 'COMMIT_INTERVAL_MS'],
    [{ KAFKA_CONFIG_FILE: '/nonexistent/client.properties' }, 'KAFKA_CONFIG_FILE']
  ]
  for (const [env, key] of cases) {
    const e = configError(() => loadConfig(env))
    assert.equal(e.key, key, JSON.stringify(env))
    assert.ok(e.message.startsWith(`${key}: `), e.message)
  }
})

test('file settings are named as written, and template placeholders are caught', () => {
  assert.equal(
    configError(() => loadConfig({}, { file: file('basic.auth.credentials.source=USER_INFO\n') })).key,
    'basic.auth.user.info'
  )
  assert.equal(
    configError(() => loadConfig({}, { file: file('basic.auth.credentials.source=TOKEN\n') })).key,
    'basic.auth.credentials.source'
  )
  assert.equal(
    configError(() => loadConfig({}, { file: file('sasl.username={{ CLUSTER_API_KEY }}\n') })).key,
    'sasl.username'
  )
  const jaas = 'security.protocol=SASL_SSL\nsasl.jaas.config=SomethingElse required;\n'
  assert.equal(configError(() => loadConfig({}, { file: file(jaas) })).key, 'sasl.jaas.config')
})

test('secrets never appear in the loggable configuration or in errors', () => {
  const c = loadConfig({ KAFKA_CONFIG_FILE: file(CLOUD_PROPERTIES) })
  const text = JSON.stringify(redactConfig(c))
  for (const secret of ['kafka/secret+value=', 'sr-secret', 'SRKEY']) assert.ok(!text.includes(secret), secret)
  assert.ok(text.includes('KAFKAKEY'), 'the username is not a secret')
  const e = configError(() =>
    loadConfig(
      {},
      { file: file("security.protocol=SASL_SSL\nsasl.mechanism=PLAIN\nsasl.jaas.config=x password='hunter22';\n") }
    )
  )
  assert.ok(!e.message.includes('hunter22'))
})

test('PROCESSING_GUARANTEE: at_least_once by default, exactly_once_v2 on request, anything else stops startup', () => {
  assert.equal(loadConfig({}).processingGuarantee, 'at_least_once')
  assert.equal(loadConfig({}).commitIntervalMs, undefined, 'unset: the default of the guarantee')
  assert.equal(loadConfig({ COMMIT_INTERVAL_MS: '20' }).commitIntervalMs, 20)
  assert.equal(loadConfig({ PROCESSING_GUARANTEE: 'exactly_once_v2' }).processingGuarantee, 'exactly_once_v2')
  assert.throws(
    () => loadConfig({ PROCESSING_GUARANTEE: 'exactly_once' }),
    (e: unknown) => e instanceof ConfigError && e.message.includes('PROCESSING_GUARANTEE')
  )
})
