import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  changelogTopic,
  decorateTopic,
  metadataGroupId,
  repartitionTopicName,
  restoreGroupId,
  taskId,
  transactionalId
} from '../../src/internals/names.ts'

test("names: Kafka Streams' rules for internal topics and task ids", () => {
  assert.equal(changelogTopic('ratings-app', 'average-ratings'), 'ratings-app-average-ratings-changelog')
  assert.equal(
    repartitionTopicName('KSTREAM-AGGREGATE-STATE-STORE-0000000002'),
    'KSTREAM-AGGREGATE-STATE-STORE-0000000002-repartition'
  )
  const internal = new Set(['s-repartition'])
  assert.equal(decorateTopic('app', internal, 's-repartition'), 'app-s-repartition')
  assert.equal(decorateTopic('app', internal, 'ratings'), 'ratings', 'a user topic keeps its name')
  assert.equal(taskId(1, 2), '1_2')
})

test('names: client ids derived from the application id and the process id', () => {
  const pid = '0f8fad5b-d9cb-469f-a165-70867728950e'
  assert.equal(transactionalId('app', pid), `app-${pid}`)
  assert.equal(restoreGroupId('app', pid), `app-restore-${pid}`)
  assert.equal(metadataGroupId('app', pid), `app-metadata-${pid}`)
})
