// Serdes for the windowed keys of windowed aggregations, byte-compatible with Kafka Streams' TimeWindowedSerde
// (`[key][8-byte start]`; the end is start + window size) and SessionWindowedSerde (`[key][8-byte end][8-byte start]`).
// A windowed KTable carries one as its key serde, so toStream().to(topic) without serdes writes what Java writes.
import type { Headers } from '../../processor/record.ts'
import type { Serde, SerdeUsage } from '../../serdes/serde.ts'
import {
  decodeSessionStoreKey,
  decodeTimeWindowedKey,
  encodeSessionStoreKey,
  encodeTimeWindowedKey
} from '../../state/internals/window-key-schema.ts'
import { Window, Windowed } from '../windowed.ts'

function windowedSerde<K>(
  inner: Serde<K>,
  encode: (key: Buffer, window: Window) => Buffer,
  decode: (bytes: Buffer) => { key: Buffer; window: Window }
): Serde<Windowed<K>> {
  const serde: Serde<Windowed<K>> = {
    serialize(topic: string, data: Windowed<K> | null, headers?: Headers): Buffer | null {
      if (data === null) return null
      const key = inner.serialize(topic, data.key, headers)
      return key === null ? null : encode(key, data.window)
    },
    deserialize(topic: string, data: Buffer | null, headers?: Headers): Windowed<K> | null {
      if (data === null) return null
      const { key, window } = decode(data)
      return new Windowed(inner.deserialize(topic, key, headers) as K, window)
    }
  }
  if (inner.prepare !== undefined) {
    const prepare = inner.prepare.bind(inner)
    serde.prepare = (topic: string, isKey: boolean, usage?: SerdeUsage) => prepare(topic, isKey, usage)
  }
  return serde
}

/** Keys of time (tumbling, hopping) and sliding windows of `windowSizeMs`. */
export function timeWindowedSerde<K>(inner: Serde<K>, windowSizeMs: number): Serde<Windowed<K>> {
  return windowedSerde(
    inner,
    (key, window) => encodeTimeWindowedKey(key, window.start),
    (bytes) => {
      const { key, windowStart } = decodeTimeWindowedKey(bytes)
      // Kafka Streams caps the end at Long.MAX_VALUE; JavaScript numbers stop at MAX_SAFE_INTEGER.
      return { key, window: new Window(windowStart, Math.min(windowStart + windowSizeMs, Number.MAX_SAFE_INTEGER)) }
    }
  )
}

/** Keys of session windows. */
export function sessionWindowedSerde<K>(inner: Serde<K>): Serde<Windowed<K>> {
  return windowedSerde(
    inner,
    (key, window) => encodeSessionStoreKey(key, window.start, window.end),
    (bytes) => {
      const { key, start, end } = decodeSessionStoreKey(bytes)
      return { key, window: new Window(start, end) }
    }
  )
}
