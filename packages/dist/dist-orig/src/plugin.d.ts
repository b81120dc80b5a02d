/**
 * The plugin contract: how the layers above dist (discovery, heal, lock)
 * plug into a node started by the `tekka` command without dist importing
 * them. A plugin package exports `plugin: TekkaPlugin`; the command loads the
 * known plugin packages that are installed, starts them in order once the
 * node and its membership are up, and stops them in reverse order.
 */
import type { TekkaConfig } from './config.js';
import type { DistNode } from './node.js';
export interface PluginInstance {
    stop(): Promise<void> | void;
}
export interface TekkaPlugin {
    /** Package name, e.g. `@tekka/discovery`. */
    readonly name: string;
    /**
     * Config key prefixes this plugin reads (`cluster.discovery`,
     * `cluster.static.`): without the plugin, setting them is refused.
     */
    readonly configKeys: readonly string[];
    start(node: DistNode, config: TekkaConfig): Promise<PluginInstance> | PluginInstance;
}
/** The plugin packages the command knows, in start order, with the keys each one reads. */
export declare const KNOWN_PLUGINS: ReadonlyArray<{
    name: string;
    configKeys: readonly string[];
    what: string;
}>;
export declare function isTekkaPlugin(v: unknown): v is TekkaPlugin;
//# sourceMappingURL=plugin.d.ts.map