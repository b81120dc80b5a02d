/**
 * Supervisor: OTP's supervisor, as a GenServer (as in OTP).
 *
 * ```ts
 * const sup = await startSupervisor(rt, {
 *   strategy: 'one_for_one', intensity: 3, period: 5000,
 *   children: [
 *     { id: 'cache', start: (ctx) => startGenServer(ctx, cache, opts, { link: true }) },
 *     { id: 'workers', type: 'supervisor', start: (ctx) => startSupervisor(ctx, workers, { link: true }) }
 *   ]
 * })
 * ```
 *
 * The supervisor traps exits and links to every child, so a child's death
 * is an EXIT message handled like any other message, one at a time. The
 * rules are OTP's, deliberately, so an Erlang user can predict them:
 *
 * - Children start in list order; if one fails, those already started are
 *   shut down and the supervisor fails with
 *   `{ shutdown: { failedToStartChild: id, reason } }`.
 * - permanent children are always restarted, transient ones only after an
 *   abnormal exit (not normal / shutdown / `{ shutdown: x }`), temporary ones
 *   never (and are forgotten when they end).
 * - one_for_all and rest_for_one stop the affected siblings in reverse start
 *   order, then start them again in start order (temporary siblings are
 *   stopped and dropped). A child that fails to restart is retried through
 *   the mailbox (so a stop request can get in between); every attempt counts.
 * - More than `intensity` restarts within `period` ms (on the injected
 *   clock) and the supervisor stops all children and exits with `shutdown`,
 *   which its own supervisor sees as one failure.
 * - Shutting a child down: exit signal `shutdown`, then `kill` after the
 *   child's `shutdown` ms (5000 for workers, `infinity` for supervisors);
 *   `brutal_kill` kills at once. The supervisor waits on a monitor, not on
 *   the EXIT, so a child that unlinked itself cannot hang it.
 *
 * Child specs hold a start function, so dynamic children can only be added
 * from the supervisor's own node. The specs and their checks are in
 * supervisor-spec.ts.
 */
import { normalizeChild, normalizeFlags, type ChildSpec, type ChildType, type Flags, type NormalChildSpec, type RestartType, type Strategy, type SupervisorSpec } from './supervisor-spec.js'
import { BadReturnError, ChildExistsError, ChildNotFoundError, ChildRestartingError, ChildRunningError, StartError } from './errors.js'
import { call, noreply, reply, startGenServer, stop, unlinkFlush, type GenServer, type Owner } from './gen-server.js'
import type { Logger } from './logger.js'
import { Pid, type Dest } from './pid.js'
import { TIMEOUT, type ProcessContext } from './process.js'
import { KILL, KILLED, NORMAL, SHUTDOWN, isDownMessage, isExitMessage, isNormalExit, isShutdown, type DownMessage } from './reasons.js'

export type { Strategy, RestartType, Shutdown, ChildType, ChildSpec, SupervisorSpec } from './supervisor-spec.js'

export interface SupervisorOptions {
  /** Register the supervisor under this name. */
  name?: string
  /** Link to the calling process (supervisor:start_link); needs a ProcessContext. */
  link?: boolean
}

/** One line of `whichChildren`: the pid, `restarting` while a restart is being retried, or undefined when not running. */
export interface ChildInfo {
  id: string
  pid: Pid | 'restarting' | undefined
  type: ChildType
  restart: RestartType
}

export interface ChildCounts {
  /** Child specs held. */
  specs: number
  /** Children with a live process. */
  active: number
  supervisors: number
  workers: number
}

// ---- state --------------------------------------------------------------------

interface Child {
  readonly spec: NormalChildSpec
  pid: Pid | undefined
  /** A restart failed and is being retried (OTP's `{restarting, Pid}`). */
  restarting: boolean
  /** Why the last restart attempt failed, for the log. */
  startError?: unknown
}

interface State {
  readonly strategy: Strategy
  readonly intensity: number
  readonly period: number
  /** In start order. */
  children: Child[]
  /** Times of recent restarts, newest first. */
  restarts: number[]
  readonly log: Logger
  /** How this supervisor appears in logs. */
  readonly label: string
}

type Req =
  | { op: 'start_child', spec: NormalChildSpec }
  | { op: 'terminate_child', id: string }
  | { op: 'restart_child', id: string }
  | { op: 'delete_child', id: string }
  | { op: 'which_children' }
  | { op: 'count_children' }

type ChildError = 'not_found' | 'running' | 'restarting' | 'already_present' | { alreadyStarted: Pid } | { startFailed: unknown }
type Res = { ok: true, value?: unknown } | { ok: false, error: ChildError }

interface TryAgain { op: 'try_again_restart', id: string }

type Started = { ok: true, pid: Pid | undefined } | { ok: false, reason: unknown }

/** Runs a child's start function from the supervisor and links to what it returns. */
async function startOne (ctx: ProcessContext, spec: NormalChildSpec): Promise<Started> {
  let pid: unknown
  try {
    pid = await spec.start(ctx)
  } catch (err) {
    if (!ctx.alive) throw err
    return { ok: false, reason: err instanceof StartError ? err.reason : err }
  }
  if (pid === undefined) return { ok: true, pid: undefined }
  if (!(pid instanceof Pid)) return { ok: false, reason: new BadReturnError(`child ${JSON.stringify(spec.id)} start`, pid) }
  ctx.link(pid)
  return { ok: true, pid }
}

function find (st: State, id: string): Child | undefined {
  return st.children.find((c) => c.spec.id === id)
}

/** A child that ended: temporary ones are forgotten, others keep their spec (OTP's del_child). */
function delChild (st: State, c: Child): void {
  if (c.spec.restart === 'temporary') {
    st.children = st.children.filter((x) => x !== c)
  } else {
    c.pid = undefined
    c.restarting = false
  }
}

/** Counts a restart; false when that is one more than `intensity` within `period`. */
function addRestart (st: State, now: number): boolean {
  const since = now - st.period
  st.restarts = [now, ...st.restarts.filter((t) => t >= since)]
  return st.restarts.length <= st.intensity
}

/**
 * Stops one child: `shutdown` then `kill` after its timeout, or `kill` at
 * once. Waits for its DOWN, then unlinks and takes its EXIT, whose reason is
 * the one that counts (it may have died of something else first).
 */
async function shutdownChild (ctx: ProcessContext, st: State, c: Child): Promise<void> {
  const pid = c.pid
  if (pid === undefined) return
  const mref = ctx.monitor(pid)
  const isDown = (m: unknown): m is DownMessage => isDownMessage(m) && m.ref.equals(mref)
  let down: DownMessage
  if (c.spec.shutdown === 'brutal_kill') {
    ctx.exit(pid, KILL)
    down = await ctx.receive(isDown)
  } else {
    ctx.exit(pid, SHUTDOWN)
    const got = c.spec.shutdown === 'infinity' ? await ctx.receive(isDown) : await ctx.receive(isDown, { timeout: c.spec.shutdown })
    if (got === TIMEOUT) {
      ctx.exit(pid, KILL)
      down = await ctx.receive(isDown)
    } else {
      down = got
    }
  }
  const exit = await unlinkFlush(ctx, pid)
  const reason = exit.found ? exit.reason : down.reason
  // What OTP accepts as a clean stop; anything else is logged (the child is stopped either way).
  const expected = c.spec.shutdown === 'brutal_kill' ? reason === KILLED : reason === SHUTDOWN
  const ok = expected || (c.spec.restart !== 'permanent' && (reason === NORMAL || isShutdown(reason)))
  if (!ok) st.log.error('child shut down with an error', { supervisor: st.label, id: c.spec.id, pid: pid.toString(), reason })
}

/** Stops `group` in reverse start order; temporary children are dropped, the rest keep their spec. */
async function terminateChildren (ctx: ProcessContext, st: State, group: readonly Child[]): Promise<void> {
  for (let i = group.length - 1; i >= 0; i--) {
    const c = group[i]
    await shutdownChild(ctx, st, c)
    delChild(st, c)
  }
}

/** Restarts `group` (already in start order): stops it all, then starts it again; returns the child that failed, if any. */
async function restartMultiple (ctx: ProcessContext, st: State, group: readonly Child[]): Promise<Child | undefined> {
  await terminateChildren(ctx, st, group)
  for (const c of group) {
    if (!st.children.includes(c)) continue
    const r = await startOne(ctx, c.spec)
    if (!r.ok) {
      // Reported by the caller, as restart_failed on the event stream.
      c.startError = r.reason
      return c
    }
    c.pid = r.pid
  }
  return undefined
}

/** OTP's restart/2: count it against the intensity, then restart by strategy. */
async function restart (ctx: ProcessContext, st: State, c: Child, reason: unknown): Promise<'ok' | 'shutdown'> {
  if (!addRestart(st, ctx.clock.now())) {
    ctx.runtime.events.publish('supervisor.child', { supervisor: st.label, id: c.spec.id, event: 'intensity', reason, intensity: st.intensity, period: st.period }, 'error')
    delChild(st, c)
    return 'shutdown'
  }
  let failed: Child | undefined
  if (st.strategy === 'one_for_one') {
    const r = await startOne(ctx, c.spec)
    if (r.ok) {
      c.pid = r.pid
      c.restarting = false
    } else {
      c.startError = r.reason
      failed = c
    }
  } else {
    c.pid = undefined
    c.restarting = false
    const group = st.strategy === 'one_for_all' ? [...st.children] : st.children.slice(st.children.indexOf(c))
    failed = await restartMultiple(ctx, st, group)
  }
  if (failed !== undefined) {
    ctx.runtime.events.publish('supervisor.child', { supervisor: st.label, id: failed.spec.id, event: 'restart_failed', reason: failed.startError }, 'error')
    failed.pid = undefined
    failed.restarting = true
    // Back to the mailbox before trying again, so a stop request or a
    // terminateChild can get in between (OTP's try_again_restart).
    ctx.send(ctx.self, { type: '$gen_cast', msg: { op: 'try_again_restart', id: failed.spec.id } satisfies TryAgain })
  } else {
    ctx.runtime.events.publish('supervisor.child', { supervisor: st.label, id: c.spec.id, event: 'restarted', ...(c.pid !== undefined ? { pid: c.pid.toString() } : {}) }, 'info')
  }
  return 'ok'
}

/** OTP's do_restart: a child has exited with `reason`. */
async function childExited (ctx: ProcessContext, st: State, c: Child, reason: unknown): Promise<'ok' | 'shutdown'> {
  const restarts = c.spec.restart === 'permanent' || (c.spec.restart === 'transient' && !isNormalExit(reason))
  ctx.runtime.events.publish('supervisor.child', {
    supervisor: st.label, id: c.spec.id, event: 'exited', ...(c.pid !== undefined ? { pid: c.pid.toString() } : {}), reason, restart: restarts
  }, isNormalExit(reason) ? 'debug' : 'error')
  if (restarts) return await restart(ctx, st, c, reason)
  delChild(st, c)
  return 'ok'
}

const fail = (error: ChildError): Res => ({ ok: false, error })
const ok = (value?: unknown): Res => ({ ok: true, value })

const supervisor: GenServer<State, Req, Res, TryAgain, Flags> = {
  async init (flags, ctx) {
    ctx.trapExit(true)
    const st: State = {
      strategy: flags.strategy,
      intensity: flags.intensity,
      period: flags.period,
      children: [],
      restarts: [],
      log: ctx.log.child('supervisor'),
      label: flags.name ?? ctx.self.toString()
    }
    for (const spec of flags.children) {
      const r = await startOne(ctx, spec)
      if (!r.ok) {
        st.log.error('child failed to start', { supervisor: st.label, id: spec.id, reason: r.reason })
        await terminateChildren(ctx, st, st.children)
        // Thrown as the exit reason, as OTP's {shutdown, {failed_to_start_child, Id, Reason}}.
        const reason: unknown = { shutdown: { failedToStartChild: spec.id, reason: r.reason } }
        throw reason
      }
      if (r.pid === undefined && spec.restart === 'temporary') continue
      st.children.push({ spec, pid: r.pid, restarting: false })
    }
    return st
  },

  async handleCall (req, _from, st, ctx) {
    switch (req.op) {
      case 'start_child': {
        const old = find(st, req.spec.id)
        if (old !== undefined) return reply(fail(old.pid !== undefined ? { alreadyStarted: old.pid } : 'already_present'), st)
        const r = await startOne(ctx, req.spec)
        if (!r.ok) return reply(fail({ startFailed: r.reason }), st)
        if (r.pid !== undefined || req.spec.restart !== 'temporary') st.children.push({ spec: req.spec, pid: r.pid, restarting: false })
        return reply(ok(r.pid), st)
      }
      case 'terminate_child': {
        const c = find(st, req.id)
        if (c === undefined) return reply(fail('not_found'), st)
        await shutdownChild(ctx, st, c)
        delChild(st, c)
        return reply(ok(), st)
      }
      case 'restart_child': {
        const c = find(st, req.id)
        if (c === undefined) return reply(fail('not_found'), st)
        if (c.restarting) return reply(fail('restarting'), st)
        if (c.pid !== undefined) return reply(fail('running'), st)
        const r = await startOne(ctx, c.spec)
        if (!r.ok) return reply(fail({ startFailed: r.reason }), st)
        c.pid = r.pid
        return reply(ok(r.pid), st)
      }
      case 'delete_child': {
        const c = find(st, req.id)
        if (c === undefined) return reply(fail('not_found'), st)
        if (c.restarting) return reply(fail('restarting'), st)
        if (c.pid !== undefined) return reply(fail('running'), st)
        st.children = st.children.filter((x) => x !== c)
        return reply(ok(), st)
      }
      case 'which_children':
        return reply(ok(st.children.map((c): ChildInfo => ({
          id: c.spec.id, pid: c.restarting ? 'restarting' : c.pid, type: c.spec.type, restart: c.spec.restart
        }))), st)
      case 'count_children': {
        const counts: ChildCounts = { specs: 0, active: 0, supervisors: 0, workers: 0 }
        for (const c of st.children) {
          counts.specs++
          if (c.spec.type === 'supervisor') counts.supervisors++
          else counts.workers++
          if (c.pid !== undefined && (!ctx.runtime.isLocal(c.pid) || ctx.runtime.isAlive(c.pid))) counts.active++
        }
        return reply(ok(counts), st)
      }
    }
  },

  async handleCast (msg, st, ctx) {
    const c = msg.op === 'try_again_restart' ? find(st, msg.id) : undefined
    // The child may have been terminated or deleted since the failed attempt.
    if (c === undefined || !c.restarting) return noreply(st)
    return (await restart(ctx, st, c, c.startError)) === 'shutdown' ? stop(SHUTDOWN, st) : noreply(st)
  },

  async handleInfo (msg, st, ctx) {
    if (isExitMessage(msg)) {
      const c = st.children.find((x) => x.pid?.equals(msg.from) === true)
      // An EXIT from a process that is no longer (or never was) a child: nothing to do.
      if (c === undefined) return noreply(st)
      return (await childExited(ctx, st, c, msg.reason)) === 'shutdown' ? stop(SHUTDOWN, st) : noreply(st)
    }
    st.log.error('unexpected message', { supervisor: st.label, msg })
    return noreply(st)
  },

  async terminate (_reason, st, ctx) {
    await terminateChildren(ctx, st, st.children)
  }
}

// ---- API ----------------------------------------------------------------------

/**
 * Starts a supervisor and its children (supervisor:start_link). Resolves
 * when every child has started; rejects with BadArgError for an invalid
 * spec, with StartError when a child fails to start (reason
 * `{ shutdown: { failedToStartChild: id, reason } }`).
 */
export async function startSupervisor (owner: Owner, spec: SupervisorSpec, opts: SupervisorOptions = {}): Promise<Pid> {
  const flags = normalizeFlags(spec, opts.name)
  return await startGenServer(owner, supervisor, flags, { name: opts.name, link: opts.link })
}

async function request (owner: Owner, sup: Dest, req: Req, id?: string): Promise<unknown> {
  const r = await call<Res>(owner, sup, req, { timeout: Infinity })
  if (r.ok) return r.value
  const e = r.error
  const key = id ?? ''
  if (e === 'not_found') throw new ChildNotFoundError(key)
  if (e === 'running') throw new ChildRunningError(key)
  if (e === 'restarting') throw new ChildRestartingError(key)
  if (e === 'already_present') throw new ChildExistsError(key, undefined)
  if ('alreadyStarted' in e) throw new ChildExistsError(key, e.alreadyStarted)
  throw new StartError(`child ${JSON.stringify(key)}`, e.startFailed)
}

/**
 * Adds a child and starts it (supervisor:start_child). Resolves with its pid
 * (undefined if its start returned undefined). Throws ChildExistsError for
 * an id in use, StartError when it fails to start (then it is not added).
 */
export async function startChild (owner: Owner, sup: Dest, spec: ChildSpec): Promise<Pid | undefined> {
  const normal = normalizeChild(spec)
  return await request(owner, sup, { op: 'start_child', spec: normal }, normal.id) as Pid | undefined
}

/** Stops a child as in a shutdown; its spec stays (temporary children are forgotten). Throws ChildNotFoundError. */
export async function terminateChild (owner: Owner, sup: Dest, id: string): Promise<void> {
  await request(owner, sup, { op: 'terminate_child', id }, id)
}

/** Starts a stopped child again. Throws ChildNotFoundError, ChildRunningError, ChildRestartingError, StartError. */
export async function restartChild (owner: Owner, sup: Dest, id: string): Promise<Pid | undefined> {
  return await request(owner, sup, { op: 'restart_child', id }, id) as Pid | undefined
}

/** Removes a stopped child's spec. Throws ChildNotFoundError, ChildRunningError, ChildRestartingError. */
export async function deleteChild (owner: Owner, sup: Dest, id: string): Promise<void> {
  await request(owner, sup, { op: 'delete_child', id }, id)
}

/** The children, in start order (OTP lists them newest first). */
export async function whichChildren (owner: Owner, sup: Dest): Promise<ChildInfo[]> {
  return await request(owner, sup, { op: 'which_children' }) as ChildInfo[]
}

export async function countChildren (owner: Owner, sup: Dest): Promise<ChildCounts> {
  return await request(owner, sup, { op: 'count_children' }) as ChildCounts
}

