/**
 * A supervisor's specs, checked once when the supervisor (or a dynamic
 * child) is started: the child spec and the supervisor flags as a user
 * writes them, their defaults (OTP's), and the errors for anything else.
 *
 * ```ts
 * const flags = normalizeFlags({ strategy: 'one_for_all', children: [{ id: 'w', start }] }, undefined)
 * flags.children[0].shutdown // 5000: a worker's default
 * ```
 */
import { BadArgError } from './errors.js'
import type { Pid } from './pid.js'
import type { ProcessContext } from './process.js'

export type Strategy = 'one_for_one' | 'one_for_all' | 'rest_for_one'
export type RestartType = 'permanent' | 'transient' | 'temporary'
/** Milliseconds to wait after `shutdown` before `kill`, or kill at once, or wait forever. */
export type Shutdown = number | 'brutal_kill' | 'infinity'
export type ChildType = 'worker' | 'supervisor'

export interface ChildSpec {
  /** Unique within the supervisor. */
  id: string
  /**
   * Starts the child from the supervisor's process (`ctx`) and returns its
   * pid; the supervisor links to it (a start that linked already is fine).
   * A throw (or a rejected StartError) is a failed start; `undefined` means
   * "ignore" (OTP's `ignore`): the spec is kept without a process. Start
   * GenServers with `link: true`, so the supervisor is their parent and a
   * server that traps exits runs terminate when it is shut down.
   */
  start: (ctx: ProcessContext) => Pid | undefined | Promise<Pid | undefined>
  /** Default `permanent`. */
  restart?: RestartType
  /** Default 5000 for workers, `infinity` for supervisors. */
  shutdown?: Shutdown
  /** Default `worker`. */
  type?: ChildType
}

export interface SupervisorSpec {
  /** Default `one_for_one`. */
  strategy?: Strategy
  /** Restarts allowed within `period` (default 1). */
  intensity?: number
  /** The intensity window in milliseconds (default 5000). */
  period?: number
  children?: ChildSpec[]
}

export interface NormalChildSpec {
  readonly id: string
  readonly start: ChildSpec['start']
  readonly restart: RestartType
  readonly shutdown: Shutdown
  readonly type: ChildType
}

export interface Flags {
  readonly strategy: Strategy
  readonly intensity: number
  readonly period: number
  readonly children: NormalChildSpec[]
  readonly name: string | undefined
}

const STRATEGIES: readonly string[] = ['one_for_one', 'one_for_all', 'rest_for_one']
const RESTARTS: readonly string[] = ['permanent', 'transient', 'temporary']

export function normalizeChild (spec: ChildSpec): NormalChildSpec {
  if (typeof spec !== 'object' || spec === null) throw new BadArgError('a child spec must be an object')
  const { id, start } = spec
  if (typeof id !== 'string' || id.length === 0) throw new BadArgError('a child spec needs an id (a non-empty string)')
  if (typeof start !== 'function') throw new BadArgError(`child ${JSON.stringify(id)}: start must be a function (ctx) => Pid`)
  const restart = spec.restart ?? 'permanent'
  if (!RESTARTS.includes(restart)) throw new BadArgError(`child ${JSON.stringify(id)}: restart must be permanent, transient or temporary, not ${JSON.stringify(restart)}`)
  const type = spec.type ?? 'worker'
  if (type !== 'worker' && type !== 'supervisor') throw new BadArgError(`child ${JSON.stringify(id)}: type must be worker or supervisor, not ${JSON.stringify(type)}`)
  const shutdown = spec.shutdown ?? (type === 'supervisor' ? 'infinity' : 5000)
  if (shutdown !== 'brutal_kill' && shutdown !== 'infinity' && !(typeof shutdown === 'number' && shutdown >= 0 && !Number.isNaN(shutdown))) {
    throw new BadArgError(`child ${JSON.stringify(id)}: shutdown must be milliseconds (>= 0), 'brutal_kill' or 'infinity', not ${JSON.stringify(shutdown)}`)
  }
  return { id, start, restart, shutdown, type }
}

export function normalizeFlags (spec: SupervisorSpec, name: string | undefined): Flags {
  const strategy = spec.strategy ?? 'one_for_one'
  if (!STRATEGIES.includes(strategy)) throw new BadArgError(`strategy must be one_for_one, one_for_all or rest_for_one, not ${JSON.stringify(strategy)}`)
  const intensity = spec.intensity ?? 1
  if (!Number.isInteger(intensity) || intensity < 0) throw new BadArgError(`intensity must be an integer >= 0, not ${JSON.stringify(intensity)}`)
  const period = spec.period ?? 5000
  if (typeof period !== 'number' || !(period > 0)) throw new BadArgError(`period must be milliseconds > 0, not ${JSON.stringify(period)}`)
  const children = (spec.children ?? []).map(normalizeChild)
  const seen = new Set<string>()
  for (const c of children) {
    if (seen.has(c.id)) throw new BadArgError(`duplicate child id ${JSON.stringify(c.id)}`)
    seen.add(c.id)
  }
  return { strategy, intensity, period, children, name }
}
