/**
 * Node names and the port rule that replaces epmd.
 *
 * As ekka_dist does, a node's listen port follows from its name, so peers
 * can dial it knowing only its name: `base + (trailing digits of the short
 * name) rem 60000`, base 4370 by default (`node1@h` -> 4371, `node@h` ->
 * 4370, `emqx12@h` -> 4382). Names starting with `remsh` (ekka's remote
 * shells) get 0: they never accept connections.
 */
import { isIP } from 'node:net'
import { BadArgError } from '@tekka/actors'
import { BadNodeNameError } from './errors.js'
import { DEFAULT_BASE_PORT } from './defaults.js'

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
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/
const MAX_NAME_LENGTH = 255

/**
 * Why `text` is not a node name, or `undefined` if it is one. A node name is
 * `name@host`: name of letters, digits, `_` and `-` (it becomes part of file
 * names and the port rule reads its trailing digits); host a DNS name or an
 * IPv4 / IPv6 address.
 */
export function nodeNameProblem (text: unknown): string | undefined {
  if (typeof text !== 'string') return 'expected a string of the form name@host'
  const at = text.indexOf('@')
  if (at < 0) return 'no @host part'
  const name = text.slice(0, at)
  const host = text.slice(at + 1)
  if (name === '') return 'empty name before @'
  if (!SHORT.test(name)) return 'the name may only have letters, digits, _ and -'
  if (host === '') return 'empty host after @'
  if (isIP(host) === 0 && !HOSTNAME.test(host)) return `host ${JSON.stringify(host)} is neither a hostname nor an IP address`
  if (text.length > MAX_NAME_LENGTH) return `longer than ${MAX_NAME_LENGTH} characters`
  return undefined
}

/** Splits and checks `short@host`; throws BadNodeNameError naming what is wrong. */
export function parseNodeName (name: string): NodeName {
  const problem = nodeNameProblem(name)
  if (problem !== undefined) throw new BadNodeNameError(name, problem)
  const at = name.indexOf('@')
  return { name, short: name.slice(0, at), host: name.slice(at + 1) }
}

/** True when `name` is a valid `short@host` (nodeNameProblem finds nothing wrong). */
export function isNodeName (name: unknown): name is string {
  return typeof name === 'string' && nodeNameProblem(name) === undefined
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
