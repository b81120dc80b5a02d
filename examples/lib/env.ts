// Settings an example's app module reads from its environment.
import { BadArgError } from '@tekka/actors'

/** A number >= 0 from environment variable `name`, or `fallback` when unset or empty; anything else throws naming it. */
export function envNumber (name: string, fallback: number): number {
  const v = process.env[name]
  if (v === undefined || v === '') return fallback
  const n = Number(v)
  if (!Number.isFinite(n) || n < 0) throw new BadArgError(`${name}=${JSON.stringify(v)} is not a number >= 0`, name)
  return n
}
