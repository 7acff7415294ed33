import { test } from 'node:test'
import assert from 'node:assert/strict'
import { checkAssignmentStrategy } from '../../src/runtime/internals/topic-plan.ts'
import type { TopicPlan } from '../../src/runtime/internals/topic-plan.ts'

function plan(topics: Record<string, number>): TopicPlan {
  return {
    subscription: Object.keys(topics),
    subtopologyOfTopic: new Map(Object.entries(topics)),
    tasksPerSubtopology: new Map(),
    internalTopics: [],
    subtopologies: []
  }
}

const runningAverage = plan({ ratings: 0, 'app-rekey-repartition': 1 })
const join = plan({ orders: 0, customers: 0 })

test('assignment strategy: range is always accepted', () => {
  checkAssignmentStrategy('range', join)
  checkAssignmentStrategy('range', runningAverage)
})

test('assignment strategy: cooperative-sticky is accepted when every sub-topology reads one topic', () => {
  checkAssignmentStrategy('cooperative-sticky', runningAverage)
  checkAssignmentStrategy('roundrobin', runningAverage)
})

test('assignment strategy: an assignor that could split a task between instances is refused, naming the setting', () => {
  assert.throws(
    () => checkAssignmentStrategy('cooperative-sticky', join),
    (e: Error & { code?: string; setting?: string }) =>
      e.code === 'CONFIG_INVALID' &&
      e.setting === 'partition.assignment.strategy' &&
      /2 source topics of sub-topology 0/.test(e.message)
  )
  assert.throws(() => checkAssignmentStrategy('range,roundrobin', join), { code: 'CONFIG_INVALID' })
  assert.throws(() => checkAssignmentStrategy('sticky', runningAverage), /unknown assignor "sticky"/)
})
