/**
 * Node names and the port rule that replaces epmd.
 *
 * As ekka_dist does, a node's listen port follows from its name, so peers
 * can dial it knowing only its name: `base + (trailing digits of the short
 * name) rem 60000`, base 4370 by default (`node1@h` -> 4371, `node@h` ->
 * 4370, `emqx12@h` -> 4382). Names starting with `remsh` (ekka's remote
 * shells) get 0: they never accept connections.
 */
import { BadArgError } from '@tekka/actors'
import { BadNodeNameError } from './errors.js'

export const DEFAULT_BASE_PORT = 4370
/** ekka's MAX_PORT_LIMIT: the trailing number is taken modulo this. */
export const PORT_OFFSET_LIMIT = 60000

export interface NodeName {
  /** The full name, `short@host`. */
  readonly name: string
  /** The part before `@` (Erlang's "alive" name). */
  readonly short: string
  readonly host: string
}

const SHORT = /^[A-Za-z0-9_-]+$/
// Host names, IPv4 and IPv6 literals (which Erlang long names also allow).
const HOST = /^[A-Za-z0-9_:-]+(?:\.[A-Za-z0-9_:-]+)*$/
const MAX_NAME_LENGTH = 255

/** Splits and checks `short@host`; throws BadNodeNameError naming what is wrong. */
export function parseNodeName (name: string): NodeName {
  if (typeof name !== 'string') throw new BadNodeNameError(name, 'expected a string of the form name@host')
  if (name.length === 0 || name.length > MAX_NAME_LENGTH) throw new BadNodeNameError(name, `expected name@host of 1 to ${MAX_NAME_LENGTH} characters`)
  const at = name.indexOf('@')
  if (at < 0) throw new BadNodeNameError(name, 'expected name@host (no @ found)')
  if (name.indexOf('@', at + 1) >= 0) throw new BadNodeNameError(name, 'expected name@host (more than one @)')
  const short = name.slice(0, at)
  const host = name.slice(at + 1)
  if (!SHORT.test(short)) throw new BadNodeNameError(name, 'the part before @ must be letters, digits, _ or -')
  if (!HOST.test(host)) throw new BadNodeNameError(name, 'the part after @ must be a host name or an IP address')
  return { name, short, host }
}

/** True when `name` is a valid `short@host`. */
export function isNodeName (name: unknown): name is string {
  try {
    parseNodeName(name as string)
    return true
  } catch {
    return false
  }
}

/**
 * The listen port of `name` by ekka_dist's rule. Works on a bare short name
 * too (ekka strips `@.*` first). 0 for `remsh*` names.
 */
export function nodePort (name: string, basePort = DEFAULT_BASE_PORT): number {
  if (!Number.isInteger(basePort) || basePort < 1 || basePort > 65535) throw new BadArgError(`basePort must be an integer in 1..65535, got ${basePort}`)
  const short = name.replace(/@.*$/s, '')
  if (short.startsWith('remsh')) return 0
  const digits = /[0-9]+$/.exec(short)
  // BigInt: a long run of digits must still reduce exactly, as Erlang's bignums do.
  const offset = digits === null ? 0 : Number(BigInt(digits[0]) % BigInt(PORT_OFFSET_LIMIT))
  const port = basePort + offset
  if (port > 65535) throw new BadArgError(`port ${port} for node ${name} (base ${basePort} + offset ${offset}) is above 65535`)
  return port
}
