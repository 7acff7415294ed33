import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { StreamsError } from '../../src/errors.ts'
import { Serdes } from '../../src/serdes/serdes.ts'
import type { Serde } from '../../src/serdes/serde.ts'

const T = 'topic-a'

function hex(buf: Buffer | null): string | null {
  return buf === null ? null : buf.toString('hex')
}

function assertCode(fn: () => unknown, code: string, pattern?: RegExp): StreamsError {
  let caught: unknown
  try {
    fn()
  } catch (error) {
    caught = error
  }
  assert.ok(caught instanceof StreamsError, `expected a StreamsError, got ${String(caught)}`)
  assert.equal(caught.code, code)
  if (pattern) assert.match(caught.message, pattern)
  return caught
}

function roundTrip<V>(serde: Serde<V>, value: V, expectedHex: string): void {
  const bytes = serde.serialize(T, value)
  assert.equal(hex(bytes), expectedHex, `bytes of ${String(value)}`)
  assert.deepEqual(serde.deserialize(T, bytes), value)
}

describe('Serdes: null handling', () => {
  const all: Array<[string, Serde<never>]> = Object.entries(Serdes).map(([name, f]) => [name, f() as Serde<never>])
  for (const [name, serde] of all) {
    it(`${name} maps null to null both ways`, () => {
      assert.equal(serde.serialize(T, null), null)
      assert.equal(serde.deserialize(T, null), null)
    })
  }

  it('returns singletons', () => {
    assert.equal(Serdes.Long(), Serdes.Long())
    assert.equal(Serdes.String(), Serdes.String())
  })
})

describe('Serdes.String', () => {
  it('writes UTF-8, including empty and non-BMP strings', () => {
    roundTrip(Serdes.String(), '', '')
    roundTrip(Serdes.String(), 'abc', '616263')
    roundTrip(Serdes.String(), 'é', 'c3a9')
    roundTrip(Serdes.String(), '😀', 'f09f9880')
  })
})

describe('Serdes.String: malformed text, as Java', () => {
  it('writes ? for unpaired surrogates', () => {
    assert.equal(hex(Serdes.String().serialize(T, 'a\ud800b\udc00')), '613f623f')
    assert.equal(hex(Serdes.String().serialize(T, '\ud83d\ude00')), 'f09f9880')
  })

  it('reads an encoded surrogate as one U+FFFD, with or without its last byte', () => {
    const read = (h: string) => Serdes.String().deserialize(T, Buffer.from(h, 'hex'))
    assert.equal(read('61eda08062'), 'a\ufffdb')
    assert.equal(read('eda041'), '\ufffdA')
    assert.equal(read('61eda0'), 'a\ufffd')
    assert.equal(read('efbfbd'), '\ufffd')
    assert.equal(read('c0af'), '\ufffd\ufffd')
  })
})

describe('Serdes.Long (bigint)', () => {
  it('writes 8-byte big-endian two complement, exact for every 64-bit value', () => {
    const s = Serdes.Long()
    roundTrip(s, 0n, '0000000000000000')
    roundTrip(s, -1n, 'ffffffffffffffff')
    roundTrip(s, 1n, '0000000000000001')
    roundTrip(s, 2n ** 53n + 1n, '0020000000000001')
    roundTrip(s, -(2n ** 53n) - 1n, 'ffdfffffffffffff')
    roundTrip(s, 2n ** 63n - 1n, '7fffffffffffffff')
    roundTrip(s, -(2n ** 63n), '8000000000000000')
  })

  it('rejects out-of-range and non-bigint values', () => {
    assertCode(() => Serdes.Long().serialize(T, 2n ** 63n), 'SERIALIZATION', /64-bit/)
    assertCode(() => Serdes.Long().serialize(T, 1 as unknown as bigint), 'SERIALIZATION', /bigint/)
  })

  it('rejects bytes of the wrong size with a clear message naming the topic', () => {
    const error = assertCode(
      () => Serdes.Long().deserialize(T, Buffer.alloc(7)),
      'DESERIALIZATION',
      /Size of data received by LongDeserializer is not 8/
    )
    assert.equal(error.topic, T)
  })
})

describe('Serdes.LongNumber', () => {
  it('writes the same bytes as Long for safe integers', () => {
    const s = Serdes.LongNumber()
    roundTrip(s, 0, '0000000000000000')
    roundTrip(s, -1, 'ffffffffffffffff')
    roundTrip(s, 2 ** 32, '0000000100000000')
    roundTrip(s, -(2 ** 32), 'ffffffff00000000')
    roundTrip(s, Number.MAX_SAFE_INTEGER, '001fffffffffffff')
    roundTrip(s, Number.MIN_SAFE_INTEGER, 'ffe0000000000001')
    for (const n of [123456789012, -987654321098, 4294967295, -4294967297]) {
      assert.equal(hex(s.serialize(T, n)), hex(Serdes.Long().serialize(T, BigInt(n))))
    }
    assert.equal(hex(s.serialize(T, -0)), '0000000000000000')
  })

  it('refuses values a number cannot hold exactly', () => {
    assertCode(() => Serdes.LongNumber().serialize(T, 2 ** 53), 'SERIALIZATION', /2\^53/)
    assertCode(() => Serdes.LongNumber().serialize(T, 1.5), 'SERIALIZATION', /integer/)
    assertCode(() => Serdes.LongNumber().serialize(T, Number.NaN), 'SERIALIZATION')
    const s = Serdes.LongNumber()
    for (const big of [2n ** 53n, -(2n ** 53n), 2n ** 53n + 1n, 2n ** 63n - 1n, -(2n ** 63n)]) {
      assertCode(() => s.deserialize(T, Serdes.Long().serialize(T, big)), 'DESERIALIZATION', /Serdes\.Long\(\)/)
    }
    assertCode(() => s.deserialize(T, Buffer.alloc(4)), 'DESERIALIZATION', /LongDeserializer is not 8/)
  })
})

describe('Serdes.Integer and Serdes.Short', () => {
  it('writes big-endian two complement', () => {
    roundTrip(Serdes.Integer(), 0, '00000000')
    roundTrip(Serdes.Integer(), -1, 'ffffffff')
    roundTrip(Serdes.Integer(), 2147483647, '7fffffff')
    roundTrip(Serdes.Integer(), -2147483648, '80000000')
    roundTrip(Serdes.Short(), -1, 'ffff')
    roundTrip(Serdes.Short(), 32767, '7fff')
    roundTrip(Serdes.Short(), -32768, '8000')
  })

  it('rejects out-of-range values and wrong sizes', () => {
    assertCode(() => Serdes.Integer().serialize(T, 2 ** 31), 'SERIALIZATION')
    assertCode(() => Serdes.Integer().serialize(T, 0.5), 'SERIALIZATION')
    assertCode(() => Serdes.Short().serialize(T, 40000), 'SERIALIZATION')
    assertCode(
      () => Serdes.Integer().deserialize(T, Buffer.alloc(8)),
      'DESERIALIZATION',
      /IntegerDeserializer is not 4/
    )
    assertCode(() => Serdes.Short().deserialize(T, Buffer.alloc(1)), 'DESERIALIZATION', /ShortDeserializer is not 2/)
  })
})

describe('Serdes.Double and Serdes.Float', () => {
  it('writes IEEE-754 big-endian, with Java bits for edge values', () => {
    const d = Serdes.Double()
    roundTrip(d, 0, '0000000000000000')
    roundTrip(d, -0, '8000000000000000')
    roundTrip(d, 1.5, '3ff8000000000000')
    roundTrip(d, Infinity, '7ff0000000000000')
    roundTrip(d, -Infinity, 'fff0000000000000')
    roundTrip(d, Number.MIN_VALUE, '0000000000000001')
    roundTrip(d, Number.MAX_VALUE, '7fefffffffffffff')
    assert.ok(Object.is(d.deserialize(T, d.serialize(T, -0)), -0))
    assert.equal(hex(d.serialize(T, Number.NaN)), '7ff8000000000000')
    assert.ok(Number.isNaN(d.deserialize(T, Buffer.from('7ff8000000000000', 'hex'))))
    assert.ok(Number.isNaN(d.deserialize(T, Buffer.from('fff0000000000001', 'hex'))))
  })

  it('Float rounds to single precision', () => {
    const f = Serdes.Float()
    roundTrip(f, 1.5, '3fc00000')
    roundTrip(f, -0, '80000000')
    roundTrip(f, Infinity, '7f800000')
    assert.equal(hex(f.serialize(T, Number.NaN)), '7fc00000')
    assert.equal(f.deserialize(T, f.serialize(T, 0.1)), Math.fround(0.1))
    roundTrip(f, 1.401298464324817e-45, '00000001')
  })

  it('rejects wrong sizes and non-numbers', () => {
    assertCode(() => Serdes.Double().deserialize(T, Buffer.alloc(4)), 'DESERIALIZATION', /DoubleDeserializer is not 8/)
    assertCode(() => Serdes.Float().deserialize(T, Buffer.alloc(8)), 'DESERIALIZATION', /FloatDeserializer is not 4/)
    assertCode(() => Serdes.Double().serialize(T, '1' as unknown as number), 'SERIALIZATION')
  })
})

describe('Serdes.Boolean', () => {
  it('writes one byte and accepts only 0 and 1', () => {
    roundTrip(Serdes.Boolean(), true, '01')
    roundTrip(Serdes.Boolean(), false, '00')
    assertCode(() => Serdes.Boolean().deserialize(T, Buffer.from([2])), 'DESERIALIZATION', /Unexpected byte/)
    assertCode(() => Serdes.Boolean().deserialize(T, Buffer.alloc(2)), 'DESERIALIZATION', /is not 1/)
  })

  it('returns a fresh buffer each time', () => {
    const a = Serdes.Boolean().serialize(T, true)
    assert.ok(a)
    a[0] = 0
    assert.equal(hex(Serdes.Boolean().serialize(T, true)), '01')
  })
})

describe('Serdes.UUID', () => {
  it('writes the lower-case canonical string, as java.util.UUID.toString()', () => {
    const u = Serdes.UUID()
    const id = '123E4567-E89B-12D3-A456-426614174000'
    const bytes = u.serialize(T, id)
    assert.equal(bytes?.toString('latin1'), id.toLowerCase())
    assert.equal(u.deserialize(T, bytes), id.toLowerCase())
  })

  it('rejects malformed UUIDs', () => {
    assertCode(() => Serdes.UUID().serialize(T, 'not-a-uuid'), 'SERIALIZATION', /UUID/)
    assertCode(() => Serdes.UUID().deserialize(T, Buffer.from('xyz')), 'DESERIALIZATION', /UUID/)
  })
})

describe('Serdes.ByteArray, Serdes.Void and Serdes.Json', () => {
  it('ByteArray passes bytes through', () => {
    const b = Buffer.from([0, 255, 1])
    assert.equal(Serdes.ByteArray().serialize(T, b), b)
    assert.equal(Serdes.ByteArray().deserialize(T, b), b)
    assertCode(() => Serdes.ByteArray().serialize(T, 'x' as unknown as Buffer), 'SERIALIZATION')
  })

  it('Void accepts only null', () => {
    assertCode(() => Serdes.Void().deserialize(T, Buffer.alloc(0)), 'DESERIALIZATION', /Data should be null/)
    assertCode(() => Serdes.Void().serialize(T, 1 as unknown as null), 'SERIALIZATION')
  })

  it('Json writes plain UTF-8 JSON', () => {
    const j = Serdes.Json<{ movieId: number; title: string }>()
    roundTrip(
      j,
      { movieId: 362, title: 'Lethal Weapon é' },
      Buffer.from('{"movieId":362,"title":"Lethal Weapon é"}').toString('hex')
    )
    assertCode(() => j.deserialize(T, Buffer.from('{oops')), 'DESERIALIZATION', /not valid JSON/)
    assertCode(() => Serdes.Json<unknown>().serialize(T, { n: 1n }), 'SERIALIZATION', /BigInt/)
    assertCode(() => Serdes.Json<unknown>().serialize(T, () => 1), 'SERIALIZATION')
  })
})
