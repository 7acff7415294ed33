// Binary keys of window and session stores, byte for byte as Kafka Streams' WindowKeySchema and
// SessionKeySchema: the change-logging layers write them to changelog topics, so Java can restore from ours.
import { StreamsError } from '../../errors.ts'

const TIMESTAMP_SIZE = 8
const SEQNUM_SIZE = 4
const TWO_POW_32 = 4294967296

// Timestamps are ms numbers; two 32-bit halves write them as a big-endian int64 without a BigInt.
function writeLong(target: Buffer, value: number, offset: number): void {
  const hi = Math.floor(value / TWO_POW_32)
  target.writeInt32BE(hi, offset)
  target.writeUInt32BE(value - hi * TWO_POW_32, offset + 4)
}

function readLong(source: Buffer, offset: number): number {
  return source.readInt32BE(offset) * TWO_POW_32 + source.readUInt32BE(offset + 4)
}

function tooShort(what: string, length: number, min: number): StreamsError {
  return new StreamsError('DESERIALIZATION', `${what} of ${length} bytes is shorter than its ${min}-byte suffix`)
}

/** A decoded window store key. */
export interface WindowStoreKey {
  readonly key: Buffer
  readonly windowStart: number
  readonly seqnum: number
}

/** A decoded session store key. */
export interface SessionStoreKey {
  readonly key: Buffer
  readonly start: number
  readonly end: number
}

/** `[key][8-byte BE windowStart][4-byte BE seqnum]` (WindowKeySchema.toStoreKeyBinary). */
export function encodeWindowStoreKey(key: Buffer, windowStart: number, seqnum: number): Buffer {
  const out = Buffer.allocUnsafe(key.length + TIMESTAMP_SIZE + SEQNUM_SIZE)
  key.copy(out, 0)
  writeLong(out, windowStart, key.length)
  out.writeInt32BE(seqnum, key.length + TIMESTAMP_SIZE)
  return out
}

export function decodeWindowStoreKey(binary: Buffer): WindowStoreKey {
  const keyLength = binary.length - TIMESTAMP_SIZE - SEQNUM_SIZE
  if (keyLength < 0) throw tooShort('Window store key', binary.length, TIMESTAMP_SIZE + SEQNUM_SIZE)
  return {
    key: Buffer.from(binary.subarray(0, keyLength)),
    windowStart: readLong(binary, keyLength),
    seqnum: binary.readInt32BE(keyLength + TIMESTAMP_SIZE)
  }
}

/** `[key][8-byte BE windowStart]`: a time-windowed key as TimeWindowedSerializer writes it to output topics. */
export function encodeTimeWindowedKey(key: Buffer, windowStart: number): Buffer {
  const out = Buffer.allocUnsafe(key.length + TIMESTAMP_SIZE)
  key.copy(out, 0)
  writeLong(out, windowStart, key.length)
  return out
}

export function decodeTimeWindowedKey(binary: Buffer): { key: Buffer; windowStart: number } {
  const keyLength = binary.length - TIMESTAMP_SIZE
  if (keyLength < 0) throw tooShort('Time-windowed key', binary.length, TIMESTAMP_SIZE)
  return { key: Buffer.from(binary.subarray(0, keyLength)), windowStart: readLong(binary, keyLength) }
}

/** `[key][8-byte BE end][8-byte BE start]` (SessionKeySchema.toBinary; end comes first). */
export function encodeSessionStoreKey(key: Buffer, start: number, end: number): Buffer {
  const out = Buffer.allocUnsafe(key.length + 2 * TIMESTAMP_SIZE)
  key.copy(out, 0)
  writeLong(out, end, key.length)
  writeLong(out, start, key.length + TIMESTAMP_SIZE)
  return out
}

export function decodeSessionStoreKey(binary: Buffer): SessionStoreKey {
  const keyLength = binary.length - 2 * TIMESTAMP_SIZE
  if (keyLength < 0) throw tooShort('Session store key', binary.length, 2 * TIMESTAMP_SIZE)
  return {
    key: Buffer.from(binary.subarray(0, keyLength)),
    end: readLong(binary, keyLength),
    start: readLong(binary, keyLength + TIMESTAMP_SIZE)
  }
}
