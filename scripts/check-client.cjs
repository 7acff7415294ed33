// Checks that a build of @confluentinc/kafka-javascript loads on this Node and talks to a broker.
// Usage: node scripts/check-client.cjs <package dir> <bootstrap.servers>
'use strict'
const [dir, bootstrap] = process.argv.slice(2)
const started = Date.now()
const kafka = require(dir)
const producer = new kafka.Producer({ 'bootstrap.servers': bootstrap, log_level: 0 })
producer.connect({ timeout: 10000 }, (err, metadata) => {
  const where = `Node ${process.version} (ABI ${process.versions.modules}), librdkafka ${kafka.librdkafkaVersion}`
  if (err) {
    console.error(`native client FAILED on ${where}: ${err.message}`)
    process.exitCode = 1
    return
  }
  console.log(`native client ok on ${where}: ${metadata.brokers.length} broker(s) in ${Date.now() - started} ms`)
  producer.disconnect(() => {})
})
