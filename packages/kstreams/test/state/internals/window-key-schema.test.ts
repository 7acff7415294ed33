import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { StreamsError } from '../../../src/errors.ts'
import {
  decodeSessionStoreKey,
  decodeTimeWindowedKey,
  decodeWindowStoreKey,
  encodeSessionStoreKey,
  encodeTimeWindowedKey,
  encodeWindowStoreKey
} from '../../../src/state/internals/window-key-schema.ts'

describe('window and session store keys (Kafka Streams WindowKeySchema / SessionKeySchema)', () => {
  it('window store key is [key][8-byte BE windowStart][4-byte BE seqnum]', () => {
    const bytes = encodeWindowStoreKey(Buffer.from('k1'), 1_700_000_000_000, 7)
    assert.equal(bytes.toString('hex'), '6b31' + '0000018bcfe56800' + '00000007')
    assert.deepEqual(decodeWindowStoreKey(bytes), { key: Buffer.from('k1'), windowStart: 1_700_000_000_000, seqnum: 7 })
  })

  it('session store key puts end before start', () => {
    const bytes = encodeSessionStoreKey(Buffer.from([0xff]), 5, 2 ** 40)
    assert.equal(bytes.toString('hex'), 'ff' + '0000010000000000' + '0000000000000005')
    assert.deepEqual(decodeSessionStoreKey(bytes), { key: Buffer.from([0xff]), start: 5, end: 2 ** 40 })
  })

  it('time-windowed key is [key][8-byte BE windowStart]', () => {
    const bytes = encodeTimeWindowedKey(Buffer.alloc(0), 3_600_000)
    assert.equal(bytes.toString('hex'), '000000000036ee80')
    assert.deepEqual(decodeTimeWindowedKey(bytes), { key: Buffer.alloc(0), windowStart: 3_600_000 })
  })

  it('round-trips empty keys, zero, negative and the largest safe timestamps', () => {
    for (const t of [0, 1, -1, 2 ** 32, Number.MAX_SAFE_INTEGER, -(2 ** 40)]) {
      assert.equal(decodeWindowStoreKey(encodeWindowStoreKey(Buffer.alloc(0), t, 0)).windowStart, t)
      const session = decodeSessionStoreKey(encodeSessionStoreKey(Buffer.from('x'), t, t))
      assert.equal(session.start, t)
      assert.equal(session.end, t)
    }
    assert.equal(encodeWindowStoreKey(Buffer.alloc(0), -1, 0).subarray(0, 8).toString('hex'), 'ffffffffffffffff')
  })

  it('decoded keys do not alias the input', () => {
    const bytes = encodeWindowStoreKey(Buffer.from('abc'), 1, 1)
    const decoded = decodeWindowStoreKey(bytes)
    bytes[0] = 0x7a
    assert.equal(decoded.key.toString(), 'abc')
  })

  it('rejects keys shorter than the suffix', () => {
    const isDeserialization = (e: unknown) => e instanceof StreamsError && e.code === 'DESERIALIZATION'
    assert.throws(() => decodeWindowStoreKey(Buffer.alloc(11)), isDeserialization)
    assert.throws(() => decodeSessionStoreKey(Buffer.alloc(15)), isDeserialization)
    assert.throws(() => decodeTimeWindowedKey(Buffer.alloc(7)), isDeserialization)
  })
})
