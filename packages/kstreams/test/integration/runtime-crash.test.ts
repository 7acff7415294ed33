// Crash test: the running average runs in a child process that is killed with SIGKILL again and again (in the
// middle of processing, right after start-up while it joins and restores, and after it reports RUNNING) while a fixed
// set of ratings is produced, and restarted on the same state directory each time. Exactly-once: the final count
// and sum per movie (changelog and output topic read with read_committed, and the stores of a restarted instance) are
// exact. At-least-once: nothing is lost; the duplicates are counted and reported.
//
// The end condition is the broker's word, as in Kafka's EosTestDriver: the group's committed offsets are at the
// read_committed end (last stable offset) of every source partition of every sub-topology, the ratings topic and the
// repartition topic alike. Only then are the results read, each topic up to its read_committed end offsets.
//
// CRASH_KILLS (default 10) and CRASH_RATINGS (default 6000) make the longer benchmark variant. Each figure line is
// printed as `[crash-test] {json}` (scripts/crash-loop.sh reads it).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { KafkaStreams, Serdes } from '../../src/index.ts'
import type { AdminClient, ProducerClient } from '../../src/internals/client/kafka-client.ts'
import { AppProcess } from './fixtures/app-process.ts'
import type { AppArgs } from './fixtures/app-process.ts'
import { AVERAGE_STORE, COUNT_SUM_STORE, expectedTotals, runningAverageTopology } from './fixtures/running-average.ts'
import type { CountAndSum, Rating } from './fixtures/running-average.ts'
import {
  admin,
  bootstrap,
  consumer,
  defer,
  memoryLogger,
  producer,
  readCommitted,
  sourceTopics,
  uniqueName,
  waitFor,
  waitForGroupAtEnd
} from './helpers.ts'
import type { CommittedContents } from './helpers.ts'

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

/** Latest value per movie of a topic's read_committed contents. */
function latestPerMovie<V>(
  topic: string,
  contents: CommittedContents,
  decode: (b: Buffer | null) => V
): Map<number, V> {
  const latest = new Map<number, V>()
  for (const r of contents.records) latest.set(Number(Serdes.Long().deserialize(topic, r.key)), decode(r.value))
  return latest
}

/** The count-and-sum changelog's committed contents, folded to the latest totals per movie. */
async function changelogTotals(
  t: TestContext,
  a: AdminClient,
  appId: string
): Promise<{ totals: Map<number, CountAndSum>; ends: Map<number, number> }> {
  const changelog = `${appId}-${COUNT_SUM_STORE}-changelog`
  const json = Serdes.Json<CountAndSum>()
  const contents = await readCommitted(t, a, changelog)
  return { totals: latestPerMovie(changelog, contents, (b) => json.deserialize(changelog, b)!), ends: contents.ends }
}

/** Ratings missing from, and counted twice in, `got` (per movie, so a loss and a duplicate of one movie cancel out). */
function compare(
  expected: Map<number, CountAndSum>,
  got: Map<number, CountAndSum>
): { lost: number; duplicates: number } {
  let lost = 0
  let duplicates = 0
  for (const [movie, want] of expected) {
    const count = got.get(movie)?.count ?? 0
    if (count < want.count) lost += want.count - count
    else duplicates += count - want.count
  }
  return { lost, duplicates }
}

for (const guarantee of ['exactly_once_v2', 'at_least_once'] as const) {
  test(
    `crash test: ${KILLS} SIGKILLs while ${RATINGS} ratings are produced (${guarantee})`,
    { timeout: 600_000 },
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
      const topology = runningAverageTopology(ratingsTopic, averagesTopic)
      const sources = await sourceTopics(a, topology, appId)
      assert.equal(sources.length, 2, `the ratings and one repartition topic: ${sources.join(', ')}`)
      const atEnd = await waitForGroupAtEnd(t, a, appId, sources, 180_000, () =>
        last.running ? undefined : `last child exited (code ${last.exitCode}): ${last.logs.slice(-5).join(' | ')}`
      )
      await last.stop()
      assert.equal(last.exitCode, 0, `clean close of the last child: ${last.logs.slice(-5).join(' | ')}`)

      // The figures: the changelog as the broker holds it, up to its read_committed end.
      const changelog = await changelogTotals(t, a, appId)
      const { lost, duplicates } = compare(expected, changelog.totals)
      const figures = {
        guarantee,
        kills: kills.length,
        ratings: ratings.length,
        lost,
        duplicates,
        seconds: Math.round((Date.now() - started) / 100) / 10,
        // Source partitions whose committed offset stops one short of the end: only a transaction marker is left.
        markerGaps: atEnd.filter((x) => x.committed !== x.end).length,
        killedAt: kills.join(' ')
      }
      t.diagnostic(JSON.stringify(figures))
      console.log(`[crash-test] ${JSON.stringify(figures)}`)
      if (lost > 0 || (guarantee === 'exactly_once_v2' && duplicates > 0)) {
        for (const [movie, want] of expected) {
          const got = changelog.totals.get(movie)
          if (got?.count !== want.count) {
            console.log(`[crash-test] movie ${movie}: want ${JSON.stringify(want)} got ${JSON.stringify(got)}`)
          }
        }
        for (const [i, c] of children.entries()) console.log(`[crash-test] child ${i}:\n  ${c.logs.join('\n  ')}`)
      }

      // A restarted instance restores the totals into its stores. RUNNING alone does not say that they are restored
      // to the changelog's end: the wait is for all six tasks, no store restoring, and every movie's count and sum
      // equal to the changelog's.
      const again = new KafkaStreams(topology, config, { logger: memoryLogger() })
      defer(t, () => again.close())
      await again.start()
      const sums = (): Map<number, CountAndSum | null> => {
        const store = again.store<bigint, CountAndSum>(COUNT_SUM_STORE)
        return new Map([...expected.keys()].map((movie) => [movie, store.get(BigInt(movie))]))
      }
      const storeDiff = (): string[] => {
        const got = sums()
        return [...expected.keys()]
          .filter((movie) => JSON.stringify(got.get(movie)) !== JSON.stringify(changelog.totals.get(movie) ?? null))
          .map(
            (m) =>
              `movie ${m}: store ${JSON.stringify(got.get(m))} changelog ${JSON.stringify(changelog.totals.get(m))}`
          )
      }
      let diff: string[] = ['not RUNNING yet']
      await waitFor(
        'the restarted instance restored to the changelog end',
        () => {
          const m = again.metrics()
          if (m.state !== 'RUNNING' || m.tasks.length !== 6 || m.restoringStores !== 0) return false
          try {
            diff = storeDiff()
          } catch (error) {
            // ILLEGAL_STATE: a task's stores are still hidden by a restore.
            diff = [(error as Error).message]
          }
          return diff.length === 0
        },
        90_000
      ).catch((error: unknown) => {
        throw new Error(`${(error as Error).message}: ${diff.slice(0, 5).join('; ')}`)
      })
      // It restored and processed nothing new: the changelog still ends where it was read.
      const after = await readCommitted(t, a, `${appId}-${COUNT_SUM_STORE}-changelog`)
      assert.deepEqual(after.ends, changelog.ends, 'the changelog did not move while the restarted instance started')

      assert.equal(lost, 0, 'no rating is lost')
      const averages = again.store<bigint, number>(AVERAGE_STORE)
      if (guarantee === 'exactly_once_v2') {
        assert.equal(duplicates, 0, 'no rating is counted twice')
        const out = latestPerMovie(averagesTopic, await readCommitted(t, a, averagesTopic), (b) =>
          Serdes.Double().deserialize(averagesTopic, b)
        )
        for (const [movie, want] of expected) {
          assert.deepEqual(changelog.totals.get(movie), want, `changelog count and sum of movie ${movie}`)
          assert.equal(averages.get(BigInt(movie)), want.sum / want.count, `store average of movie ${movie}`)
          assert.equal(out.get(movie), want.sum / want.count, `output average of movie ${movie}`)
        }
      } else {
        for (const [movie, want] of expected) {
          const got = changelog.totals.get(movie)
          assert.ok(got !== undefined && got.count >= want.count, `count of movie ${movie} is at least ${want.count}`)
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
    const sources = await sourceTopics(a, runningAverageTopology(ratingsTopic, averagesTopic), appId)
    assert.equal(sources.length, 2, `the ratings and one repartition topic: ${sources.join(', ')}`)
    await waitForGroupAtEnd(t, a, appId, sources, 180_000, () => {
      const gone = apps.findIndex((c) => !c.running)
      return gone < 0 ? undefined : `instance ${gone} exited: ${apps[gone]!.logs.slice(-5).join(' | ')}`
    })
    const { totals } = await changelogTotals(t, a, appId)
    const { lost, duplicates } = compare(expected, totals)
    const out = latestPerMovie(averagesTopic, await readCommitted(t, a, averagesTopic), (b) =>
      Serdes.Double().deserialize(averagesTopic, b)
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

test("the crash test's end condition holds only when the group's committed offsets reach the stable end", async (t) => {
  const a = await admin(t)
  const topic = uniqueName('crash-end')
  await a.createTopics([{ topic, partitions: 1, replicationFactor: 1 }])
  defer(t, () => a.deleteTopics([topic]))
  // Records 0-4 in one committed transaction; its commit marker is offset 5, so the last stable offset is 6.
  const p = await producer(t, { 'transactional.id': uniqueName('crash-end-tx') })
  await p.initTransactions()
  await p.beginTransaction()
  for (let i = 0; i < 5; i++) p.produce({ topic, partition: 0, key: null, value: Buffer.from(String(i)) })
  await p.flush()
  await p.commitTransaction()
  const group = uniqueName('crash-end-group')
  const committer = await consumer(t, { 'group.id': group })

  await committer.commit([{ topic, partition: 0, offset: 3 }])
  await assert.rejects(waitForGroupAtEnd(t, a, group, [topic], 1000), /committed 3 end 6 \(behind\)/)

  // An open transaction's records are not part of the stable end.
  await p.beginTransaction()
  p.produce({ topic, partition: 0, key: null, value: Buffer.from('open') })
  await p.flush()
  // "Last record + 1": only the commit marker lies between the committed offset and the end.
  await committer.commit([{ topic, partition: 0, offset: 5 }])
  const atMarker = await waitForGroupAtEnd(t, a, group, [topic], 10_000)
  assert.deepEqual(
    atMarker.map((x) => [x.committed, x.end]),
    [[5, 6]]
  )

  await p.commitTransaction()
  await assert.rejects(waitForGroupAtEnd(t, a, group, [topic], 1000), /committed 5 end 8 \(behind\)/)
  await committer.commit([{ topic, partition: 0, offset: 8 }])
  const atEnd = await waitForGroupAtEnd(t, a, group, [topic], 10_000)
  assert.deepEqual(
    atEnd.map((x) => [x.committed, x.end]),
    [[8, 8]]
  )
})
