import { type Logger } from '@tekka/actors';
import { type TekkaConfig } from './config.js';
import { type TekkaPlugin } from './plugin.js';
import { type DistNode, type NodeOptions } from './node.js';
/** A mistake in how the command was called. */
export declare class UsageError extends Error {
    readonly code = "ERR_USAGE";
}
/** What a started app may give back to be stopped with the node. */
export type AppStop = (() => unknown) | {
    stop: () => unknown;
} | undefined | void;
/** The shape of an app module: `export async function start(node, config) { ... }`. */
export interface AppModule {
    start?: (node: DistNode, config: TekkaConfig) => AppStop | Promise<AppStop>;
    stop?: (node: DistNode) => unknown;
}
/**
 * Loads the known plugin packages that are installed: from next to this
 * package, else from the working directory (where an app's own
 * node_modules are). A package that is present but fails to load is an error.
 */
export declare function loadPlugins(logger: Logger): Promise<TekkaPlugin[]>;
/**
 * Throws ConfigError for a key that no loaded plugin reads (its package is
 * not installed) set to anything but its default: a setting is honoured or
 * refused, never ignored.
 */
export declare function refuseUnsupported(config: TekkaConfig, plugins: readonly TekkaPlugin[]): void;
/** NodeOptions from a loaded configuration. */
export declare function nodeOptions(config: TekkaConfig, cookie: string, logger: Logger): NodeOptions;
/** Runs the command; resolves with the exit code. */
export declare function main(argv?: string[], out?: NodeJS.WritableStream): Promise<number>;
//# sourceMappingURL=cli.d.ts.map