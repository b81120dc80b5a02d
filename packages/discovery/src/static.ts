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
import { configValue } from '@tekka/dist'
import { nameProblem, describe } from './names.js'
import type { Strategy, StrategyComponents, StrategyDefinition, StrategyFactory } from './strategy.js'

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
  if (!Array.isArray(raw) && typeof raw !== 'string') throw new BadArgError(`static strategy: seeds must be a list of node names, got ${describe(raw)}`, 'seeds')
  const seeds: readonly unknown[] = typeof raw === 'string' ? raw.split(',').map((s) => s.trim()).filter((s) => s !== '') : [...raw as unknown[]]
  return (components) => new StaticStrategy(seeds, components)
}

/** `cluster.discovery = static`: `cluster.static.seeds`. */
export const staticDefinition: StrategyDefinition<StaticInit> = {
  name: 'static',
  keys: [
    // Items are plain strings: the strategy checks each seed, logs a malformed one and skips it, so one typo does not keep the node from starting.
    { key: 'cluster.static.seeds', type: 'list', items: 'string', default: [], defaultText: 'empty', doc: 'static: comma-separated node names (`name@host`) to cluster with; this node\'s own name may be listed. A seed that is not a node name is logged and skipped.', ekka: [{ key: 'cluster.static.seeds', note: 'a comma-separated list (ekka), or an array `["n1@h", "n2@h"]` (EMQX 5)' }] }
  ],
  read: (config) => ({ seeds: configValue(config, 'cluster.static.seeds') as string[] }),
  create: (init, components) => staticStrategy(init)(components)
}
