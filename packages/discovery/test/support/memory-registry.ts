// A registry strategy in memory (what etcd or k8s give, without a server):
// nodes register themselves in a shared table, and one cluster-wide lock.
// It exercises the parts of the compliance suite and of the autocluster
// actor that manual and static leave out; `broken` makes it violate the
// contract on purpose, to show the suite notices.
import type { Strategy, StrategyComponents, StrategyFactory } from '../../src/strategy.js'

export interface MemoryServer {
  readonly nodes: Set<string>
  lockOwner: string | undefined
}

export interface MemoryInit {
  server?: MemoryServer
  /** Violations: a lock that never excludes, an unregister that does nothing. */
  broken?: boolean
}

export const newServer = (): MemoryServer => ({ nodes: new Set(), lockOwner: undefined })

class MemoryRegistry implements Strategy {
  readonly name = 'memory'
  readonly #server: MemoryServer
  readonly #self: string
  readonly #broken: boolean
  #stopped = false

  constructor (server: MemoryServer, broken: boolean, c: StrategyComponents) {
    this.#server = server
    this.#self = c.node
    this.#broken = broken
  }

  #check (): void {
    if (this.#stopped) throw new Error('memory registry: stopped')
  }

  async discover (): Promise<string[]> { this.#check(); return [...this.#server.nodes] }
  async register (): Promise<void> { this.#check(); this.#server.nodes.add(this.#self) }
  async unregister (): Promise<void> { this.#check(); if (!this.#broken) this.#server.nodes.delete(this.#self) }
  async lock (): Promise<boolean> {
    this.#check()
    if (this.#broken) return true
    if (this.#server.lockOwner !== undefined && this.#server.lockOwner !== this.#self) return false
    this.#server.lockOwner = this.#self
    return true
  }

  async unlock (): Promise<void> {
    this.#check()
    if (this.#server.lockOwner === this.#self) this.#server.lockOwner = undefined
  }

  start (): void { this.#stopped = false }
  stop (): void { this.#stopped = true }
}

export const memoryRegistry: StrategyFactory<MemoryInit> = (init = {}) => {
  const server = init.server ?? newServer()
  const broken = init.broken ?? false
  return (components) => new MemoryRegistry(server, broken, components)
}
