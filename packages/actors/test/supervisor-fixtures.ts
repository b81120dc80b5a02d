/**
 * Workers and helpers shared by the supervisor tests. A worker records
 * `start <id>` when its init runs and `stop <id> <reason>` when its
 * terminate runs, in one list per test, so tests can assert the order in
 * which a supervisor stops and starts its children.
 */
import {
  createRuntime, silentLogger, settle, startGenServer, cast, whichChildren, noreply, reply, stop, formatReason
} from '../src/index.js'
import type { ChildSpec, GenServer, Logger, Pid, ProcessContext, Runtime, SimulatedClock } from '../src/index.js'

export function runtime (opts: { clock?: SimulatedClock, logger?: Logger } = {}): Runtime {
  return createRuntime({ node: 'a@host', logger: opts.logger ?? silentLogger(), ...(opts.clock !== undefined ? { clock: opts.clock } : {}) })
}

export interface WorkerOptions {
  /** Trap exits, so a shutdown runs terminate (and the order can be seen). */
  trap?: boolean
  /** terminate waits this long (on the runtime's clock) before returning. */
  slowTerminate?: number
}

export type WorkerCast = { exit: unknown } | { throw: string }

export function worker (events: string[], id: string, opts: WorkerOptions = {}): GenServer<null, 'pid', Pid, WorkerCast> {
  return {
    init (_args, ctx) {
      if (opts.trap === true) ctx.trapExit(true)
      events.push(`start ${id}`)
      return null
    },
    handleCall: (_req, _from, s, ctx) => reply(ctx.self, s),
    handleCast (msg, s) {
      if ('throw' in msg) throw new Error(msg.throw)
      return stop(msg.exit, s)
    },
    handleInfo: (_msg, s) => noreply(s),
    async terminate (reason, _s, ctx) {
      if (opts.slowTerminate !== undefined) await ctx.sleep(opts.slowTerminate)
      events.push(`stop ${id} ${formatReason(reason)}`)
    }
  }
}

/** A child spec that starts `worker(events, id)` linked to the supervisor. */
export function child (events: string[], id: string, spec: Partial<ChildSpec> & WorkerOptions = {}): ChildSpec {
  const { trap, slowTerminate, ...rest } = spec
  return {
    id,
    start: (ctx: ProcessContext) => startGenServer(ctx, worker(events, id, { trap, slowTerminate }), undefined, { link: true }),
    ...rest
  }
}

/** A child that traps exits and ignores everything, shutdown included: only `kill` ends it. */
export function stubborn (id: string, spec: Partial<ChildSpec> = {}): ChildSpec {
  return {
    id,
    start: (ctx: ProcessContext) => ctx.spawnLink(async (c) => {
      c.trapExit(true)
      for (;;) await c.receive()
    }),
    ...spec
  }
}

/** Makes the worker exit with `reason` (through stop, so its terminate runs). */
export function exitWith (rt: Runtime, pid: Pid, reason: unknown): void {
  cast(rt, pid, { exit: reason } satisfies WorkerCast)
}

export async function pidOf (rt: Runtime, sup: Pid | string, id: string): Promise<Pid | 'restarting' | undefined> {
  return (await whichChildren(rt, sup)).find((c) => c.id === id)?.pid
}

export async function pidsOf (rt: Runtime, sup: Pid | string): Promise<Record<string, Pid | 'restarting' | undefined>> {
  return Object.fromEntries((await whichChildren(rt, sup)).map((c) => [c.id, c.pid]))
}

/** Resolves with `pid`'s exit reason; the monitor is in place when this resolves. */
export async function watch (rt: Runtime, pid: Pid): Promise<{ exited: Promise<unknown> }> {
  const exited = rt.wait(pid)
  await settle()
  return { exited }
}
