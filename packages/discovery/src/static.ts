/**
 * The static strategy (ekka_cluster_static): the nodes to cluster with are
 * a fixed list of seeds (`cluster.static.seeds`). Every node may be given the
 * same list, its own name included: it is left out of what it discovers.
 *
 * A seed that is not a node name is logged once, naming the seed and what is
 * wrong with it, and skipped: one typo must not keep the node (or the rest
 * of the cluster) from starting.
 */
import { BadArgError } from '@tekka/actors'
import { nameProblem, describe } from './names.js'
import type { Strategy, StrategyComponents, StrategyFactory } from './strategy.js'

export interface StaticInit {
  /** Node names to cluster with (or one comma-separated string). Default: none. */
  seeds?: readonly string[] | string
}

class StaticStrategy implements Strategy {
  readonly name = 'static'
  readonly #seeds: readonly string[]

  constructor (seeds: readonly unknown[], c: StrategyComponents) {
    const ok: string[] = []
    for (const seed of seeds) {
      const problem = nameProblem(seed)
      if (problem !== undefined) {
        c.logger.warn(`static seed ${describe(seed)} skipped: ${problem}`, { seed: typeof seed === 'string' ? seed : describe(seed), problem })
        continue
      }
      if (seed === c.node || ok.includes(seed as string)) continue
      ok.push(seed as string)
    }
    this.#seeds = Object.freeze(ok)
  }

  async discover (): Promise<string[]> {
    return [...this.#seeds]
  }
}

export const staticStrategy: StrategyFactory<StaticInit> = (init = {}) => {
  // Defaults in one place; a copy, so a caller's later change to its array is not seen.
  const raw: unknown = init.seeds ?? []
  if (!Array.isArray(raw) && typeof raw !== 'string') throw new BadArgError(`static strategy: seeds must be a list of node names, got ${describe(raw)}`)
  const seeds: readonly unknown[] = typeof raw === 'string' ? raw.split(',').map((s) => s.trim()).filter((s) => s !== '') : [...raw as unknown[]]
  return (components) => new StaticStrategy(seeds, components)
}
