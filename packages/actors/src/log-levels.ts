/**
 * Log levels per part: `warn,heal=debug,dist:handshake=info` gives every
 * logger `warn` except those named `tekka:heal...` (debug) and
 * `tekka:dist:handshake...` (info). The longest matching part wins; a part
 * matches whole `:`-separated segments (`dist` covers `tekka:dist` and
 * `tekka:dist:handshake`, not `tekka:distx`) and may be written with or
 * without the `tekka:` prefix. What TEKKA_LOG, `--log-level` and
 * `log.level` hold.
 */
import { BadArgError } from './errors.js'

export type LogLevel = 'error' | 'warn' | 'info' | 'debug'

export const LOG_LEVELS: readonly LogLevel[] = Object.freeze(['error', 'warn', 'info', 'debug'])

/** Smaller is more severe; a record passes when its rank <= the logger's. */
export const LEVEL_RANK: Readonly<Record<LogLevel, number>> = Object.freeze({ error: 0, warn: 1, info: 2, debug: 3 })

/** A parsed level spec: the default, and levels for parts (without the `tekka:` prefix). */
export interface LogLevels {
  readonly default: LogLevel
  /** Part -> level; the part is `''`-free, prefix-less (`dist:handshake`). */
  readonly parts: ReadonlyMap<string, LogLevel>
}

export const DEFAULT_LOG_LEVEL: LogLevel = 'warn'

function isLevel (v: string): v is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(v)
}

/** `tekka:dist:handshake` -> `dist:handshake`; `tekka` -> ``. */
function stripPrefix (name: string): string {
  if (name === 'tekka') return ''
  return name.startsWith('tekka:') ? name.slice('tekka:'.length) : name
}

const PART = /^[A-Za-z0-9_.-]+(:[A-Za-z0-9_.-]+)*$/

/**
 * Parses `warn,heal=debug,dist:handshake=info` (a bare level is the
 * default; later entries win). Throws BadArgError naming the bad entry;
 * `source` names where the spec came from (`TEKKA_LOG`, `--log-level`).
 */
export function parseLogLevels (spec: string, source = 'log level'): LogLevels {
  let def: LogLevel = DEFAULT_LOG_LEVEL
  const parts = new Map<string, LogLevel>()
  const allowed = LOG_LEVELS.join(', ')
  const entries = spec.split(',').map((e) => e.trim())
  if (entries.every((e) => e === '')) throw new BadArgError(`${source}: empty; give a level (${allowed}) and optionally part=level entries`, source)
  for (const entry of entries) {
    if (entry === '') continue
    const eq = entry.indexOf('=')
    if (eq < 0) {
      const lv = entry.toLowerCase()
      if (!isLevel(lv)) throw new BadArgError(`${source}: bad level ${JSON.stringify(entry)}; allowed: ${allowed} (or part=level, as heal=debug)`, source)
      def = lv
      continue
    }
    const part = entry.slice(0, eq).trim()
    const lv = entry.slice(eq + 1).trim().toLowerCase()
    if (!PART.test(part)) throw new BadArgError(`${source}: bad part ${JSON.stringify(part)} in ${JSON.stringify(entry)}; a part is a logger name such as dist or tekka:dist:handshake`, source)
    if (!isLevel(lv)) throw new BadArgError(`${source}: bad level ${JSON.stringify(entry.slice(eq + 1).trim())} for part ${part}; allowed: ${allowed}`, source)
    const key = stripPrefix(part)
    if (key === '') def = lv
    else parts.set(key, lv)
  }
  return { default: def, parts }
}

/** The level of the logger named `name` (`tekka:dist:handshake`): the longest matching part, else the default. */
export function levelFor (levels: LogLevels, name: string): LogLevel {
  let key = stripPrefix(name)
  while (key !== '') {
    const lv = levels.parts.get(key)
    if (lv !== undefined) return lv
    const cut = key.lastIndexOf(':')
    key = cut < 0 ? '' : key.slice(0, cut)
  }
  return levels.default
}

/** A level, a spec string or parsed levels, as LogLevels. */
export function toLogLevels (level: LogLevel | string | LogLevels, source?: string): LogLevels {
  return typeof level === 'string' ? parseLogLevels(level, source) : level
}
