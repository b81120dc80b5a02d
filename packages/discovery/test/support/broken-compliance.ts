// The compliance suite run against a strategy that breaks the contract (a
// lock that never excludes, an unregister that does nothing): it must fail.
// Run by compliance-selfcheck.test.ts in a process of its own.
import { memoryRegistry, newServer } from './memory-registry.js'
import { strategyCompliance } from '@tekka/testing/compliance/strategy'

const server = newServer()
strategyCompliance({ name: 'memory', factory: memoryRegistry, init: () => ({ server, broken: true }) })
