// The compliance suite with a registry and a lock (an in-memory one): the
// register / unregister and lock checks that manual and static skip.
import { memoryRegistry, newServer } from './support/memory-registry.js'
import { strategyCompliance } from '@tekka/testing/compliance/strategy'

const server = newServer()
strategyCompliance({ name: 'memory', factory: memoryRegistry, init: () => ({ server }) })
