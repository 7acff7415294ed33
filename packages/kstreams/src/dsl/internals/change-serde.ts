// Serde for Change<V> on KGroupedTable repartition topics: [flags][4-byte new length][new][old].
import type { Serde } from '../../serdes/serde.ts'
import { Change } from './change.ts'

const HAS_NEW = 1
const HAS_OLD = 2

export class ChangeSerde<V> implements Serde<Change<V>> {
  readonly #inner: Serde<V>
  constructor(inner: Serde<V>) {
    this.#inner = inner
  }

  serialize(topic: string, data: Change<V> | null): Buffer | null {
    if (data === null) return null
    const n = data.newValue === null ? null : this.#inner.serialize(topic, data.newValue)
    const o = data.oldValue === null ? null : this.#inner.serialize(topic, data.oldValue)
    const out = Buffer.allocUnsafe(5 + (n?.length ?? 0) + (o?.length ?? 0))
    out[0] = (n !== null ? HAS_NEW : 0) | (o !== null ? HAS_OLD : 0)
    out.writeInt32BE(n?.length ?? 0, 1)
    if (n !== null) n.copy(out, 5)
    if (o !== null) o.copy(out, 5 + (n?.length ?? 0))
    return out
  }

  deserialize(topic: string, data: Buffer | null): Change<V> | null {
    if (data === null) return null
    const flags = data[0] as number
    const newLength = data.readInt32BE(1)
    const n = (flags & HAS_NEW) !== 0 ? this.#inner.deserialize(topic, data.subarray(5, 5 + newLength)) : null
    const o = (flags & HAS_OLD) !== 0 ? this.#inner.deserialize(topic, data.subarray(5 + newLength)) : null
    return new Change(n, o)
  }
}
