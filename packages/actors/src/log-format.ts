/**
 * Log records as lines: text for a person at a terminal, JSON (one object
 * a line) for a collector. Neither throws, whatever the fields hold: cycles
 * become "[Circular]", bigints strings, errors `{ name, message, code }`,
 * bytes their length, and deep values are cut off.
 */
import type { LogRecord } from './logger.js'

export type LogFormat = 'text' | 'json'

/** Keys of a JSON line that fields cannot take; a field of that name is written as `_name`. */
const RESERVED = new Set(['time', 'level', 'node', 'part', 'msg'])
const MAX_DEPTH = 6
const MAX_ITEMS = 100

/** A JSON-safe copy of `v` (never throws). */
export function plainValue (v: unknown, depth = 0, seen: unknown[] = []): unknown {
  switch (typeof v) {
    case 'string': case 'boolean': return v
    case 'number': return Number.isFinite(v) ? v : String(v)
    case 'bigint': return v.toString()
    case 'undefined': return null
    case 'symbol': return v.toString()
    case 'function': return `[function ${v.name === '' ? 'anonymous' : v.name}]`
  }
  if (v === null) return null
  if (v instanceof Error) {
    const code = (v as { code?: unknown }).code
    return typeof code === 'string' ? { name: v.name, message: v.message, code } : { name: v.name, message: v.message }
  }
  if (seen.includes(v)) return '[Circular]'
  if (depth >= MAX_DEPTH) return '[...]'
  if (v instanceof Uint8Array) return `<${v.length} bytes>`
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? 'Invalid Date' : v.toISOString()
  seen.push(v)
  try {
    const toJSON = (v as { toJSON?: unknown }).toJSON
    if (typeof toJSON === 'function') return plainValue(toJSON.call(v), depth + 1, seen)
    if (v instanceof Map) return plainValue(Object.fromEntries([...v.entries()].slice(0, MAX_ITEMS).map(([k, x]) => [String(k), x])), depth, seen)
    if (v instanceof Set) return plainValue([...v].slice(0, MAX_ITEMS), depth, seen)
    if (Array.isArray(v)) {
      const out = v.slice(0, MAX_ITEMS).map((x) => plainValue(x, depth + 1, seen))
      if (v.length > MAX_ITEMS) out.push(`[${v.length - MAX_ITEMS} more]`)
      return out
    }
    const proto: unknown = Object.getPrototypeOf(v)
    if (proto !== Object.prototype && proto !== null) {
      // A class instance (a Pid, a Ref) prints as itself when it says how.
      const s = String(v)
      if (!s.startsWith('[object ')) return s
    }
    const obj = v as Record<string, unknown>
    const keys = Object.keys(obj)
    const out: Record<string, unknown> = {}
    for (const k of keys.slice(0, MAX_ITEMS)) out[k] = plainValue(obj[k], depth + 1, seen)
    if (keys.length > MAX_ITEMS) out['...'] = `${keys.length - MAX_ITEMS} more keys`
    return out
  } catch (err) {
    return `[unprintable: ${err instanceof Error ? err.message : 'error'}]`
  } finally {
    seen.pop()
  }
}

function fieldText (fields: Record<string, unknown> | undefined): string {
  if (fields === undefined) return ''
  let out = ''
  for (const [k, v] of Object.entries(fields)) {
    let s: string
    if (v instanceof Error) s = JSON.stringify(`${v.name}: ${v.message}`)
    else if (typeof v === 'string') s = /[\s"=]/.test(v) ? JSON.stringify(v) : v
    else {
      const p = plainValue(v)
      s = typeof p === 'string' ? p : JSON.stringify(p)
    }
    out += ` ${k}=${s}`
  }
  return out
}

/** Formats a record as one line: `2026-11-25T18:00:00.000Z warn tekka:dist link closed peer=a@h`. */
export function formatRecord (r: LogRecord): string {
  return `${new Date(r.time).toISOString()} ${r.level} ${r.name} ${r.msg}${fieldText(r.fields)}`
}

/** Formats a record as one JSON object: `{"time":"…","level":"warn","node":"n1@h","part":"tekka:dist","msg":"…",…fields}`. */
export function formatJson (r: LogRecord): string {
  const out: Record<string, unknown> = { time: new Date(r.time).toISOString(), level: r.level }
  if (r.node !== undefined) out.node = r.node
  out.part = r.name
  out.msg = r.msg
  if (r.fields !== undefined) {
    for (const [k, v] of Object.entries(r.fields)) {
      // A `node` field that repeats the record's node says nothing new.
      if (k === 'node' && v === r.node) continue
      out[RESERVED.has(k) ? `_${k}` : k] = plainValue(v)
    }
  }
  try {
    return JSON.stringify(out)
  } catch {
    return JSON.stringify({ time: out.time, level: r.level, part: r.name, msg: String(r.msg) })
  }
}

/** The formatter for `format`. */
export function formatter (format: LogFormat): (r: LogRecord) => string {
  return format === 'json' ? formatJson : formatRecord
}
