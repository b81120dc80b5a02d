/**
 * Injected, named loggers (`tekka:dist:handshake`). A logger's level comes
 * from a per-part spec (log-levels.ts: `warn,heal=debug`); the default
 * logger writes one line per record to stderr, text on a terminal and JSON
 * otherwise (log-format.ts), with repeated lines limited (log-rate.ts);
 * tests pass a collecting logger.
 *
 * A logger is often made before the node has a name (the command builds it
 * from the configuration, then starts the node): `forNode(name)` gives the
 * same logger with every record, and every child's, stamped with the node.
 */
import { BadArgError } from './errors.js'
import { DEFAULT_LOG_LEVEL, LEVEL_RANK, levelFor, parseLogLevels, toLogLevels, type LogLevel, type LogLevels } from './log-levels.js'
import { formatter, type LogFormat } from './log-format.js'
import { rateLimitedSink, type RateLimitOptions } from './log-rate.js'

export type { LogLevel, LogLevels } from './log-levels.js'
export type { LogFormat } from './log-format.js'
export { formatRecord, formatJson } from './log-format.js'

export interface Logger {
  readonly name: string
  /** The node whose records these are, once known (see forNode). */
  readonly node: string | undefined
  error(msg: string, fields?: Record<string, unknown>): void
  warn(msg: string, fields?: Record<string, unknown>): void
  info(msg: string, fields?: Record<string, unknown>): void
  debug(msg: string, fields?: Record<string, unknown>): void
  /** A logger for a part of this one: `tekka:dist` -> `tekka:dist:handshake`. */
  child(name: string): Logger
  /** This logger (same name, sink and levels) with its records, and its children's, stamped with `node`. */
  forNode(node: string): Logger
}

export interface LogRecord {
  time: number
  level: LogLevel
  /** The part: the logger's name. */
  name: string
  node?: string
  msg: string
  fields?: Record<string, unknown>
}

export type LogSink = (record: LogRecord) => void

function makeLogger (name: string, sink: LogSink, levels: LogLevels, node: string | undefined): Logger {
  const max = LEVEL_RANK[levelFor(levels, name)]
  const emit = (lv: LogLevel, msg: string, fields?: Record<string, unknown>): void => {
    if (LEVEL_RANK[lv] > max) return
    const r: LogRecord = { time: Date.now(), level: lv, name, msg }
    if (node !== undefined) r.node = node
    if (fields !== undefined) r.fields = fields
    try {
      sink(r)
    } catch {
      // A sink that fails (a closed stderr) must not take the caller with it.
    }
  }
  return {
    name,
    node,
    error: (m, f) => { emit('error', m, f) },
    warn: (m, f) => { emit('warn', m, f) },
    info: (m, f) => { emit('info', m, f) },
    debug: (m, f) => { emit('debug', m, f) },
    child: (sub) => makeLogger(`${name}:${sub}`, sink, levels, node),
    forNode: (n) => makeLogger(name, sink, levels, n)
  }
}

/**
 * A logger named `name` sending its records to `sink`. `level` is a level
 * (`info`), a per-part spec (`warn,heal=debug`) or parsed LogLevels; default
 * debug (everything).
 */
export function createLogger (name: string, sink: LogSink, level: LogLevel | string | LogLevels = 'debug'): Logger {
  return makeLogger(name, sink, toLogLevels(level), undefined)
}

/** The levels TEKKA_LOG asks for (default warn); BadArgError naming the bad entry. */
export function envLogLevels (env: NodeJS.ProcessEnv = process.env): LogLevels {
  const v = env.TEKKA_LOG
  return v === undefined || v.trim() === '' ? parseLogLevels(DEFAULT_LOG_LEVEL) : parseLogLevels(v, 'TEKKA_LOG')
}

/** `auto`: text when `stream` is a terminal, JSON otherwise. */
export function resolveLogFormat (format: LogFormat | 'auto', stream: { isTTY?: boolean }): LogFormat {
  return format === 'auto' ? (stream.isTTY === true ? 'text' : 'json') : format
}

/** The format TEKKA_LOG__FORMAT (the `log.format` key's variable) asks for; default auto. */
export function envLogFormat (env: NodeJS.ProcessEnv = process.env): LogFormat | 'auto' {
  const v = env.TEKKA_LOG__FORMAT?.trim().toLowerCase()
  if (v === undefined || v === '') return 'auto'
  if (v === 'auto' || v === 'text' || v === 'json') return v
  throw new BadArgError(`TEKKA_LOG__FORMAT: bad format ${JSON.stringify(env.TEKKA_LOG__FORMAT)}; allowed: auto, text, json`, 'TEKKA_LOG__FORMAT')
}

export interface ConsoleLoggerOptions {
  /** Default TEKKA_LOG__FORMAT, else auto (text on a terminal, JSON otherwise). */
  format?: LogFormat | 'auto'
  /** Where lines go (default process.stderr). */
  stream?: { write: (line: string) => unknown, isTTY?: boolean }
  /** Limits on repeated lines (see log-rate.ts), or false for none. */
  rateLimit?: RateLimitOptions | false
}

/**
 * The default logger: lines on stderr, levels from TEKKA_LOG, repeated
 * lines limited. A bad TEKKA_LOG or format is a BadArgError naming it.
 */
export function consoleLogger (name = 'tekka', level?: LogLevel | string | LogLevels, opts: ConsoleLoggerOptions = {}): Logger {
  const levels = level === undefined ? envLogLevels() : toLogLevels(level)
  const stream = opts.stream ?? process.stderr
  const format = formatter(resolveLogFormat(opts.format ?? envLogFormat(), stream))
  const write: LogSink = (r) => { stream.write(format(r) + '\n') }
  return createLogger(name, opts.rateLimit === false ? write : rateLimitedSink(write, opts.rateLimit), levels)
}

/** A logger that drops everything. */
export function silentLogger (name = 'tekka'): Logger {
  return createLogger(name, () => {}, 'error')
}

/** A logger that keeps its records in memory, for tests. */
export function memoryLogger (name = 'tekka'): Logger & { records: LogRecord[] } {
  const records: LogRecord[] = []
  return Object.assign(createLogger(name, (r) => { records.push(r) }), { records })
}
