/**
 * Loading tekka's configuration: ekka's key names (and the other names ekka
 * and EMQX give some keys, `cluster.discovery_strategy`), the keys of the
 * sections it is given (dist's own, and each plugin's), and four sources
 * merged in a fixed order:
 *
 *   defaults  <  tekka.conf  <  TEKKA_<KEY> environment  <  overrides (code / flags)
 *
 * ```ts
 * const config = loadConfig({ file: 'tekka.conf', sections: [distConfig, ...plugins.map((p) => p.config)] })
 * config.node.tick_time                         // 8000 (milliseconds)
 * configValue(config, 'cluster.static.seeds')   // ['n2@127.0.0.1', ...]
 * ```
 *
 * A file is tekka's `key = value` lines or, by its content or a `.hocon`
 * name, the HOCON subset EMQX's `emqx.conf` is written in (`hocon.ts`).
 *
 * Everything is checked at start: a bad value is a `ConfigError` naming the
 * key, the value, what is allowed and where it was set, and a key no section
 * claims is refused with its file and line (and the key it was probably
 * meant to be), so a node never runs with a setting the operator did not
 * mean.
 */
import { readFileSync, accessSync, constants as fsConstants } from 'node:fs'
import { resolve as resolvePath } from 'node:path'
import { ConfigError } from '../errors.js'
import { isHoconText, parseHocon } from './hocon.js'
import { distConfig } from './node-keys.js'
import { isBadValue, parseValue, show } from './values.js'
import type { Config, ConfigKeySpec, ConfigSection, ConfigValue, ConfigValues } from './schema.js'

// ---------------------------------------------------------------- key names

/** Environment variable for a key: `cluster.static.seeds` -> `TEKKA_CLUSTER__STATIC__SEEDS`. */
export function envVarName (key: string): string {
  return 'TEKKA_' + key.replaceAll('.', '__').toUpperCase()
}

/**
 * Config key for an environment variable, or `undefined` when the variable is
 * not a config variable. Only `TEKKA_` names containing `__` are: every key
 * has a dot, and this leaves TEKKA_COOKIE, TEKKA_LOG and the like alone.
 */
export function keyOfEnvVar (name: string): string | undefined {
  if (!name.startsWith('TEKKA_') || !name.includes('__')) return undefined
  return name.slice('TEKKA_'.length).toLowerCase().replaceAll('__', '.')
}

function levenshtein (a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const cur = [i]
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    prev = cur
  }
  return prev[b.length]
}

/** The known key an unknown one was probably meant to be, if any is close. */
export function suggestKey (unknown: string, keys: Iterable<string>): string | undefined {
  const all = [...keys]
  let best: string | undefined
  let bestDistance = Infinity
  for (const k of all) {
    const d = levenshtein(unknown, k)
    if (d < bestDistance) { best = k; bestDistance = d }
  }
  if (best !== undefined && bestDistance <= Math.max(2, Math.floor(unknown.length / 4))) return best
  // The right leaf under the wrong group (`cluster.tick_time`).
  const leaf = unknown.slice(unknown.lastIndexOf('.') + 1)
  const sameLeaf = all.filter((k) => k.endsWith('.' + leaf))
  if (sameLeaf.length === 1) return sameLeaf[0]
  // A group instead of a key (`node.ssl`).
  return all.find((k) => k.startsWith(unknown + '.'))
}

// ---------------------------------------------------------------- the schema

/** The keys of a set of sections, checked for owners that claim the same key. */
export class ConfigSchema {
  readonly sections: readonly ConfigSection[]
  readonly #specs = new Map<string, { spec: ConfigKeySpec, owner: string }>()
  /** ekka's and EMQX's other names of keys -> the key. */
  readonly #aliases = new Map<string, string>()

  constructor (sections: readonly ConfigSection[]) {
    this.sections = sections
    for (const section of sections) {
      for (const spec of section.keys) {
        const had = this.#specs.get(spec.key)
        if (had !== undefined) throw new ConfigError(`config key ${spec.key} is claimed by both ${had.owner} and ${section.owner}`, { key: spec.key })
        this.#specs.set(spec.key, { spec, owner: section.owner })
      }
    }
    for (const spec of this.keys()) {
      for (const { key: alias } of spec.ekka ?? []) {
        if (alias === spec.key) continue
        const taken = this.#specs.has(alias) ? `the key ${alias}` : this.#aliases.has(alias) ? `an ekka name of ${this.#aliases.get(alias) ?? ''}` : undefined
        if (taken !== undefined) throw new ConfigError(`${alias}, an ekka name of ${spec.key}, is already ${taken}`, { key: spec.key })
        this.#aliases.set(alias, spec.key)
      }
    }
  }

  /** The key a name means: itself if it is a key, the key it is an ekka name of, or `undefined`. */
  resolve (name: string): string | undefined {
    return this.#specs.has(name) ? name : this.#aliases.get(name)
  }

  /** Every key, section by section, in documentation order. */
  keys (): ConfigKeySpec[] {
    return this.sections.flatMap((s) => s.keys)
  }

  spec (key: string): ConfigKeySpec | undefined {
    return this.#specs.get(key)?.spec
  }

  /** The section that owns `key`. */
  owner (key: string): string | undefined {
    return this.#specs.get(key)?.owner
  }

  unknownKey (key: string, where: string | undefined, env: boolean): ConfigError {
    const source = where ?? 'override'
    const at = where === undefined ? '' : where + ': '
    for (const section of this.sections) {
      for (const [k, why] of Object.entries(section.unsupported ?? {})) {
        if (k.endsWith('.*') ? key.startsWith(k.slice(0, -1)) : key === k) return new ConfigError(`${at}unknown key ${JSON.stringify(key)}: ${why}`, { key, source })
      }
    }
    // An ekka user's typo is closest to the ekka name they meant.
    const hint = suggestKey(key, [...this.#specs.keys(), ...this.#aliases.keys()])
    const mean = hint === undefined ? '' : env ? ` (did you mean ${envVarName(hint)}?)` : ` (did you mean ${hint}?)`
    return new ConfigError(`${at}unknown key ${JSON.stringify(key)}${mean}`, { key, source })
  }
}

// ---------------------------------------------------------------- the file

/** One key of a config file. */
export interface ConfigEntry {
  /** The key (an ekka name is resolved to the key it names). */
  readonly key: string
  /** The name as written, when it is an ekka name of `key` (`cluster.discovery_strategy`). */
  readonly as?: string
  /**
   * The text after `=`, trimmed; or, if it was written as a quoted string,
   * that string exactly; or, for a HOCON array, its items.
   */
  readonly value: string | readonly string[]
  /** It was written as a JSON string, so surrounding blanks are part of it. */
  readonly quoted: boolean
  readonly file: string
  readonly line: number
}

/**
 * Parse config file text: HOCON (an `emqx.conf`; see `isHoconText`) or
 * tekka's `key = value` lines (`parseFlatText`). Keys are checked against the
 * schema here so a typo is reported with its line, and ekka's names are
 * resolved to the keys they name; values are checked by `loadConfig`, which
 * still knows the line. A key set twice is refused, under one name or two
 * (`cluster.discovery` and `cluster.discovery_strategy`): one of the two
 * lines is a mistake.
 */
export function parseConfigText (text: string, fileName: string, schema: ConfigSchema = new ConfigSchema([distConfig])): ConfigEntry[] {
  const raw = isHoconText(text, fileName) ? parseHocon(text, fileName) : parseFlatText(text, fileName)
  const entries: ConfigEntry[] = []
  const seen = new Map<string, { line: number, name: string }>()
  for (const e of raw) {
    const where = `${fileName}:${e.line}`
    const key = schema.resolve(e.key)
    if (key === undefined) throw schema.unknownKey(e.key, where, false)
    const before = seen.get(key)
    if (before !== undefined) {
      const message = before.name === e.key
        ? `${e.key} is already set on line ${before.line}`
        : `${e.key} and ${before.name} (line ${before.line}) both set ${key}: keep one of them`
      throw new ConfigError(`${where}: ${message}`, { key, source: where })
    }
    seen.set(key, { line: e.line, name: e.key })
    entries.push({ key, ...(key === e.key ? {} : { as: e.key }), value: e.value, quoted: e.quoted, file: fileName, line: e.line })
  }
  return entries
}

/**
 * tekka's `key = value` lines: blank lines, and full-line comments starting
 * with `#`, `//` or `;`. A `#` after a value is part of the value (cookies
 * may contain one); to keep surrounding spaces, write the value as a JSON
 * string (`node.cookie = " a b "`).
 */
function parseFlatText (text: string, fileName: string): Array<{ key: string, value: string, quoted: boolean, line: number }> {
  const entries: Array<{ key: string, value: string, quoted: boolean, line: number }> = []
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/)
  lines.forEach((rawLine, i) => {
    const line = i + 1
    const where = `${fileName}:${line}`
    const t = rawLine.trim()
    if (t === '' || t.startsWith('#') || t.startsWith('//') || t.startsWith(';')) return
    const eq = t.indexOf('=')
    if (eq < 0) throw new ConfigError(`${where}: expected "key = value", got ${JSON.stringify(t)}`, { source: where })
    const key = t.slice(0, eq).trim()
    let value = t.slice(eq + 1).trim()
    const quoted = value.startsWith('"')
    if (key === '') throw new ConfigError(`${where}: missing key before "="`, { source: where })
    if (quoted) {
      let v: unknown
      try { v = JSON.parse(value) } catch { v = undefined }
      if (typeof v !== 'string') throw new ConfigError(`${where}: bad quoted value ${value} (a JSON string, "..." with \\ escapes)`, { key, source: where })
      value = v
    }
    entries.push({ key, value, quoted, line })
  })
  return entries
}

// ---------------------------------------------------------------- loading

export interface LoadConfigOptions {
  /** The sections whose keys exist. Default: dist's own (`node.*`, `cluster.name`). */
  sections?: readonly ConfigSection[]
  /** A `tekka.conf` to read; it must exist. None by default (the command passes `--config`). */
  file?: string
  /** Environment to read `TEKKA_<KEY>` variables from. Default `process.env`. */
  env?: NodeJS.ProcessEnv
  /**
   * Highest-precedence values from code or command-line flags: dotted keys
   * (`{ 'node.name': 'n1@127.0.0.1' }`) or nested objects (`{ node: { name } }`).
   * Values may be text as in the file, or numbers (ms for durations),
   * booleans and string arrays. `undefined` values are ignored (flags not given).
   */
  overrides?: Record<string, unknown>
  /** Base for relative paths. Default `process.cwd()`. */
  cwd?: string
}

interface Layer {
  readonly source: string
  readonly key: string
  /** The name it was set under, when an ekka name of `key`. */
  readonly as?: string | undefined
  readonly raw: unknown
  readonly verbatim: boolean
}

function isPlainObject (x: unknown): x is Record<string, unknown> {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false
  const proto = Object.getPrototypeOf(x)
  return proto === Object.prototype || proto === null
}

function flatten (obj: Record<string, unknown>, prefix: string, schema: ConfigSchema, out: Array<[string, unknown]>): void {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix === '' ? k : `${prefix}.${k}`
    if (isPlainObject(v) && schema.resolve(key) === undefined) flatten(v, key, schema, out)
    else out.push([key, v])
  }
}

/**
 * Load, merge and check the configuration: defaults < `file` < `env` <
 * `overrides`, then each section's derived defaults and checks. Throws a
 * `ConfigError` for the first problem found.
 */
export function loadConfig (opts: LoadConfigOptions = {}): Config {
  const schema = new ConfigSchema(opts.sections ?? [distConfig])
  const cwd = opts.cwd ?? process.cwd()
  const layers: Layer[] = []

  if (opts.file !== undefined) {
    const file = resolvePath(cwd, opts.file)
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? String(err)
      throw new ConfigError(`cannot read config file ${file}: ${code}`, { source: file, cause: err })
    }
    for (const e of parseConfigText(text, file, schema)) layers.push({ source: `${e.file}:${e.line}`, key: e.key, as: e.as, raw: e.value, verbatim: e.quoted })
  }

  // One key under two names in one source is refused, as in a file.
  const once = (source: Map<string, Layer>, layer: Layer): void => {
    const before = source.get(layer.key)
    if (before !== undefined) {
      throw new ConfigError(`${layer.source} and ${before.source} both set ${layer.key}: keep one of them`, { key: layer.key, source: layer.source })
    }
    source.set(layer.key, layer)
    layers.push(layer)
  }

  const env = opts.env ?? process.env
  const fromEnv = new Map<string, Layer>()
  for (const name of Object.keys(env).sort()) {
    const written = keyOfEnvVar(name)
    const raw = env[name]
    if (written === undefined || raw === undefined) continue
    const key = schema.resolve(written)
    if (key === undefined) throw schema.unknownKey(written, name, true)
    once(fromEnv, { source: `env ${name}`, key, as: key === written ? undefined : written, raw, verbatim: false })
  }

  if (opts.overrides !== undefined) {
    const flat: Array<[string, unknown]> = []
    flatten(opts.overrides, '', schema, flat)
    const fromCode = new Map<string, Layer>()
    for (const [written, raw] of flat) {
      if (raw === undefined) continue
      const key = schema.resolve(written)
      if (key === undefined) throw schema.unknownKey(written, undefined, false)
      once(fromCode, { source: key === written ? 'override' : `override ${written}`, key, as: key === written ? undefined : written, raw, verbatim: false })
    }
  }

  const values = new Map<string, ConfigValue | undefined>()
  const sources = new Map<string, string>()
  for (const spec of schema.keys()) {
    values.set(spec.key, spec.type === 'path' && typeof spec.default === 'string' ? resolvePath(cwd, spec.default) : spec.default)
  }
  for (const layer of layers) {
    const spec = schema.spec(layer.key) as ConfigKeySpec
    const v = parseValue(spec, layer.raw, cwd, layer.verbatim)
    if (isBadValue(v)) {
      const shown = spec.secret === true ? `(hidden value${typeof v.value === 'string' ? ` of ${v.value.length} characters` : ''})` : show(v.value)
      const named = layer.as === undefined ? spec.key : `${layer.as} (tekka's ${spec.key})`
      const why = v.reason === undefined ? `is not allowed (${v.allowed})` : `is not supported: ${v.reason}`
      throw new ConfigError(`${named}: ${shown} ${why} [${layer.source}]`, { key: spec.key, source: layer.source })
    }
    values.set(layer.key, v)
    sources.set(layer.key, layer.source)
  }

  const view = valuesView(values, sources, schema)
  for (const section of schema.sections) section.derive?.(view)
  for (const section of schema.sections) section.check?.(view)
  return deepFreeze(nest(values)) as Config
}

function valuesView (values: Map<string, ConfigValue | undefined>, sources: Map<string, string>, schema: ConfigSchema): ConfigValues {
  const fail = (key: string, message: string): never => {
    const source = sources.get(key)
    throw new ConfigError(`${key}: ${message}${source === undefined ? '' : ` [${source}]`}`, { key, ...(source === undefined ? {} : { source }) })
  }
  return {
    get: (key) => values.get(key),
    set: (key, value) => {
      if (schema.spec(key) === undefined) throw schema.unknownKey(key, undefined, false)
      values.set(key, value)
    },
    isSet: (key) => sources.has(key),
    fail,
    requireReadable: (key) => {
      const file = values.get(key)
      if (typeof file !== 'string') return
      try {
        accessSync(file, fsConstants.R_OK)
      } catch (err) {
        fail(key, `cannot read ${JSON.stringify(file)} (${(err as NodeJS.ErrnoException).code ?? String(err)})`)
      }
    }
  }
}

function nest (values: Map<string, ConfigValue | undefined>): Record<string, unknown> {
  const root: Record<string, unknown> = {}
  for (const [key, value] of values) {
    const parts = key.split('.')
    let obj = root
    for (const p of parts.slice(0, -1)) obj = (obj[p] ??= {}) as Record<string, unknown>
    obj[parts[parts.length - 1]] = value
  }
  return root
}

/** The value of a dotted key in a loaded config (`configValue(c, 'node.tick_time')`); throws ConfigError for a key it does not have. */
export function configValue (config: Config, key: string): ConfigValue | undefined {
  let v: unknown = config
  for (const p of key.split('.')) {
    if (typeof v !== 'object' || v === null || Array.isArray(v) || !Object.prototype.hasOwnProperty.call(v, p)) {
      throw new ConfigError(`unknown key ${JSON.stringify(key)}: it is in none of the sections this configuration was loaded with`, { key })
    }
    v = (v as Record<string, unknown>)[p]
  }
  return v as ConfigValue | undefined
}

export function deepFreeze<T> (x: T): T {
  if (typeof x === 'object' && x !== null && !Object.isFrozen(x) && !(x instanceof RegExp)) {
    for (const v of Object.values(x)) deepFreeze(v)
    Object.freeze(x)
  }
  return x
}
