// The session store's caching layer through the test driver: findSessions merges cached sessions over stored ones,
// a cached removal hides a stored session, and the changelog sees one write per session per commit.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Record, Serdes, Stores, Topology, Window, Windowed } from '../../../src/index.ts'
import type { Processor, ProcessorContext, SessionStore } from '../../../src/index.ts'
import { TopologyTestDriver } from '../../../src/testing/index.ts'

// Each input value is a list of commands run in one record: "put:<agg>@<start>-<end>" or "rm@<start>-<end>". The
// processor forwards what findSessions sees afterwards, before the commit.
function commands(name: string): {
  driver: TopologyTestDriver
  send: (key: string, commands: string) => string | null
  changelog: () => Array<string | null>
} {
  const topology = new Topology()
    .addSource('source', 'in', Serdes.String(), Serdes.String())
    .addProcessor(
      'commands',
      (): Processor<string, string, string, string> => {
        let store: SessionStore<string, string>
        let context: ProcessorContext<string, string>
        return {
          init(ctx) {
            context = ctx
            store = ctx.getStateStore('s')
          },
          process(record) {
            for (const command of record.value.split(' ')) {
              const [op, range] = command.split('@')
              const [start, end] = range.split('-').map(Number)
              const session = new Windowed(record.key, new Window(start, end))
              if (op === 'rm') store.remove(session)
              else store.put(session, op.slice(4))
            }
            const found = [...store.findSessions(record.key, 0, 1000)].map(
              (kv) => `${kv.key.window.start}-${kv.key.window.end}=${kv.value}`
            )
            context.forward(new Record(record.key, found.join(','), record.timestamp))
          }
        }
      },
      'source'
    )
    .addStateStore(
      Stores.sessionStoreBuilder(
        Stores.inMemorySessionStore('s', 1000),
        Serdes.String(),
        Serdes.String()
      ).withCachingEnabled(),
      'commands'
    )
    .addSink('sink', 'out', Serdes.String(), Serdes.String(), 'commands')
  const driver = new TopologyTestDriver(topology, { 'application.id': name }, 0)
  const input = driver.createInputTopic('in', Serdes.String(), Serdes.String(), 0)
  const out = driver.createOutputTopic('out', Serdes.String(), Serdes.String())
  const log = driver.createOutputTopic(`${name}-s-changelog`, Serdes.ByteArray(), Serdes.String())
  return {
    driver,
    send: (key, cmds) => {
      input.pipeInput(key, cmds, 100)
      return out.readValue()
    },
    changelog: () => log.readValuesToList()
  }
}

test('findSessions merges cached sessions over stored ones, ordered by end then start', (t) => {
  const { driver, send, changelog } = commands('session-cache-reads')
  t.after(() => driver.close())
  assert.equal(send('a', 'put:x@10-20 put:y@10-20'), '10-20=y')
  assert.equal(send('a', 'put:z@0-5'), '0-5=z,10-20=y')
  assert.equal(send('a', 'rm@10-20 put:w@0-30'), '0-5=z,0-30=w')
  // One write per session and commit: the overwritten "x" never reaches the changelog.
  assert.deepEqual(changelog(), ['y', 'z', null, 'w'])
  const stored = [...driver.getSessionStore<string, string>('s').all()].map(
    (kv) => `${kv.key.window.start}-${kv.key.window.end}=${kv.value}`
  )
  assert.deepEqual(stored, ['0-5=z', '0-30=w'])
})

test('without a flush listener, a session put and removed within one commit still logs its tombstone, as in Kafka Streams', (t) => {
  const { driver, send, changelog } = commands('session-cache-transient')
  t.after(() => driver.close())
  assert.equal(send('a', 'put:x@1-2 rm@1-2'), '')
  assert.deepEqual(changelog(), [null])
  assert.deepEqual([...driver.getSessionStore<string, string>('s').all()], [])
})
