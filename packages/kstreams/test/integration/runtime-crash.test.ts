// Crash test: the running average runs in a child process that is killed with SIGKILL again and again (in the
// middle of processing, right after start-up while it joins and restores, and after it reports RUNNING) while a fixed
// set of ratings is produced, and restarted on the same state directory each time. Exactly-once: the final count
// and sum per movie (output topic and changelog read with read_committed, and the store of a restarted instance) are
// exact. At-least-once: nothing is lost; the duplicates are counted and reported.
//
// CRASH_KILLS (default 10) and CRASH_RATINGS (default 6000) make the longer benchmark variant.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { KafkaStreams, Serdes } from '../../src/index.ts'
import type { ProducerClient } from '../../src/internals/client/kafka-client.ts'
import { AppProcess } from './fixtures/app-process.ts'
import type { AppArgs } from './fixtures/app-process.ts'
import { AVERAGE_STORE, COUNT_SUM_STORE, expectedTotals, runningAverageTopology } from './fixtures/running-average.ts'
import type { CountAndSum, Rating } from './fixtures/running-average.ts'
import { admin, bootstrap, consumer, defer, memoryLogger, producer, uniqueName, waitFor } from './helpers.ts'

const KILLS = Number(process.env.CRASH_KILLS ?? 10)
const RATINGS = Number(process.env.CRASH_RATINGS ?? 6000)
const MOVIES = 50

async function produceAll(p: ProducerClient, topic: string, ratings: readonly Rating[]): Promise<void> {
  const json = Serdes.Json<Rating>()
  const long = Serdes.Long()
  for (const r of ratings) {
    const record = { topic, key: long.serialize(topic, BigInt(r.movieId)), value: json.serialize(topic, r) }
    while (!p.produce(record)) await p.flush()
  }
  await p.flush()
}

/** Latest value per key of a topic, read from the start with read_committed until `done` holds. */
async function readLatest<V>(
  t: TestContext,
  topic: string,
  decode: (b: Buffer | null) => V,
  done: (latest: Map<number, V>) => boolean,
  timeoutMs = 90_000
): Promise<Map<number, V>> {
  const c = await consumer(t, { 'auto.offset.reset': 'earliest', 'isolation.level': 'read_committed' })
  c.subscribe([topic])
  const latest = new Map<number, V>()
  await waitFor(
    `final values in ${topic}`,
    async () => {
      for (const r of await c.consume(5000, 200)) {
        latest.set(Number(Serdes.Long().deserialize(topic, r.key)), decode(r.value))
      }
      return done(latest)
    },
    timeoutMs
  )
  return latest
}

for (const guarantee of ['exactly_once_v2', 'at_least_once'] as const) {
  test(
    `crash test: ${KILLS} SIGKILLs while ${RATINGS} ratings are produced (${guarantee})`,
    {
      // Session 1 saw one run report 1560 of 6000 ratings missing: the last child had been closed right after
      // reporting lag 0, with one input partition never committed. The test now waits until the group's committed
      // offsets reach the end of the ratings topic (read from the broker) before it closes the last child.
      // A fresh-clone CI run (session 2, 22:08) had a child fail with "seeking …: Local: Erroneous state" while
      // adopting a partition that a new rebalance had just taken away; the runtime now leaves such a partition to the
      // next assignment (the test was a TODO until seven runs in a row passed, session 3).
      timeout: 600_000
    },
    async (t) => {
      const started = Date.now()
      const ratingsTopic = uniqueName('crash-ratings')
      const averagesTopic = uniqueName('crash-averages')
      const appId = uniqueName(`crash-${guarantee === 'exactly_once_v2' ? 'eos' : 'alos'}`)
      const a = await admin(t)
      await a.createTopics([
        { topic: ratingsTopic, partitions: 3, replicationFactor: 1 },
        { topic: averagesTopic, partitions: 3, replicationFactor: 1 }
      ])
      defer(t, () => a.deleteTopics([ratingsTopic, averagesTopic]))
      const ratings: Rating[] = []
      for (let i = 0; i < RATINGS; i++) ratings.push({ movieId: 1 + ((i * 7) % MOVIES), rating: 1 + ((i * 13) % 10) })
      const expected = expectedTotals(ratings)
      const stateDir = mkdtempSync(join(tmpdir(), 'kstreams-crash-'))
      defer(t, () => rmSync(stateDir, { recursive: true, force: true }))
      const config = {
        'application.id': appId,
        'bootstrap.servers': bootstrap(),
        'processing.guarantee': guarantee,
        'statestore.cache.max.bytes': 0,
        // At-least-once commits rarely, so that a kill has uncommitted work to redo (duplicates to count).
        'commit.interval.ms': guarantee === 'exactly_once_v2' ? 100 : 1000,
        'state.dir': stateDir,
        'replication.factor': 1,
        // A killed member is noticed after 6 s (the broker's minimum) instead of 45 s.
        'session.timeout.ms': 6000,
        'heartbeat.interval.ms': 1000
      }
      const args = { ratings: ratingsTopic, averages: averagesTopic, config }
      const p = await producer(t)
      const chunk = Math.ceil(RATINGS / (KILLS + 1))
      const children: AppProcess[] = []
      defer(t, async () => {
        for (const c of children) await c.kill()
      })
      const kills: string[] = []
      for (let k = 0; k < KILLS; k++) {
        const app = new AppProcess(args)
        children.push(app)
        await produceAll(p, ratingsTopic, ratings.slice(k * chunk, (k + 1) * chunk))
        const mode = k % 3
        if (mode === 0) {
          // Mid-processing: after some, not all, of this chunk's records went through.
          const target = 1 + ((k * 977) % chunk)
          await waitFor(
            `child ${k} processing ${target} records`,
            () => app.processed >= target || !app.running,
            90_000
          )
        } else if (mode === 1) {
          // While it joins the group and restores its stores.
          await waitFor(`child ${k} starting`, () => app.states.includes('REBALANCING') || !app.running, 60_000)
        } else {
          await waitFor(`child ${k} running`, () => app.states.includes('RUNNING') || !app.running, 90_000)
        }
        assert.ok(app.running, `child ${k} exited by itself (code ${app.exitCode}): ${app.logs.slice(-5).join(' | ')}`)
        await app.kill()
        kills.push(`${['processing', 'starting', 'running'][mode]}@${app.processed}`)
      }
      await produceAll(p, ratingsTopic, ratings.slice(KILLS * chunk))

      const last = new AppProcess(args)
      children.push(last)
      // Caught up: all three source and three repartition partitions assigned and read to their ends, and the
      // group's committed input offsets at the end of the (non-transactional) ratings topic, read from the broker
      // rather than from the child's lag metric.
      const offsets = await consumer(t, { 'group.id': appId })
      const inputCommitted = async (): Promise<boolean> => {
        const partitions = [0, 1, 2].map((partition) => ({ topic: ratingsTopic, partition }))
        const committed = await offsets.committed(partitions)
        for (const c of committed) {
          const { high } = await offsets.watermarks({ topic: c.topic, partition: c.partition })
          if (high > 0 && c.offset < high) return false
        }
        return true
      }
      await waitFor(
        'the last instance to catch up',
        async () =>
          !last.running ||
          (last.lagPartitions === 6 && last.lag === 0 && last.states.at(-1) === 'RUNNING' && (await inputCommitted())),
        180_000
      )
      assert.ok(last.running, `last child exited: ${last.logs.slice(-5).join(' | ')}`)
      await last.stop()
      assert.equal(last.exitCode, 0, `clean close of the last child: ${last.logs.slice(-5).join(' | ')}`)

      // A restarted instance restores the totals into its store; they are the figures of the test.
      const again = new KafkaStreams(runningAverageTopology(ratingsTopic, averagesTopic), config, {
        logger: memoryLogger()
      })
      defer(t, () => again.close())
      await again.start()
      await waitFor('RUNNING after the restart', () => again.state === 'RUNNING', 90_000)
      const sums = again.store<bigint, CountAndSum>(COUNT_SUM_STORE)
      const averages = again.store<bigint, number>(AVERAGE_STORE)
      let lost = 0
      let duplicates = 0
      for (const [movie, want] of expected) {
        const got = sums.get(BigInt(movie)) ?? { count: 0, sum: 0 }
        if (got.count < want.count) lost += want.count - got.count
        else duplicates += got.count - want.count
      }
      const figures = {
        guarantee,
        kills: kills.length,
        ratings: ratings.length,
        lost,
        duplicates,
        seconds: Math.round((Date.now() - started) / 100) / 10,
        killedAt: kills.join(' ')
      }
      t.diagnostic(JSON.stringify(figures))
      console.log(`[crash-test] ${JSON.stringify(figures)}`)
      if (lost > 0 || (guarantee === 'exactly_once_v2' && duplicates > 0)) {
        for (const [movie, want] of expected) {
          const got = sums.get(BigInt(movie))
          if (got?.count !== want.count) {
            console.log(`[crash-test] movie ${movie}: want ${JSON.stringify(want)} got ${JSON.stringify(got)}`)
          }
        }
        for (const [i, c] of children.entries()) console.log(`[crash-test] child ${i}:\n  ${c.logs.join('\n  ')}`)
      }
      assert.equal(lost, 0, 'no rating is lost')
      if (guarantee === 'exactly_once_v2') {
        assert.equal(duplicates, 0, 'no rating is counted twice')
        const json = Serdes.Json<CountAndSum>()
        const changelog = `${appId}-${COUNT_SUM_STORE}-changelog`
        const totals = await readLatest(
          t,
          changelog,
          (b) => json.deserialize(changelog, b) as CountAndSum,
          (m) => [...expected].every(([k, v]) => m.get(k)?.count === v.count)
        )
        for (const [movie, want] of expected) {
          assert.deepEqual(totals.get(movie), want, `changelog count and sum of movie ${movie}`)
          assert.deepEqual(sums.get(BigInt(movie)), want, `store count and sum of movie ${movie}`)
          assert.equal(averages.get(BigInt(movie)), want.sum / want.count, `store average of movie ${movie}`)
        }
        const out = await readLatest(
          t,
          averagesTopic,
          (b) => Serdes.Double().deserialize(averagesTopic, b) as number,
          (m) => [...expected].every(([k, v]) => m.get(k) === v.sum / v.count)
        )
        for (const [movie, want] of expected) {
          assert.equal(out.get(movie), want.sum / want.count, `output average of movie ${movie}`)
        }
      } else {
        for (const [movie, want] of expected) {
          const got = sums.get(BigInt(movie))
          assert.ok(got !== null && got.count >= want.count, `store count of movie ${movie} is at least ${want.count}`)
        }
      }
      assert.equal(await again.close(), true)
    }
  )
}

const GROUP_KILLS = Number(process.env.CRASH_GROUP_KILLS ?? 3)

test(
  `crash test: 3 instances, one SIGKILLed ${GROUP_KILLS} times and its tasks taken over (exactly_once_v2)`,
  { timeout: 600_000 },
  async (t) => {
    const started = Date.now()
    const ratingsTopic = uniqueName('gcrash-ratings')
    const averagesTopic = uniqueName('gcrash-averages')
    const appId = uniqueName('gcrash-eos')
    const a = await admin(t)
    await a.createTopics([
      { topic: ratingsTopic, partitions: 3, replicationFactor: 1 },
      { topic: averagesTopic, partitions: 3, replicationFactor: 1 }
    ])
    defer(t, () => a.deleteTopics([ratingsTopic, averagesTopic]))
    const ratings: Rating[] = []
    for (let i = 0; i < 6000; i++) ratings.push({ movieId: 1 + ((i * 7) % MOVIES), rating: 1 + ((i * 13) % 10) })
    const expected = expectedTotals(ratings)
    const dirs = [0, 1, 2].map(() => mkdtempSync(join(tmpdir(), 'kstreams-gcrash-')))
    defer(t, () => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))
    const argsFor = (i: number): AppArgs => ({
      ratings: ratingsTopic,
      averages: averagesTopic,
      config: {
        'application.id': appId,
        'bootstrap.servers': bootstrap(),
        'processing.guarantee': 'exactly_once_v2',
        'statestore.cache.max.bytes': 0,
        'state.dir': dirs[i]!,
        'replication.factor': 1,
        'application.server': `127.0.0.1:${7200 + i}`,
        'session.timeout.ms': 6000,
        'heartbeat.interval.ms': 1000
      }
    })
    const apps = [0, 1, 2].map((i) => new AppProcess(argsFor(i)))
    const all: AppProcess[] = [...apps]
    defer(t, async () => {
      for (const c of all) await c.kill()
    })
    const tasksOf = (list: AppProcess[]): number =>
      list.reduce((n, c) => n + (c.states.at(-1) === 'RUNNING' ? c.tasks.length : 0), 0)
    await waitFor(
      'three instances sharing 6 tasks',
      () => tasksOf(apps) === 6 && apps.every((c) => c.tasks.length === 2),
      90_000
    )
    const p = await producer(t)
    const chunk = Math.ceil(ratings.length / (2 * GROUP_KILLS + 1))
    let next = 0
    const produceChunk = async (): Promise<void> => {
      await produceAll(p, ratingsTopic, ratings.slice(next * chunk, (next + 1) * chunk))
      next++
    }
    for (let k = 0; k < GROUP_KILLS; k++) {
      const victim = k % 3
      const app = apps[victim]!
      await produceChunk()
      await waitFor(`instance ${victim} processing`, () => app.processed > 0 || !app.running, 60_000)
      await app.kill()
      // The other two take its tasks over: they wait for its open transaction to be aborted (KIP-447) and restore.
      const others = apps.filter((_, i) => i !== victim)
      await produceChunk()
      await waitFor(`the survivors taking over (kill ${k})`, () => tasksOf(others) === 6, 120_000)
      apps[victim] = new AppProcess(argsFor(victim))
      all.push(apps[victim])
    }
    while (next * chunk < ratings.length) await produceChunk()
    await waitFor(
      'three instances caught up',
      () => tasksOf(apps) === 6 && apps.every((c) => c.lag === 0 && c.lagPartitions === c.tasks.length),
      180_000
    )
    const json = Serdes.Json<CountAndSum>()
    const changelog = `${appId}-${COUNT_SUM_STORE}-changelog`
    const totals = await readLatest(
      t,
      changelog,
      (b) => json.deserialize(changelog, b) as CountAndSum,
      (m) => [...expected].every(([k, v]) => (m.get(k)?.count ?? 0) >= v.count)
    )
    let lost = 0
    let duplicates = 0
    for (const [movie, want] of expected) {
      const got = totals.get(movie) ?? { count: 0, sum: 0 }
      if (got.count < want.count) lost += want.count - got.count
      else duplicates += got.count - want.count
    }
    const out = await readLatest(
      t,
      averagesTopic,
      (b) => Serdes.Double().deserialize(averagesTopic, b) as number,
      (m) => [...expected].every(([k]) => m.has(k))
    )
    const figures = {
      guarantee: 'exactly_once_v2',
      instances: 3,
      kills: GROUP_KILLS,
      ratings: ratings.length,
      lost,
      duplicates,
      seconds: Math.round((Date.now() - started) / 100) / 10
    }
    t.diagnostic(JSON.stringify(figures))
    console.log(`[crash-test] ${JSON.stringify(figures)}`)
    assert.equal(lost, 0)
    assert.equal(duplicates, 0)
    for (const [movie, want] of expected) {
      assert.deepEqual(totals.get(movie), want, `changelog count and sum of movie ${movie}`)
      assert.equal(out.get(movie), want.sum / want.count, `output average of movie ${movie}`)
    }
    for (const c of apps) await c.stop()
    assert.deepEqual(
      apps.map((c) => c.exitCode),
      [0, 0, 0]
    )
  }
)
