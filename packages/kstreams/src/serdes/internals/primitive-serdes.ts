// Byte-compatible ports of Kafka's built-in serializers (org.apache.kafka.common.serialization).
import { StreamsError } from '../../errors.ts'
import type { Serde } from '../serde.ts'

const TWO_POW_32 = 4294967296

function sizeError(deserializer: string, expected: number, data: Buffer, topic: string): StreamsError {
  return new StreamsError(
    'DESERIALIZATION',
    `Size of data received by ${deserializer} is not ${expected} (got ${data.length} bytes)`,
    { topic }
  )
}

function typeError(serde: string, expected: string, data: unknown, topic: string): StreamsError {
  const shown = typeof data === 'bigint' ? `${data}n` : typeof data === 'string' ? JSON.stringify(data) : String(data)
  return new StreamsError(
    'SERIALIZATION',
    `${serde} serde cannot serialize ${shown} (${typeof data}): expected ${expected}`,
    {
      topic
    }
  )
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

// Java decodes the UTF-8 form of a surrogate (ED A0..BF, plus a continuation byte if present) to a single
// U+FFFD where WHATWG decoding (Buffer#toString) gives one per byte; every other malformed input agrees.
function decodeUtf8LikeJava(data: Buffer): string {
  let out = ''
  let from = 0
  for (let i = 0; i + 1 < data.length; i++) {
    if (data[i] !== 0xed || data[i + 1] < 0xa0 || data[i + 1] > 0xbf) continue
    out += data.toString('utf8', from, i) + '\uFFFD'
    from = i + 2 < data.length && (data[i + 2] & 0xc0) === 0x80 ? i + 3 : i + 2
    i = from - 1
  }
  return out + data.toString('utf8', from)
}

export class StringSerde implements Serde<string> {
  readonly name = 'String'

  serialize(topic: string, data: string | null): Buffer | null {
    if (data === null || data === undefined) return null
    if (typeof data !== 'string') throw typeError('String', 'a string', data, topic)
    // Java's encoder writes '?' for an unpaired surrogate (Buffer.from would write EF BF BD).
    if (!(data as unknown as { isWellFormed(): boolean }).isWellFormed()) data = data.replace(LONE_SURROGATE, '?')
    return Buffer.from(data, 'utf8')
  }

  deserialize(_topic: string, data: Buffer | null): string | null {
    if (data === null || data === undefined) return null
    const text = data.toString('utf8')
    // Only text with a replacement character can have been decoded differently from Java.
    return text.includes('\uFFFD') ? decodeUtf8LikeJava(data) : text
  }
}

export class LongSerde implements Serde<bigint> {
  readonly name = 'Long'

  serialize(topic: string, data: bigint | null): Buffer | null {
    if (data === null || data === undefined) return null
    if (typeof data !== 'bigint' || data > 0x7fffffffffffffffn || data < -0x8000000000000000n) {
      throw typeError(
        'Long',
        'a bigint within the signed 64-bit range (use Serdes.LongNumber() for numbers)',
        data,
        topic
      )
    }
    const out = Buffer.allocUnsafe(8)
    // Most longs (ids, counts) are safe integers: two 32-bit halves are much cheaper than BigInt buffer writes.
    const n = Number(data)
    if (Number.isSafeInteger(n)) {
      const hi = Math.floor(n / TWO_POW_32)
      out.writeInt32BE(hi, 0)
      out.writeUInt32BE(n - hi * TWO_POW_32, 4)
    } else {
      out.writeBigInt64BE(data, 0)
    }
    return out
  }

  deserialize(topic: string, data: Buffer | null): bigint | null {
    if (data === null || data === undefined) return null
    if (data.length !== 8) throw sizeError('LongDeserializer', 8, data, topic)
    const hi = data.readInt32BE(0)
    // |hi| < 2^21 keeps hi * 2^32 + lo within ±2^53: exact as a number, then one BigInt conversion.
    if (hi > -0x200000 && hi < 0x200000) return BigInt(hi * TWO_POW_32 + data.readUInt32BE(4))
    return data.readBigInt64BE(0)
  }
}

/** The Long wire format read as a JS number; refuses values a number cannot hold exactly. */
export class LongNumberSerde implements Serde<number> {
  readonly name = 'LongNumber'

  serialize(topic: string, data: number | null): Buffer | null {
    if (data === null || data === undefined) return null
    if (!Number.isSafeInteger(data)) {
      throw typeError('LongNumber', 'an integer within ±(2^53-1) (use Serdes.Long() for bigint)', data, topic)
    }
    // Two 32-bit halves avoid a BigInt allocation on the hot path; both halves are exact for safe integers.
    const hi = Math.floor(data / TWO_POW_32)
    const out = Buffer.allocUnsafe(8)
    out.writeInt32BE(hi, 0)
    out.writeUInt32BE(data - hi * TWO_POW_32, 4)
    return out
  }

  deserialize(topic: string, data: Buffer | null): number | null {
    if (data === null || data === undefined) return null
    if (data.length !== 8) throw sizeError('LongDeserializer', 8, data, topic)
    const hi = data.readInt32BE(0)
    const lo = data.readUInt32BE(4)
    // Safe range is [-(2^53-1), 2^53-1]: hi in [-2^21, 2^21), minus the single value -2^53.
    if (hi >= 0x200000 || hi < -0x200000 || (hi === -0x200000 && lo === 0)) {
      throw new StreamsError(
        'DESERIALIZATION',
        `LongNumber serde read ${data.readBigInt64BE(0)}, outside ±(2^53-1); use Serdes.Long() (bigint) for this topic`,
        { topic }
      )
    }
    return hi * TWO_POW_32 + lo
  }
}

export class IntegerSerde implements Serde<number> {
  readonly name = 'Integer'

  serialize(topic: string, data: number | null): Buffer | null {
    if (data === null || data === undefined) return null
    if (!Number.isInteger(data) || data > 0x7fffffff || data < -0x80000000) {
      throw typeError('Integer', 'an integer within the signed 32-bit range', data, topic)
    }
    const out = Buffer.allocUnsafe(4)
    out.writeInt32BE(data, 0)
    return out
  }

  deserialize(topic: string, data: Buffer | null): number | null {
    if (data === null || data === undefined) return null
    if (data.length !== 4) throw sizeError('IntegerDeserializer', 4, data, topic)
    return data.readInt32BE(0)
  }
}

export class ShortSerde implements Serde<number> {
  readonly name = 'Short'

  serialize(topic: string, data: number | null): Buffer | null {
    if (data === null || data === undefined) return null
    if (!Number.isInteger(data) || data > 0x7fff || data < -0x8000) {
      throw typeError('Short', 'an integer within the signed 16-bit range', data, topic)
    }
    const out = Buffer.allocUnsafe(2)
    out.writeInt16BE(data, 0)
    return out
  }

  deserialize(topic: string, data: Buffer | null): number | null {
    if (data === null || data === undefined) return null
    if (data.length !== 2) throw sizeError('ShortDeserializer', 2, data, topic)
    return data.readInt16BE(0)
  }
}

export class FloatSerde implements Serde<number> {
  readonly name = 'Float'

  serialize(topic: string, data: number | null): Buffer | null {
    if (data === null || data === undefined) return null
    if (typeof data !== 'number') throw typeError('Float', 'a number', data, topic)
    const out = Buffer.allocUnsafe(4)
    // Java's Float.NaN bits; JS cannot carry NaN payloads, so every NaN is written canonically.
    if (Number.isNaN(data)) out.writeUInt32BE(0x7fc00000, 0)
    else out.writeFloatBE(data, 0)
    return out
  }

  deserialize(topic: string, data: Buffer | null): number | null {
    if (data === null || data === undefined) return null
    if (data.length !== 4) throw sizeError('FloatDeserializer', 4, data, topic)
    return data.readFloatBE(0)
  }
}

export class DoubleSerde implements Serde<number> {
  readonly name = 'Double'

  serialize(topic: string, data: number | null): Buffer | null {
    if (data === null || data === undefined) return null
    if (typeof data !== 'number') throw typeError('Double', 'a number', data, topic)
    const out = Buffer.allocUnsafe(8)
    // Java's DoubleSerializer uses doubleToLongBits, which collapses every NaN to 0x7ff8000000000000.
    if (Number.isNaN(data)) {
      out.writeUInt32BE(0x7ff80000, 0)
      out.writeUInt32BE(0, 4)
    } else {
      out.writeDoubleBE(data, 0)
    }
    return out
  }

  deserialize(topic: string, data: Buffer | null): number | null {
    if (data === null || data === undefined) return null
    if (data.length !== 8) throw sizeError('DoubleDeserializer', 8, data, topic)
    return data.readDoubleBE(0)
  }
}

const TRUE_BYTES = Buffer.from([1])
const FALSE_BYTES = Buffer.from([0])

export class BooleanSerde implements Serde<boolean> {
  readonly name = 'Boolean'

  serialize(topic: string, data: boolean | null): Buffer | null {
    if (data === null || data === undefined) return null
    if (typeof data !== 'boolean') throw typeError('Boolean', 'a boolean', data, topic)
    // Fresh copies: a caller may keep and mutate the returned buffer.
    return Buffer.from(data ? TRUE_BYTES : FALSE_BYTES)
  }

  deserialize(topic: string, data: Buffer | null): boolean | null {
    if (data === null || data === undefined) return null
    if (data.length !== 1) throw sizeError('BooleanDeserializer', 1, data, topic)
    const b = data[0]
    if (b === 1) return true
    if (b === 0) return false
    throw new StreamsError('DESERIALIZATION', `Unexpected byte received by BooleanDeserializer: ${b}`, { topic })
  }
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export class UuidSerde implements Serde<string> {
  readonly name = 'UUID'

  serialize(topic: string, data: string | null): Buffer | null {
    if (data === null || data === undefined) return null
    if (typeof data !== 'string' || !UUID_PATTERN.test(data)) {
      throw typeError('UUID', 'a canonical UUID string (8-4-4-4-12 hex digits)', data, topic)
    }
    // java.util.UUID.toString() is lower-case, so a Java producer would write these exact bytes.
    return Buffer.from(data.toLowerCase(), 'latin1')
  }

  deserialize(topic: string, data: Buffer | null): string | null {
    if (data === null || data === undefined) return null
    const text = data.toString('latin1')
    if (data.length !== 36 || !UUID_PATTERN.test(text)) {
      throw new StreamsError('DESERIALIZATION', `Bytes received by UUIDDeserializer are not a canonical UUID string`, {
        topic
      })
    }
    return text.toLowerCase()
  }
}

export class ByteArraySerde implements Serde<Buffer> {
  readonly name = 'ByteArray'

  serialize(topic: string, data: Buffer | null): Buffer | null {
    if (data === null || data === undefined) return null
    if (!Buffer.isBuffer(data)) throw typeError('ByteArray', 'a Buffer', data, topic)
    return data
  }

  deserialize(_topic: string, data: Buffer | null): Buffer | null {
    return data ?? null
  }
}

export class VoidSerde implements Serde<null> {
  readonly name = 'Void'

  serialize(topic: string, data: null): Buffer | null {
    if (data !== null && data !== undefined) throw typeError('Void', 'null', data, topic)
    return null
  }

  deserialize(topic: string, data: Buffer | null): null {
    if (data !== null && data !== undefined) {
      throw new StreamsError('DESERIALIZATION', 'Data should be null for a VoidDeserializer', { topic })
    }
    return null
  }
}

export class JsonSerde<T> implements Serde<T> {
  readonly name = 'Json'

  serialize(topic: string, data: T | null): Buffer | null {
    if (data === null || data === undefined) return null
    let text: string | undefined
    try {
      text = JSON.stringify(data)
    } catch (cause) {
      throw new StreamsError('SERIALIZATION', `Json serde cannot serialize the value: ${(cause as Error).message}`, {
        topic,
        cause
      })
    }
    if (text === undefined) throw typeError('Json', 'a JSON-serializable value', data, topic)
    return Buffer.from(text, 'utf8')
  }

  deserialize(topic: string, data: Buffer | null): T | null {
    if (data === null || data === undefined) return null
    try {
      return JSON.parse(data.toString('utf8')) as T
    } catch (cause) {
      throw new StreamsError('DESERIALIZATION', `Bytes received by the Json serde are not valid JSON`, { topic, cause })
    }
  }
}
