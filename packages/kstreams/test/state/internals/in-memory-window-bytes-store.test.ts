import { InMemoryWindowBytesStore } from '../../../src/state/internals/in-memory-window-bytes-store.ts'
import { windowBytesStoreContract } from '../contract/window-contract.ts'

windowBytesStoreContract(
  'InMemoryWindowBytesStore',
  (name, retention, windowSize, retainDuplicates) =>
    new InMemoryWindowBytesStore(name, retention, windowSize, retainDuplicates)
)
