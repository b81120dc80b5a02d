/**
 * The plugin contract: how a part above dist (discovery, heal, lock, or a
 * third party's) plugs into a node without dist knowing it. A plugin brings
 * its name, its own config section (keys, defaults, validation: see
 * config/schema.ts) and a start function that gets the node's components.
 * Types only; `tekka` (the command's package) lists the plugins it starts,
 * and code can pass its own to `startTekka`.
 *
 * ```ts
 * export const plugin: TekkaPlugin<{ interval: number }> = {
 *   name: 'my-plugin',
 *   description: 'says hello now and then',
 *   config: { owner: 'my-plugin', keys: [{ key: 'hello.interval', type: 'duration', default: 5000, doc: '...' }],
 *             read: (c) => ({ interval: configValue(c, 'hello.interval') as number }) },
 *   start (components, { interval }) {
 *     const log = components.logger.child('hello')
 *     let t = components.clock.setTimeout(function tick () { log.info('hello'); t = components.clock.setTimeout(tick, interval) }, interval)
 *     return { stop: () => { components.clock.clearTimeout(t) } }
 *   }
 * }
 * ```
 */
import type { NodeComponents } from './components.js'
import type { ConfigSection } from './config/schema.js'
import type { TekkaErrorClass } from '@tekka/actors'

/** A started plugin: `stop` undoes everything `start` set up, and is safe to call twice. */
export interface PluginInstance {
  /**
   * Optional: called on every running plugin, last started first, before
   * the node stops anything (its applications, the plugins): for what must
   * happen while the whole node still runs, such as leaving the cluster.
   */
  beforeStop?(): Promise<void> | void
  stop(): Promise<void> | void
}

export interface TekkaPlugin<Settings = unknown, Instance extends PluginInstance = PluginInstance> {
  /** Package or plugin name, e.g. `@tekka/heal`. */
  readonly name: string
  /** What it does, for messages (`autoheal and autoclean`). */
  readonly description: string
  /** The config keys it owns, their defaults and checks, and its typed view of them. */
  readonly config: ConfigSection<Settings>
  /** Error classes by code, so its errors cross the wire as themselves (see registerErrors). */
  readonly errors?: Readonly<Record<string, TekkaErrorClass>>
  /** Starts it on a node that is up, with its settings read from the loaded config. */
  start(components: NodeComponents, settings: Settings): Promise<Instance> | Instance
}
