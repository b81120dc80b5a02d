import { TekkaError } from '@tekka/actors';
/**
 * A configuration value, key or file that cannot be used. `key` and `source`
 * (`tekka.conf:12`, `env TEKKA_NODE__NAME`, `override`) are set when known,
 * so tools can point at the culprit without parsing the message.
 */
export declare class ConfigError extends TekkaError {
    readonly key: string | undefined;
    readonly source: string | undefined;
    constructor(message: string, details?: {
        key?: string;
        source?: string;
        cause?: unknown;
    });
}
/** Value kinds a key can have. `list` items are checked as `items`. */
export type ConfigType = 'string' | 'int' | 'bool' | 'duration' | 'enum' | 'list' | 'nodeName' | 'path' | 'url' | 'ip';
/** Kinds of the items of a `list` key. */
export type ConfigItemType = 'string' | 'nodeName' | 'url' | 'ip';
/** A parsed value: durations are milliseconds, lists are string arrays. */
export type ConfigValue = string | number | boolean | readonly string[];
/** One row of the schema table. */
export interface ConfigKeySpec {
    /** Dotted key as in ekka (`cluster.static.seeds`). */
    readonly key: string;
    readonly type: ConfigType;
    /** For `list`: what each comma-separated item must be. */
    readonly items?: ConfigItemType;
    /** For `list`: the fewest items that make sense (an etcd client with no server). Default 0. */
    readonly minItems?: number;
    /** Parsed default; `undefined` means unset, or derived from other keys (see `defaultText`). */
    readonly default: ConfigValue | undefined;
    /** Wording of a default that is not a constant (derived, or unset), for the docs. */
    readonly defaultText?: string;
    /** For `enum`: the allowed values. */
    readonly values?: readonly string[];
    /** For `int` and `duration` (milliseconds): inclusive bounds. */
    readonly min?: number;
    readonly max?: number;
    /** For `string`: a shape the value must have, and its wording for errors. */
    readonly pattern?: RegExp;
    readonly patternText?: string;
    /** For `string`: the empty string is a meaningful value (otherwise refused). */
    readonly allowEmpty?: boolean;
    /** For `duration`: `off` is accepted and means 0 (the feature is disabled). */
    readonly off?: boolean;
    /** Never echo the value in errors (it would end up in logs). */
    readonly secret?: boolean;
    /** What the key does and why one would change it. */
    readonly doc: string;
}
/**
 * Every key tekka reads, in documentation order. Frozen: it is the single
 * source of truth for the loader, the README table and the tests.
 */
export declare const configSchema: readonly ConfigKeySpec[];
export type DiscoveryStrategy = 'manual' | 'static' | 'dns' | 'etcd' | 'k8s' | 'mdns';
export type DnsRecordType = 'a' | 'aaaa' | 'srv';
export type K8sAddressType = 'ip' | 'dns' | 'hostname';
/**
 * The loaded configuration. Durations are milliseconds, paths are absolute,
 * lists are arrays; optional keys that are not set are `undefined`. Frozen.
 */
export interface TekkaConfig {
    readonly node: {
        readonly name: string;
        readonly cookie: string | undefined;
        readonly dist_base_port: number;
        readonly listen_port: number | undefined;
        readonly listen_host: string;
        readonly hidden: boolean;
        readonly tick_time: number;
        readonly handshake_timeout: number;
        readonly max_frame_size: number;
        readonly data_dir: string;
        readonly ssl: {
            readonly enable: boolean;
            readonly keyfile: string | undefined;
            readonly certfile: string | undefined;
            readonly cacertfile: string | undefined;
        };
    };
    readonly cluster: {
        readonly name: string;
        readonly discovery: DiscoveryStrategy;
        readonly autocluster_interval: number;
        readonly autoheal: boolean;
        readonly autoheal_delay: number;
        /** 0: disabled. */
        readonly autoclean: number;
        readonly static: {
            readonly seeds: readonly string[];
        };
        readonly dns: {
            readonly name: string;
            readonly app: string;
            readonly type: DnsRecordType;
            readonly servers: readonly string[];
            readonly port: number;
        };
        readonly etcd: {
            readonly server: readonly string[];
            readonly prefix: string;
            readonly node_ttl: number;
            readonly ssl: {
                readonly keyfile: string | undefined;
                readonly certfile: string | undefined;
                readonly cacertfile: string | undefined;
            };
        };
        readonly k8s: {
            readonly apiserver: string;
            readonly service_name: string;
            readonly namespace: string;
            readonly address_type: K8sAddressType;
            readonly app_name: string;
            readonly suffix: string;
            readonly service_account_dir: string;
            readonly use_endpoint_slices: boolean;
        };
        readonly mdns: {
            readonly service: string;
            readonly browse_window: number;
        };
    };
    readonly lock: {
        readonly lease: number;
        readonly lease_check: number;
    };
}
import { isNodeName, nodeNameProblem } from './node-name.js';
export { isNodeName, nodeNameProblem };
/** Environment variable for a key: `cluster.static.seeds` -> `TEKKA_CLUSTER__STATIC__SEEDS`. */
export declare function envVarName(key: string): string;
/**
 * Config key for an environment variable, or `undefined` when the variable is
 * not a config variable. Only `TEKKA_` names containing `__` are: every key
 * has a dot, and this leaves TEKKA_COOKIE, TEKKA_LOG and the like alone.
 */
export declare function keyOfEnvVar(name: string): string | undefined;
/** The known key an unknown one was probably meant to be, if any is close. */
export declare function suggestKey(unknown: string): string | undefined;
/** What a key accepts, worded for error messages and the docs. */
export declare function allowedText(spec: ConfigKeySpec): string;
/** One `key = value` line of a config file. */
export interface ConfigEntry {
    readonly key: string;
    /** The text after `=`, trimmed; or, if it was written as a JSON string, that string exactly. */
    readonly value: string;
    /** It was written as a JSON string, so surrounding blanks are part of it. */
    readonly quoted: boolean;
    readonly file: string;
    readonly line: number;
}
/**
 * Parse `tekka.conf` text: `key = value` lines, blank lines, and full-line
 * comments starting with `#` or `;`. A `#` after a value is part of the value
 * (cookies may contain one); to keep surrounding spaces, write the value as a
 * JSON string (`node.cookie = " a b "`). Keys are checked against the schema
 * here so a typo is reported with its line; values are checked by
 * `loadConfig`, which still knows the line. A key set twice is refused: one
 * of the two lines is a mistake.
 */
export declare function parseConfigText(text: string, fileName: string): ConfigEntry[];
export interface LoadConfigOptions {
    /** A `tekka.conf` to read; it must exist. None by default (the command passes `--config`). */
    file?: string;
    /** Environment to read `TEKKA_<KEY>` variables from. Default `process.env`. */
    env?: NodeJS.ProcessEnv;
    /**
     * Highest-precedence values from code or command-line flags: dotted keys
     * (`{ 'node.name': 'n1@127.0.0.1' }`) or nested objects (`{ node: { name } }`).
     * Values may be text as in the file, or numbers (ms for durations),
     * booleans and string arrays. `undefined` values are ignored (flags not given).
     */
    overrides?: Record<string, unknown>;
    /** Base for relative paths. Default `process.cwd()`. */
    cwd?: string;
}
/**
 * Load, merge and check the configuration: defaults < `file` < `env` <
 * `overrides`. Throws a `ConfigError` for the first problem found.
 */
export declare function loadConfig(opts?: LoadConfigOptions): TekkaConfig;
/** The value of a dotted key in a loaded config (`configValue(c, 'node.tick_time')`). */
export declare function configValue(config: TekkaConfig, key: string): ConfigValue | undefined;
/** A default as an operator would write it in `tekka.conf`. */
export declare function formatDefault(spec: ConfigKeySpec): string;
/** The schema as a Markdown table (key, environment variable, type, default, allowed, description), for READMEs. */
export declare function renderConfigTable(schema?: readonly ConfigKeySpec[]): string;
//# sourceMappingURL=config.d.ts.map