/**
 * One value against its spec: parsing (text from files and the environment;
 * numbers, booleans and arrays from code), checking, and the wording of what
 * a key allows, shared by errors and the docs.
 */
import { isIP } from 'node:net'
import { resolve as resolvePath } from 'node:path'
import { isNodeName } from '../node-name.js'
import { DURATION_FORMAT, formatDuration, parseDuration } from './duration.js'
import type { ConfigItemType, ConfigKeySpec, ConfigValue } from './schema.js'

const NODE_NAME_TEXT = 'name@host, name of letters, digits, _ or -, host a hostname or IP address'

/** A value as an error message shows it. */
export function show (value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  try { return JSON.stringify(value) ?? String(value) } catch { return String(value) }
}

function rangeText (spec: ConfigKeySpec, fmt: (n: number) => string): string {
  const hi = spec.max
  // "at least 0ms" says nothing; leave it out.
  const lo = spec.min === 0 && hi === undefined ? undefined : spec.min
  if (lo !== undefined && hi !== undefined) return ` from ${fmt(lo)} to ${fmt(hi)}`
  if (lo !== undefined) return ` of at least ${fmt(lo)}`
  if (hi !== undefined) return ` of at most ${fmt(hi)}`
  return ''
}

const ITEM_TEXT: Record<ConfigItemType, string> = {
  string: 'a non-empty string',
  nodeName: NODE_NAME_TEXT,
  url: 'an http:// or https:// URL',
  ip: 'an IPv4 or IPv6 address'
}

/** What a key accepts, worded for error messages and the docs. */
export function allowedText (spec: ConfigKeySpec): string {
  switch (spec.type) {
    case 'bool': return 'on | off | true | false'
    case 'enum': return (spec.values ?? []).join(' | ')
    case 'int': return `an integer${rangeText(spec, String)}`
    case 'duration': return `${spec.off === true ? 'off, or ' : ''}a duration${rangeText(spec, formatDuration)} (${DURATION_FORMAT})`
    case 'list': return `a comma-separated list${(spec.minItems ?? 0) > 0 ? ` of at least ${spec.minItems ?? 0} item${spec.minItems === 1 ? '' : 's'}` : ''}, each item ${ITEM_TEXT[spec.items ?? 'string']}`
    case 'nodeName': return NODE_NAME_TEXT
    case 'path': return 'a file system path'
    case 'url': return ITEM_TEXT.url
    case 'ip': return ITEM_TEXT.ip
    case 'string': return spec.patternText ?? (spec.allowEmpty === true ? 'a string' : 'a non-empty string')
  }
}

/** A value a spec refuses: what it was, and what the key allows. */
export interface BadValue {
  readonly bad: true
  readonly value: unknown
  readonly allowed: string
  /** Why this value in particular is refused (a value another system has, see `ConfigKeySpec.refused`). */
  readonly reason?: string
}

const refuse = (value: unknown, allowed: string, reason?: string): BadValue => ({ bad: true, value, allowed, ...(reason === undefined ? {} : { reason }) })

export function isBadValue (v: ConfigValue | BadValue): v is BadValue {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && (v as BadValue).bad === true
}

function parseItem (type: ConfigItemType, item: string): string | BadValue {
  const ok = type === 'string'
    ? item !== ''
    : type === 'nodeName'
      ? isNodeName(item)
      : type === 'ip' ? isIP(item) !== 0 : isHttpUrl(item)
  return ok ? item : refuse(item, ITEM_TEXT[type])
}

function isHttpUrl (text: string): boolean {
  try {
    const u = new URL(text)
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== ''
  } catch {
    return false
  }
}

function inRange (spec: ConfigKeySpec, n: number): boolean {
  return (spec.min === undefined || n >= spec.min) && (spec.max === undefined || n <= spec.max)
}

/**
 * Parse and check one value against its spec. Text comes from files and the
 * environment; code and flags may also pass numbers, booleans and arrays.
 */
export function parseValue (spec: ConfigKeySpec, raw: unknown, cwd: string, verbatim: boolean): ConfigValue | BadValue {
  const allowed = allowedText(spec)
  const bad = (): BadValue => refuse(raw, allowed)
  // Surrounding blanks are noise from files and shells, except in a quoted file value.
  const text = typeof raw === 'string' ? (verbatim ? raw : raw.trim()) : undefined
  switch (spec.type) {
    case 'string': {
      if (text === undefined) return bad()
      if (text === '') return spec.allowEmpty === true ? '' : bad()
      if (/\p{Cc}/u.test(text)) return bad()
      if (spec.pattern !== undefined && !spec.pattern.test(text)) return bad()
      return text
    }
    case 'int': {
      const n = typeof raw === 'number' ? raw : text !== undefined && /^[+-]?\d+$/.test(text) ? Number(text) : NaN
      return Number.isSafeInteger(n) && inRange(spec, n) ? n : bad()
    }
    case 'bool': {
      if (typeof raw === 'boolean') return raw
      const t = text?.toLowerCase()
      if (t === 'on' || t === 'true') return true
      if (t === 'off' || t === 'false') return false
      return bad()
    }
    case 'duration': {
      let ms: number | undefined
      if (typeof raw === 'number') ms = Number.isSafeInteger(raw) && raw >= 0 ? raw : undefined
      else if (text !== undefined) ms = spec.off === true && text.toLowerCase() === 'off' ? 0 : parseDuration(text)
      // `off` (or 0) of a key that has it is allowed whatever its minimum.
      return ms !== undefined && (inRange(spec, ms) || (ms === 0 && spec.off === true)) ? ms : bad()
    }
    case 'enum': {
      if (text === undefined) return bad()
      const v = spec.values?.find((x) => x === text.toLowerCase())
      const why = v === undefined && spec.refused !== undefined ? Object.entries(spec.refused).find(([x]) => x === text.toLowerCase())?.[1] : undefined
      return v ?? (why === undefined ? bad() : refuse(raw, allowed, why))
    }
    case 'list': {
      if (Array.isArray(raw) && !raw.every((x) => typeof x === 'string')) return bad()
      const items = Array.isArray(raw)
        ? (raw as string[]).map((x) => x.trim())
        : text === undefined ? undefined : text === '' ? [] : text.split(',').map((x) => x.trim())
      if (items === undefined || items.length < (spec.minItems ?? 0)) return bad()
      const out: string[] = []
      for (const x of items) {
        const item = parseItem(spec.items ?? 'string', x)
        if (typeof item !== 'string') return item
        out.push(item)
      }
      return out
    }
    case 'nodeName':
      return text !== undefined && isNodeName(text) ? text : bad()
    case 'ip':
      return text !== undefined && isIP(text) !== 0 ? text : bad()
    case 'url':
      return text !== undefined && isHttpUrl(text) ? text : bad()
    case 'path':
      // Resolved now, so a later chdir cannot move the node's data or keys.
      return text !== undefined && text !== '' && !text.includes('\0') ? resolvePath(cwd, text) : bad()
  }
}

