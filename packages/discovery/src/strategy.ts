/**
 * The discovery strategy contract (ekka_cluster_strategy), types only.
 *
 * A strategy answers one question for the autocluster actor: which nodes
 * should this node be clustered with? Some strategies also keep a registry
 * (etcd, k8s: `register` / `unregister` this node) and a cluster-wide lock
 * (`lock` / `unlock`) so that only one node joins at a time.
 *
 * Semantics, as ekka's behaviour defines them:
 *
 * - `discover()` resolves with node names (`name@host`). A registry-backed
 *   strategy includes this node once it is registered: that is how the
 *   autocluster actor knows registration took. Names it cannot vouch for are
 *   still only names: the actor checks every one (malformed names are logged
 *   and skipped; nodes that do not answer are retried at the next round).
 *   A rejection means "no answer this round" (ekka's `{error, Reason}`).
 * - `lock()` resolves `true` when this node now holds the strategy's
 *   cluster-wide autocluster lock, `false` when another node holds it (the
 *   round is skipped and retried). A strategy without a lock leaves `lock`
 *   and `unlock` out (ekka's `ignore`): the actor then waits a random delay
 *   before joining, so nodes started together do not all join at once.
 * - `unlock()` releases this node's lock. It is called after every round
 *   that called `lock()`, whatever happened (also after `lock()` failed or
 *   answered `false`), so it must release only a lock this node holds and be
 *   harmless otherwise.
 * - `register()` makes this node discoverable by the others; `unregister()`
 *   takes it back (on leaving the cluster, and when the node stops). Both
 *   are idempotent. A strategy has both or neither.
 * - `start()` / `stop()` bracket the strategy's life (connections, leases,
 *   timers); each is safe to call twice, and `stop()` undoes all of `start()`.
 *   A call on a stopped strategy must settle (resolve or reject), never hang
 *   or throw synchronously.
 *
 * Every call may be bounded by the caller: it passes an `AbortSignal` that is
 * aborted when it stops waiting, so a strategy that talks to a server can
 * give up the request.
 *
 * Construction is two-step: `(init) => (components) => Strategy`. `init` is
 * the user's part (seeds, server URL; defaults applied in one place), the
 * components are what the node injects (its name, clock, logger).
 *
 * A strategy the `tekka` command can choose also has a definition
 * (`StrategyDefinition`): the value of `cluster.discovery` that selects it,
 * its config keys and their rules, and how it is built from a loaded
 * configuration. The discovery plugin's config section is assembled from
 * the definitions it is given.
 *
 * ```ts
 * const strategy = staticStrategy({ seeds: ['n1@10.0.0.1', 'n2@10.0.0.2'] })(components)
 * await strategy.start?.()
 * console.log(await strategy.discover())
 * ```
 */
import type { Clock, Logger } from '@tekka/actors'
import type { Config, ConfigKeySpec, ConfigValues } from '@tekka/dist'

/** Options of every strategy call. */
export interface StrategyCallOptions {
  /** Aborted when the caller gives up waiting (a timeout, the node stopping). */
  signal?: AbortSignal
}

export interface Strategy {
  /** Short name for logs and `autocluster status` (`static`, `etcd`). */
  readonly name: string
  /**
   * How long one call takes by design, in ms (mdns: a discover listens for
   * its whole browse window). The autocluster actor gives each call at least
   * this plus some slack before counting it as failed. Default: 0.
   */
  readonly callTime?: number
  /** Node names to cluster with. */
  discover(options?: StrategyCallOptions): Promise<string[]>
  /** Takes the cluster-wide autocluster lock: true if taken, false if another node holds it. */
  lock?(options?: StrategyCallOptions): Promise<boolean>
  /** Releases this node's lock, if it holds it. */
  unlock?(options?: StrategyCallOptions): Promise<void>
  /** Makes this node discoverable. */
  register?(options?: StrategyCallOptions): Promise<void>
  /** Makes this node no longer discoverable. */
  unregister?(options?: StrategyCallOptions): Promise<void>
  start?(): Promise<void> | void
  stop?(): Promise<void> | void
}

/** What the node injects into a strategy. */
export interface StrategyComponents {
  /** This node's name, `name@host`. */
  readonly node: string
  /** `cluster.name`: registries keep clusters apart by it. */
  readonly cluster: string
  /** The port this node listens on, for strategies that advertise it (mdns); undefined for a client-only node. */
  readonly port: number | undefined
  /** The node's clock: every timer and TTL of a strategy reads it. */
  readonly clock: Clock
  /** A logger named for the strategy (`tekka:discovery:static`). */
  readonly logger: Logger
  /** Aborted when the node's discovery stops: pending requests should end. */
  readonly signal: AbortSignal
}

/** Two-step construction: the user's `init`, then the node's components. */
export type StrategyFactory<Init = Record<string, never>> = (init?: Init) => (components: StrategyComponents) => Strategy

/**
 * A strategy as the discovery plugin knows it. Each strategy module exports
 * one (`staticDefinition`, `etcdDefinition`, ...); the plugin's config
 * section is assembled from the definitions, and `cluster.discovery`
 * allows exactly their names.
 *
 * ```ts
 * export const staticDefinition: StrategyDefinition<StaticInit> = {
 *   name: 'static',
 *   keys: [{ key: 'cluster.static.seeds', type: 'list', items: 'string', default: [], doc: '...' }],
 *   read: (config) => ({ seeds: configValue(config, 'cluster.static.seeds') as string[] }),
 *   create: (init, components) => staticStrategy(init)(components)
 * }
 * ```
 */
export interface StrategyDefinition<Init = unknown> {
  /** The value of `cluster.discovery` that selects it; also `strategy.name`. */
  readonly name: string
  /** The keys it owns (`cluster.<name>.*`), in documentation order. */
  readonly keys: readonly ConfigKeySpec[]
  /**
   * Rules between its keys, run when the configuration is loaded, whichever
   * strategy is chosen; `chosen` says whether `cluster.discovery` names this one.
   * Report a problem with `values.fail(key, message)` on the key to change.
   */
  check?(values: ConfigValues, chosen: boolean): void
  /** Its init, from a loaded configuration (its own keys). */
  read(config: Config): Init
  /**
   * The strategy of a node. Throws a ConfigError naming the key to change
   * when this node cannot run it (mdns on a node that listens on no port).
   */
  create(init: Init, components: StrategyComponents): Strategy
}
