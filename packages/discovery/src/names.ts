/**
 * Checking what a strategy discovered: only well-formed node names go on to
 * be dialled; everything else is reported (what it was, what is wrong) so the
 * operator can fix the source.
 */
import { formatReason } from '@tekka/actors'
import { nodeNameProblem } from '@tekka/dist'

/** More names than this from one discover() is taken as garbage, not a cluster. */
export const MAX_DISCOVERED = 10_000

export interface Skipped {
  /** The offending item, printed (JSON, shortened). */
  readonly item: string
  readonly problem: string
}

export interface CheckedNames {
  /** Well-formed names, deduplicated, in the order given, without this node. */
  readonly nodes: string[]
  /** The list named this node (a registry strategy lists it once registered). */
  readonly includesSelf: boolean
  readonly skipped: Skipped[]
}

/** A short printable form of any value, for logs. */
export function describe (v: unknown, max = 80): string {
  let s: string
  if (v === undefined) s = 'undefined'
  else if (typeof v === 'function') s = 'a function'
  else if (typeof v === 'bigint') s = `${v}n`
  else if (typeof v === 'symbol') s = v.toString()
  else {
    try { s = JSON.stringify(v) ?? String(v) } catch { s = Object.prototype.toString.call(v) }
  }
  return s.length > max ? `${s.slice(0, max)}…` : s
}

/** Why `name` is not a node name, or undefined if it is one (dist's rule; anything from outside may not even be a string). */
export function nameProblem (name: unknown): string | undefined {
  if (typeof name !== 'string') return `not a string (${name === null ? 'null' : Array.isArray(name) ? 'an array' : typeof name})`
  return nodeNameProblem(name)
}

/** Why `short` cannot be the part before the `@` of a node name (`app` of dns and k8s), or undefined. */
export function shortNameProblem (short: unknown): string | undefined {
  if (typeof short !== 'string') return nameProblem(short)
  if (short.includes('@')) return 'it has an @'
  return nodeNameProblem(`${short}@localhost`)
}

/** The message of an error, or a printable form of whatever else was thrown (a string as it is). */
export function messageOf (err: unknown): string {
  return err instanceof Error ? err.message : formatReason(err)
}

/**
 * Checks a discover() result. Returns the problem with the whole result
 * (not a list, too long) as a string, else the names and what was skipped.
 */
export function checkDiscovered (raw: unknown, self: string): CheckedNames | string {
  if (!Array.isArray(raw)) return `${describe(raw)}, not a list of node names`
  if (raw.length > MAX_DISCOVERED) return `${raw.length} items, more than the ${MAX_DISCOVERED} accepted`
  const nodes: string[] = []
  const seen = new Set<string>()
  const skipped: Skipped[] = []
  let includesSelf = false
  for (const item of raw as unknown[]) {
    const problem = nameProblem(item)
    if (problem !== undefined) {
      skipped.push({ item: describe(item), problem })
      continue
    }
    const name = item as string
    if (name === self) { includesSelf = true; continue }
    if (seen.has(name)) continue
    seen.add(name)
    nodes.push(name)
  }
  return { nodes, includesSelf, skipped }
}
