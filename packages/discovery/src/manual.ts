/**
 * The manual strategy: nothing is automatic. The node is clustered by
 * `tekka ctl cluster join NODE` (or `node.membership.join`) only, so
 * discover() finds nobody and the autocluster actor has nothing to do.
 */
import type { Strategy, StrategyComponents, StrategyDefinition, StrategyFactory } from './strategy.js'

/** `manual` takes no options. */
export type ManualInit = Record<string, never>

class ManualStrategy implements Strategy {
  readonly name = 'manual'
  async discover (): Promise<string[]> {
    return []
  }
}

export const manualStrategy: StrategyFactory<ManualInit> = () => (_components: StrategyComponents) => new ManualStrategy()

/** `cluster.discovery = manual` (the default): no keys of its own. */
export const manualDefinition: StrategyDefinition<ManualInit> = {
  name: 'manual',
  keys: [],
  read: () => ({}),
  create: (init, components) => manualStrategy(init)(components)
}
