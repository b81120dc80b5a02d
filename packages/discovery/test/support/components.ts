/** Strategy components without a node (a name is all the etcd, dns and k8s strategies need of it). */
import { silentLogger, systemClock, type Logger } from '@tekka/actors'
import type { StrategyComponents } from '../../src/strategy.js'

export function components (node: string, opts: { cluster?: string, logger?: Logger, signal?: AbortSignal } = {}): StrategyComponents {
  return {
    node,
    cluster: opts.cluster ?? 'tekka',
    port: undefined,
    clock: systemClock(),
    logger: opts.logger ?? silentLogger('tekka:discovery:etcd'),
    signal: opts.signal ?? new AbortController().signal
  }
}
