/**
 * Injected, named loggers (`tekka:dist:handshake`). The default writes
 * one line per record to stderr at or above the level set by TEKKA_LOG
 * (error, warn, info, debug; default warn); tests pass a collecting logger.
 */
export type LogLevel = 'error' | 'warn' | 'info' | 'debug'

export interface Logger {
  readonly name: string
  error(msg: string, fields?: Record<string, unknown>): void
  warn(msg: string, fields?: Record<string, unknown>): void
  info(msg: string, fields?: Record<string, unknown>): void
  debug(msg: string, fields?: Record<string, unknown>): void
  /** A logger for a part of this one: `tekka:dist` -> `tekka:dist:handshake`. */
  child(name: string): Logger
}

export interface LogRecord {
  time: number
  level: LogLevel
  name: string
  msg: string
  fields?: Record<string, unknown>
}

export type LogSink = (record: LogRecord) => void

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 }

export function createLogger (name: string, sink: LogSink, level: LogLevel = 'debug'): Logger {
  const max = RANK[level]
  const emit = (lv: LogLevel, msg: string, fields?: Record<string, unknown>): void => {
    if (RANK[lv] > max) return
    sink(fields === undefined ? { time: Date.now(), level: lv, name, msg } : { time: Date.now(), level: lv, name, msg, fields })
  }
  return {
    name,
    error: (m, f) => { emit('error', m, f) },
    warn: (m, f) => { emit('warn', m, f) },
    info: (m, f) => { emit('info', m, f) },
    debug: (m, f) => { emit('debug', m, f) },
    child: (sub) => createLogger(`${name}:${sub}`, sink, level)
  }
}

function fieldText (fields: Record<string, unknown> | undefined): string {
  if (fields === undefined) return ''
  let out = ''
  for (const [k, v] of Object.entries(fields)) {
    let s: string
    if (v instanceof Error) s = JSON.stringify(`${v.name}: ${v.message}`)
    else if (typeof v === 'string') s = /[\s"=]/.test(v) ? JSON.stringify(v) : v
    else { try { s = JSON.stringify(v) ?? String(v) } catch { s = String(v) } }
    out += ` ${k}=${s}`
  }
  return out
}

/** Formats a record as one line: `2026-11-25T18:00:00.000Z warn tekka:dist link closed peer=a@h`. */
export function formatRecord (r: LogRecord): string {
  return `${new Date(r.time).toISOString()} ${r.level} ${r.name} ${r.msg}${fieldText(r.fields)}`
}

function envLevel (): LogLevel {
  const v = process.env.TEKKA_LOG
  return v === 'error' || v === 'warn' || v === 'info' || v === 'debug' ? v : 'warn'
}

/** The default logger: lines on stderr, level from TEKKA_LOG. */
export function consoleLogger (name = 'tekka', level: LogLevel = envLevel()): Logger {
  return createLogger(name, (r) => { process.stderr.write(formatRecord(r) + '\n') }, level)
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
