import { InMemorySessionBytesStore } from '../../../src/state/internals/in-memory-session-bytes-store.ts'
import { sessionBytesStoreContract } from '../contract/session-contract.ts'

sessionBytesStoreContract(
  'InMemorySessionBytesStore',
  (name, retention) => new InMemorySessionBytesStore(name, retention)
)
