// Base for the store layers: forwards lifecycle calls to the store it wraps.
import type { StateStore, StateStoreContext } from '../state-store.ts'

export abstract class WrappedStore<S extends StateStore> implements StateStore {
  protected readonly wrapped: S

  constructor(wrapped: S) {
    this.wrapped = wrapped
  }

  get name(): string {
    return this.wrapped.name
  }

  persistent(): boolean {
    return this.wrapped.persistent()
  }

  init(context: StateStoreContext, root: StateStore): void {
    this.wrapped.init(context, root)
  }

  flush(): void {
    this.wrapped.flush()
  }

  close(): void {
    this.wrapped.close()
  }

  isOpen(): boolean {
    return this.wrapped.isOpen()
  }

  /** The innermost store of the stack. */
  inner(): StateStore {
    let s: StateStore = this.wrapped
    while (s instanceof WrappedStore) s = s.wrapped as StateStore
    return s
  }
}

const TS_BYTES = 8

/** `[8-byte big-endian timestamp][raw value]`, the value layout of Kafka Streams' timestamped stores. */
const TWO_32 = 4294967296

// Timestamps are safe integers, so two 32-bit halves encode them exactly without BigInt (a hot path).
export function writeTimestamp(out: Buffer, timestamp: number, offset: number): void {
  const hi = Math.floor(timestamp / TWO_32)
  out.writeInt32BE(hi, offset)
  out.writeUInt32BE(timestamp - hi * TWO_32, offset + 4)
}

export function readTimestamp(buffer: Buffer, offset: number): number {
  return buffer.readInt32BE(offset) * TWO_32 + buffer.readUInt32BE(offset + 4)
}

export function timestampedValue(raw: Buffer, timestamp: number): Buffer {
  const out = Buffer.allocUnsafe(TS_BYTES + raw.length)
  writeTimestamp(out, timestamp, 0)
  raw.copy(out, TS_BYTES)
  return out
}

export function rawValue(timestamped: Buffer): Buffer {
  return timestamped.subarray(TS_BYTES)
}

export function timestampOf(timestamped: Buffer): number {
  return readTimestamp(timestamped, 0)
}
