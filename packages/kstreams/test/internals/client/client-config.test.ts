import { test } from 'node:test'
import assert from 'node:assert/strict'
import { StreamsError } from '../../../src/errors.ts'
import {
  isSecretSetting,
  parseBootstrapServers,
  parseJavaProperties,
  redactProperties,
  secretScrubber,
  settingFromConfigError,
  toLibrdkafkaProperties
} from '../../../src/internals/client/client-config.ts'

function configError(fn: () => unknown): StreamsError {
  try {
    fn()
  } catch (err) {
    assert.ok(err instanceof StreamsError)
    assert.equal(err.code, 'CONFIG_INVALID')
    return err
  }
  assert.fail('expected CONFIG_INVALID')
}

test('bootstrap.servers: host:port lists, protocols and IPv6 are accepted', () => {
  assert.deepEqual(parseBootstrapServers('a:1, b.example.com:9092'), [
    { host: 'a', port: 1 },
    { host: 'b.example.com', port: 9092 }
  ])
  assert.deepEqual(parseBootstrapServers('SASL_SSL://pkc-1.cloud:9092'), [{ host: 'pkc-1.cloud', port: 9092 }])
  assert.deepEqual(parseBootstrapServers('[::1]:9092'), [{ host: '::1', port: 9092 }])
})

test('bootstrap.servers: each malformed form is one CONFIG_INVALID line naming the setting', () => {
  for (const [value, why] of [
    [undefined, /required/],
    ['   ', /required/],
    [9092, /expected a string/],
    ['localhost', /missing port/],
    ['localhost:0', /port must be 1-65535/],
    ['localhost:65536', /port must be 1-65535/],
    ['localhost:90a', /port must be 1-65535/],
    [':9092', /bad host/],
    ['http://localhost:9092', /unknown protocol http/],
    ['a:1,', /empty entry/],
    ['::1:9092', /bad host/],
    ['[::1]9092', /expected \[ipv6\]:port/]
  ] as const) {
    const err = configError(() => parseBootstrapServers(value))
    assert.equal(err.setting, 'bootstrap.servers')
    assert.match(err.message, /^bootstrap\.servers: /)
    assert.match(err.message, why)
    assert.equal(err.message.includes('\n'), false)
  }
})

test('secret settings are recognised and redacted, by name and inside free text', () => {
  for (const key of ['sasl.password', 'ssl.key.password', 'ssl.keystore.password', 'sasl.oauthbearer.client.secret']) {
    assert.equal(isSecretSetting(key), true, key)
  }
  for (const key of ['sasl.jaas.config', 'ssl.key.pem', 'basic.auth.user.info']) {
    assert.equal(isSecretSetting(key), true, key)
  }
  for (const key of ['bootstrap.servers', 'sasl.username', 'ssl.key.location', 'security.protocol']) {
    assert.equal(isSecretSetting(key), false, key)
  }
  assert.deepEqual(redactProperties({ 'sasl.username': 'u', 'sasl.password': 'p' }), {
    'sasl.username': 'u',
    'sasl.password': '[redacted]'
  })
  const scrub = secretScrubber({ 'sasl.password': 's3cr3t-value', 'client.id': 'x' })
  assert.equal(
    scrub('auth failed for s3cr3t-value twice: s3cr3t-value'),
    'auth failed for [redacted] twice: [redacted]'
  )
})

test('a Java client.properties (Confluent Cloud style) becomes librdkafka properties', () => {
  const out = toLibrdkafkaProperties({
    'bootstrap.servers': 'pkc-1.cloud:9092',
    'security.protocol': 'SASL_SSL',
    'sasl.mechanism': 'PLAIN',
    'sasl.jaas.config':
      "org.apache.kafka.common.security.plain.PlainLoginModule required username='KEY' password='SECRET';",
    'client.dns.lookup': 'use_all_dns_ips',
    'session.timeout.ms': 45000,
    'schema.registry.url': 'https://psrc.cloud',
    'basic.auth.credentials.source': 'USER_INFO'
  })
  assert.deepEqual(out, {
    'bootstrap.servers': 'pkc-1.cloud:9092',
    'security.protocol': 'SASL_SSL',
    'sasl.mechanism': 'PLAIN',
    'sasl.username': 'KEY',
    'sasl.password': 'SECRET',
    'session.timeout.ms': 45000
  })
  const err = configError(() => toLibrdkafkaProperties({ 'sasl.jaas.config': 'com.example.Kerberos required;' }))
  assert.equal(err.setting, 'sasl.jaas.config')
  assert.equal(err.message.includes('SECRET'), false)
})

test("librdkafka's configuration errors name the property as the user spelt it", () => {
  assert.equal(settingFromConfigError('No such configuration property: "foo.bar"'), 'foo.bar')
  assert.equal(
    settingFromConfigError('Invalid value "x" for configuration property "request.required.acks"', { acks: 'x' }),
    'acks'
  )
  assert.equal(settingFromConfigError('something else'), undefined)
})

test('client.properties files parse as Java properties', () => {
  const text = [
    '# Required connection configs for Kafka producer, consumer, and admin',
    'bootstrap.servers=pkc-1.cloud:9092',
    'security.protocol = SASL_SSL',
    'sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required \\',
    "    username='KEY' password='SECRET';",
    '! another comment',
    'session.timeout.ms: 45000',
    ''
  ].join('\n')
  assert.deepEqual(parseJavaProperties(text), {
    'bootstrap.servers': 'pkc-1.cloud:9092',
    'security.protocol': 'SASL_SSL',
    'sasl.jaas.config':
      "org.apache.kafka.common.security.plain.PlainLoginModule required username='KEY' password='SECRET';",
    'session.timeout.ms': '45000'
  })
})
