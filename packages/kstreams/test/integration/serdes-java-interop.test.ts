// Our Long/Double serdes and producer against Kafka's own Java console consumer: the bytes we write must read back
// exactly with Java's LongDeserializer/DoubleDeserializer, and keys must land on the partition Java's default
// partitioner (murmur2) would choose, so that Java and TypeScript apps can share topics and co-partition.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Serdes } from '../../src/serdes/index.ts'
import type { DeliveryReport } from '../../src/internals/client/kafka-client.ts'
import { admin, bootstrap, producer, runKafkaTool, topic } from './helpers.ts'

const KEYS: bigint[] = [
  -1n,
  0n,
  1n,
  2n ** 53n + 1n,
  -(2n ** 53n) - 1n,
  2n ** 63n - 1n,
  -(2n ** 63n),
  42n,
  -42n,
  123456789012345678n
]
const VALUES: number[] = [
  -0.0,
  Number.NaN,
  1e308,
  -1e308,
  0,
  0.1,
  Number.MIN_VALUE,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  2 ** 53 + 2
]

// Kafka's Utils.murmur2 and the default partitioner's toPositive(murmur2(key)) % numPartitions, for the check.
function javaPartition(key: Buffer, partitions: number): number {
  const m = 0x5bd1e995
  let h = (0x9747b28c ^ key.length) | 0
  let i = 0
  for (; i + 4 <= key.length; i += 4) {
    let k = key[i]! | (key[i + 1]! << 8) | (key[i + 2]! << 16) | (key[i + 3]! << 24) | 0
    k = Math.imul(k, m)
    k ^= k >>> 24
    k = Math.imul(k, m)
    h = Math.imul(h, m) ^ k
  }
  const rest = key.length - i
  if (rest === 3) h ^= key[i + 2]! << 16
  if (rest >= 2) h ^= key[i + 1]! << 8
  if (rest >= 1) h = Math.imul(h ^ key[i]!, m)
  h ^= h >>> 13
  h = Math.imul(h, m)
  h ^= h >>> 15
  return (h & 0x7fffffff) % partitions
}

test('Long keys and Double values written by us read back exactly with Java LongDeserializer/DoubleDeserializer', async (t) => {
  const a = await admin(t)
  const name = await topic(t, a, 3, 'java-interop')
  const p = await producer(t)
  const keySerde = Serdes.Long()
  const valueSerde = Serdes.Double()

  const reports: DeliveryReport[] = []
  for (let i = 0; i < KEYS.length; i++) {
    const queued = p.produce(
      { topic: name, key: keySerde.serialize(name, KEYS[i]!), value: valueSerde.serialize(name, VALUES[i]!) },
      (err, report) => {
        assert.equal(err, null)
        reports.push(report!)
      }
    )
    assert.equal(queued, true)
  }
  await p.flush(30_000)
  assert.equal(reports.length, KEYS.length, 'every record has a delivery report')

  const result = await runKafkaTool('org.apache.kafka.tools.consumer.ConsoleConsumer', [
    '--bootstrap-server',
    bootstrap(),
    '--topic',
    name,
    '--from-beginning',
    '--max-messages',
    String(KEYS.length),
    '--timeout-ms',
    '60000',
    '--key-deserializer',
    'org.apache.kafka.common.serialization.LongDeserializer',
    '--value-deserializer',
    'org.apache.kafka.common.serialization.DoubleDeserializer',
    '--formatter-property',
    'print.key=true',
    '--formatter-property',
    'print.partition=true',
    '--formatter-property',
    'key.separator=|',
    ...(process.env.KAFKA_CLIENT_CONFIG ? ['--consumer.config', process.env.KAFKA_CLIENT_CONFIG] : [])
  ])
  assert.equal(result.code, 0, `console consumer failed: ${result.stderr}`)

  // Each line: "Partition:<p>|<key>|<value>" (the key separator also follows the partition).
  const lines = result.stdout.split('\n').filter((l) => l.startsWith('Partition:'))
  assert.equal(lines.length, KEYS.length, `got:\n${result.stdout}\n${result.stderr}`)
  const seen = new Map<bigint, { partition: number; value: string }>()
  for (const line of lines) {
    const [partitionText, keyText, valueText] = line.slice('Partition:'.length).split('|')
    seen.set(BigInt(keyText!), { partition: Number(partitionText), value: valueText! })
  }
  const partitionsUsed = new Set<number>()
  for (let i = 0; i < KEYS.length; i++) {
    const key = KEYS[i]!
    const got = seen.get(key)
    assert.ok(got !== undefined, `Java read no record with key ${key}`)
    // Java's Double.toString output parses back to the exact double; Object.is tells -0.0 and NaN apart.
    assert.ok(Object.is(Number(got.value), VALUES[i]), `key ${key}: Java read ${got.value}, we wrote ${VALUES[i]}`)
    assert.equal(got.partition, javaPartition(keySerde.serialize(name, key)!, 3), `key ${key}: partition`)
    partitionsUsed.add(got.partition)
  }
  assert.equal(partitionsUsed.size, 3, 'the keys spread over all three partitions')
  // Delivery reports agree with what Java saw.
  for (const r of reports) assert.ok(r.offset >= 0 && r.partition >= 0 && r.partition < 3)
})
