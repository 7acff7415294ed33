import type { RestoreCallback, StateStore, StateStoreContext } from '../state-store.ts'
import { timestampedValue } from './wrapped-store.ts'

/**
 * A context whose `register` converts restored changelog values (raw) into the `[timestamp][raw]` layout
 * that timestamped inner stores hold, as Kafka Streams' record converters do.
 */
export function timestampedRestoreContext(context: StateStoreContext): StateStoreContext {
  const converting = Object.create(context) as StateStoreContext
  Object.defineProperty(converting, 'register', {
    value: (store: StateStore, restore: RestoreCallback) =>
      context.register(store, (batch) =>
        restore(
          batch.map((r) => ({
            key: r.key,
            value: r.value === null ? null : timestampedValue(r.value, r.timestamp),
            timestamp: r.timestamp
          }))
        )
      )
  })
  return converting
}
