/**
 * tekka — a whole node: @tekka/dist with the plugins that make a cluster of
 * it (@tekka/discovery, @tekka/heal, @tekka/lock), started from one
 * configuration, and the `tekka` command. This package sits above the
 * plugins, as js-libp2p's `libp2p` sits above its modules: it is the one
 * place that lists them, so dist names none.
 *
 * ```ts
 * import { startTekka } from 'tekka'
 *
 * const t = await startTekka({ config: { file: 'tekka.conf', overrides: { 'node.name': 'n1@127.0.0.1' } } })
 * t.node.events.on('dist.nodeup', (e) => { console.log('up:', e.peer) })
 * // ... your actors on t.node ...
 * await t.stop()
 * ```
 *
 * Other plugins go in the list: `startTekka({ plugins: [...defaultPlugins(), myPlugin] })`.
 */
export { startTekka, loadTekkaConfig } from './start.js'
export type { TekkaOptions, TekkaNode } from './start.js'
export { defaultPlugins, configSections } from './plugins.js'
export { main } from './cli.js'
export { configLogger } from './log.js'
export type { AppModule, AppStop } from './cli.js'
export { registerCtlCommands, formatStatus } from './ctl-commands.js'
export { UsageError, AppStartError, TEKKA_ERRORS } from './errors.js'
export type { TekkaCommandErrorCode } from './errors.js'
export type { ManagementInstance } from '@tekka/management'
