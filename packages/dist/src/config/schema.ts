/**
 * The shape of tekka's configuration, as types: a key's spec (one row of a
 * schema table, which drives parsing, validation and the docs) and a
 * section (the keys one part owns, with the rules between them and its
 * typed view of the result). dist owns the `node.*` keys and
 * `cluster.name`; each plugin brings its own section, and the loader knows
 * only the sections it is given. Types only.
 *
 * ```ts
 * const section: ConfigSection<{ lease: number }> = {
 *   owner: '@tekka/lock',
 *   keys: [{ key: 'lock.lease', type: 'duration', default: 15_000, off: true, doc: 'A lock held longer ...' }],
 *   read: (config) => ({ lease: configValue(config, 'lock.lease') as number })
 * }
 * ```
 */

/** Value kinds a key can have. `list` items are checked as `items`. */
export type ConfigType = 'string' | 'int' | 'bool' | 'duration' | 'enum' | 'list' | 'nodeName' | 'path' | 'url' | 'ip'
/** Kinds of the items of a `list` key. */
export type ConfigItemType = 'string' | 'nodeName' | 'url' | 'ip'
/** A parsed value: durations are milliseconds, lists are string arrays. */
export type ConfigValue = string | number | boolean | readonly string[]

/** One row of a schema table. */
export interface ConfigKeySpec {
  /** Dotted key as in ekka (`cluster.static.seeds`). */
  readonly key: string
  readonly type: ConfigType
  /** For `list`: what each comma-separated item must be. */
  readonly items?: ConfigItemType
  /** For `list`: the fewest items that make sense (an etcd client with no server). Default 0. */
  readonly minItems?: number
  /** Parsed default; `undefined` means unset, or derived from other keys (see `defaultText`). */
  readonly default: ConfigValue | undefined
  /** Wording of a default that is not a constant (derived, or unset), for the docs. */
  readonly defaultText?: string
  /** For `enum`: the allowed values. */
  readonly values?: readonly string[]
  /** For `int` and `duration` (milliseconds): inclusive bounds. */
  readonly min?: number
  readonly max?: number
  /** For `string`: a shape the value must have, and its wording for errors. */
  readonly pattern?: RegExp
  readonly patternText?: string
  /** For `string`: the empty string is a meaningful value (otherwise refused). */
  readonly allowEmpty?: boolean
  /** For `duration`: `off` is accepted and means 0 (the feature is disabled). */
  readonly off?: boolean
  /** Never echo the value in errors (it would end up in logs). */
  readonly secret?: boolean
  /** What the key does and why one would change it. */
  readonly doc: string
  /**
   * The names ekka and EMQX give this key, its own name included where they
   * use it too. Another name is accepted as is in files, the environment and
   * overrides (setting both in one source is refused); all are listed in the
   * docs' table of ekka keys.
   */
  readonly ekka?: readonly EkkaName[]
  /** For `enum`: values another system has that this key refuses, each with why and what to use instead (EMQX's `mcast`). */
  readonly refused?: Readonly<Record<string, string>>
}

/** A name ekka or EMQX gives a key. */
export interface EkkaName {
  /** The dotted key as ekka / EMQX users write it (`cluster.discovery_strategy`). */
  readonly key: string
  /** Where it comes from and how its values differ, for the docs (`EMQX 5`). */
  readonly note?: string
}

/** The values being loaded, for a section's `derive` and `check`. */
export interface ConfigValues {
  get(key: string): ConfigValue | undefined
  /** Sets a key of the section's own (a derived default). */
  set(key: string, value: ConfigValue): void
  /** Whether a source (file, environment, override) set the key, rather than its default. */
  isSet(key: string): boolean
  /** Throws a ConfigError naming `key`, `message` and where the key was set. */
  fail(key: string, message: string): never
  /** Fails on `key` unless the file it names can be read (so the error names the key, not a bare ENOENT later). */
  requireReadable(key: string): void
}

/** The keys one part owns and what it makes of them. */
export interface ConfigSection<Settings = unknown> {
  /** Who owns these keys, for messages (`@tekka/heal`). */
  readonly owner: string
  /** Its keys, in documentation order. */
  readonly keys: readonly ConfigKeySpec[]
  /** Defaults that depend on other keys: set where nothing set the key. Runs before every section's `check`. */
  derive?(values: ConfigValues): void
  /**
   * Keys that ekka or EMQX have and this part does not, each with why and
   * what to use instead; a group (`cluster.mcast.*`) covers the keys under it.
   * Setting one is refused with that reason rather than a guess at a key.
   */
  readonly unsupported?: Readonly<Record<string, string>>
  /** Rules between keys, each reported on the key that has to change. */
  check?(values: ConfigValues): void
  /** The part's settings, typed, from a loaded configuration. */
  read(config: Config): Settings
}

/**
 * A loaded configuration: every key of the sections it was loaded with,
 * nested by its dots (`config.node.tick_time`), durations in ms, paths
 * absolute, lists arrays, keys left unset `undefined`. Frozen.
 */
export interface Config {
  readonly [group: string]: ConfigTree | ConfigValue | undefined
}

export interface ConfigTree {
  readonly [key: string]: ConfigTree | ConfigValue | undefined
}
