/**
 * The encodings of etcd's HTTP/JSON gateway: keys and values are base64,
 * 64-bit integers decimal strings, and a prefix is a key range. An answer
 * is input from the network: `AnswerReader` reads its fields and turns a
 * field of the wrong shape into an EtcdBadResponseError that names the
 * server, the call and the field.
 */
import { EtcdBadResponseError } from './errors.js'

const CANONICAL_B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

export const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64')

/** The end of the key range that holds every key starting with `prefix` (etcd's prefix rule: last byte + 1). */
export function prefixEnd (prefix: string): string {
  const buf = Buffer.from(prefix, 'utf8')
  for (let i = buf.length - 1; i >= 0; i--) {
    if ((buf[i]) < 0xff) {
      const end = Buffer.from(buf.subarray(0, i + 1))
      end[i] = (buf[i]) + 1
      return end.toString('base64')
    }
  }
  return Buffer.from([0]).toString('base64')
}

/** Reads the fields of the answer `server` gave to `call`. */
export class AnswerReader {
  readonly server: string
  readonly call: string

  constructor (server: string, call: string) {
    this.server = server
    this.call = call
  }

  /** Throws the EtcdBadResponseError that says what is wrong. */
  fail (problem: string): never {
    throw new EtcdBadResponseError(this.server, this.call, problem)
  }

  /** A base64 field, decoded (absent: the empty string, as the gateway leaves out empty values). */
  unb64 (v: unknown, what: string): string {
    if (v === undefined || v === null) return ''
    if (typeof v !== 'string') this.fail(`${what} is ${typeName(v)}, not a base64 string`)
    if (!CANONICAL_B64.test(v)) this.fail(`${what} is not base64: ${snippet(v, 40)}`)
    return Buffer.from(v, 'base64').toString('utf8')
  }

  /** A 64-bit integer field, as its decimal string (etcd's ids do not fit a JS number). */
  int64 (v: unknown, what: string, dflt?: string): string {
    if (v === undefined && dflt !== undefined) return dflt
    if (typeof v === 'string' && /^-?\d{1,20}$/.test(v)) return BigInt(v).toString()
    if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v)
    const shown = typeof v === 'string' ? snippet(v, 40) : String(JSON.stringify(v))
    this.fail(`${what} is ${v === undefined ? 'missing' : `${typeName(v)} ${shown}`}, not an integer`)
  }

  object (v: unknown, what: string): Record<string, unknown> {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(`${what} is ${typeName(v)}, not an object`)
    return v as Record<string, unknown>
  }

  list (v: unknown, what: string): unknown[] {
    if (v === undefined) return []
    if (!Array.isArray(v)) this.fail(`${what} is ${typeName(v)}, not a list`)
    return v
  }
}

/** The start of `text`, quoted, for messages. */
export function snippet (text: string, max = 120): string {
  const t = JSON.stringify(text.length > max ? text.slice(0, max) : text)
  return text.length > max ? `${t}…` : t
}

function typeName (v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'a list' : v === undefined ? 'missing' : `a ${typeof v}`
}
