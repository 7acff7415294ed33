// CPU per produced record on the native binding, by delivery-report mode: a per-message opaque with a report (what
// our adapter does for every record), a report without an opaque, and reports on failures only
// (`delivery.report.only.error`). Usage: node bench/e2e/produce-cost.ts [records=400000]
// Produces to topic `produce-cost` (create it first with 3 partitions) at $KAFKA_BOOTSTRAP (default 127.0.0.1:59092).
import { createRequire } from 'node:module'
import type * as Rdkafka from '@confluentinc/kafka-javascript'

const native = createRequire(import.meta.url)('@confluentinc/kafka-javascript') as typeof Rdkafka
const n = Number(process.argv[2] ?? 400_000)
const bootstrap = process.env.KAFKA_BOOTSTRAP ?? '127.0.0.1:59092'

async function measure(mode: 'opaque' | 'report' | 'errors-only'): Promise<string> {
  const producer = new native.Producer({
    'bootstrap.servers': bootstrap,
    'enable.idempotence': true,
    acks: 'all',
    dr_cb: true,
    partitioner: 'murmur2_random',
    ...(mode === 'errors-only' ? { 'delivery.report.only.error': true } : {})
  } as Rdkafka.ProducerGlobalConfig)
  let reports = 0
  const allReported = new Promise<void>((resolve) =>
    producer.on('delivery-report', () => {
      if (++reports === n) resolve()
    })
  )
  await new Promise<void>((resolve, reject) => producer.connect({}, (err) => (err ? reject(err) : resolve())))
  producer.setPollInBackground(true)
  const key = Buffer.alloc(8)
  const value = Buffer.alloc(8)
  const opaque = (): void => {}
  const cpu = process.cpuUsage()
  const started = Date.now()
  for (let i = 0; i < n; i++) {
    key.writeUInt32BE(i % 1000, 4)
    for (;;) {
      try {
        producer.produce('produce-cost', null, value, key, null, mode === 'opaque' ? opaque : undefined)
        break
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
    }
  }
  await new Promise<void>((resolve, reject) => producer.flush(60_000, (err) => (err ? reject(err) : resolve())))
  if (mode !== 'errors-only') await allReported
  const used = process.cpuUsage(cpu)
  await new Promise<void>((resolve) => producer.disconnect(() => resolve()))
  return `${mode.padEnd(12)} ${((used.user + used.system) / n).toFixed(2)} µs CPU per record, ${Date.now() - started} ms, ${reports} reports`
}

for (let round = 0; round < 2; round++) {
  for (const mode of ['opaque', 'report', 'errors-only'] as const) console.log(await measure(mode))
}
