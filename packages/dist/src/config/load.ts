/**
 * Loading tekka's configuration: ekka's key names, the keys of the sections
 * it is given (dist's own, and each plugin's), and four sources merged in a
 * fixed order:
 *
 *   defaults  <  tekka.conf  <  TEKKA_<KEY> environment  <  overrides (code / flags)
 *
 * ```ts
 * const config = loadConfig({ file: 'tekka.conf', sections: [distConfig, ...plugins.map((p) => p.config)] })
 * config.node.tick_time                         // 8000 (milliseconds)
 * configValue(config, 'cluster.static.seeds')   // ['n2@127.0.0.1', ...]
 * ```
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

  constructor (sections: readonly ConfigSection[]) {
    this.sections = sections
    for (const section of sections) {
      for (const spec of section.keys) {
        const had = this.#specs.get(spec.key)
        if (had !== undefined) throw new ConfigError(`config key ${spec.key} is claimed by both ${had.owner} and ${section.owner}`, { key: spec.key })
        this.#specs.set(spec.key, { spec, owner: section.owner })
      }
    }
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
    const hint = suggestKey(key, this.#specs.keys())
    const mean = hint === undefined ? '' : env ? ` (did you mean ${envVarName(hint)}?)` : ` (did you mean ${hint}?)`
    const source = where ?? 'override'
    return new ConfigError(`${where === undefined ? '' : where + ': '}unknown key ${JSON.stringify(key)}${mean}`, { key, source })
  }
}

// ---------------------------------------------------------------- the file

/** One `key = value` line of a config file. */
export interface ConfigEntry {
  readonly key: string
  /** The text after `=`, trimmed; or, if it was written as a JSON string, that string exactly. */
  readonly value: string
  /** It was written as a JSON string, so surrounding blanks are part of it. */
  readonly quoted: boolean
  readonly file: string
  readonly line: number
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
export function parseConfigText (text: string, fileName: string, schema: ConfigSchema = new ConfigSchema([distConfig])): ConfigEntry[] {
  const entries: ConfigEntry[] = []
  const seen = new Map<string, number>()
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/)
  lines.forEach((rawLine, i) => {
    const line = i + 1
    const where = `${fileName}:${line}`
    const t = rawLine.trim()
    if (t === '' || t.startsWith('#') || t.startsWith(';')) return
    const eq = t.indexOf('=')
    if (eq < 0) throw new ConfigError(`${where}: expected "key = value", got ${JSON.stringify(t)}`, { source: where })
    const key = t.slice(0, eq).trim()
    let value = t.slice(eq + 1).trim()
    const quoted = value.startsWith('"')
    if (key === '') throw new ConfigError(`${where}: missing key before "="`, { source: where })
    if (schema.spec(key) === undefined) throw schema.unknownKey(key, where, false)
    if (quoted) {
      let v: unknown
      try { v = JSON.parse(value) } catch { v = undefined }
      if (typeof v !== 'string') throw new ConfigError(`${where}: bad quoted value ${value} (a JSON string, "..." with \\ escapes)`, { key, source: where })
      value = v
    }
    const before = seen.get(key)
    if (before !== undefined) throw new ConfigError(`${where}: ${key} is already set on line ${before}`, { key, source: where })
    seen.set(key, line)
    entries.push({ key, value, quoted, file: fileName, line })
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
    if (isPlainObject(v) && schema.spec(key) === undefined) flatten(v, key, schema, out)
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
    for (const e of parseConfigText(text, file, schema)) layers.push({ source: `${e.file}:${e.line}`, key: e.key, raw: e.value, verbatim: e.quoted })
  }

  const env = opts.env ?? process.env
  for (const name of Object.keys(env).sort()) {
    const key = keyOfEnvVar(name)
    const raw = env[name]
    if (key === undefined || raw === undefined) continue
    if (schema.spec(key) === undefined) throw schema.unknownKey(key, name, true)
    layers.push({ source: `env ${name}`, key, raw, verbatim: false })
  }

  if (opts.overrides !== undefined) {
    const flat: Array<[string, unknown]> = []
    flatten(opts.overrides, '', schema, flat)
    for (const [key, raw] of flat) {
      if (raw === undefined) continue
      if (schema.spec(key) === undefined) throw schema.unknownKey(key, undefined, false)
      layers.push({ source: 'override', key, raw, verbatim: false })
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
      throw new ConfigError(`${spec.key}: ${shown} is not allowed (${v.allowed}) [${layer.source}]`, { key: spec.key, source: layer.source })
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
