import { InMemoryKeyValueBytesStore } from '../../../src/state/internals/in-memory-key-value-bytes-store.ts'
import { keyValueBytesStoreContract } from '../contract/key-value-contract.ts'

keyValueBytesStoreContract('InMemoryKeyValueBytesStore', (name) => new InMemoryKeyValueBytesStore(name))
