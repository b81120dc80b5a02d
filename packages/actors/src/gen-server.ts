/**
 * GenServer: OTP's gen_server on tekka processes.
 *
 * A server is an ordinary process running a loop that takes one message at a
 * time, hands it to the behaviour's handler and waits for the handler (sync
 * or async) to finish before it looks at the next one, so the state never
 * sees two handlers at once. Everything goes through the mailbox, as in
 * Erlang: calls, casts, the stop request and the parent's EXIT, which is why
 * the protocol messages below are plain data (they cross the wire for remote
 * servers).
 *
 * ```ts
 * const counter: GenServer<number, 'get', number, 'inc'> = {
 *   init: () => 0,
 *   handleCall: (_req, _from, n) => reply(n, n),
 *   handleCast: (_msg, n) => noreply(n + 1)
 * }
 * const pid = await startGenServer(rt, counter, undefined, { name: 'counter' })
 * cast(rt, 'counter', 'inc')
 * await call(rt, 'counter', 'get') // 1
 * ```
 *
 * Calls follow gen:call: the caller monitors the server and uses the monitor
 * ref as the call's tag, then selectively receives the reply or the DOWN, so
 * its other messages keep their place. There are no process aliases, so a
 * reply that arrives after the caller gave up (CallTimeoutError) stays in the
 * caller's mailbox as a `{ type: '$gen_reply', tag, value }` message, as it
 * did in Erlang before OTP 24; a caller that is itself a GenServer sees it in
 * handleInfo. From `runtime` (outside any process) calls run in a temporary
 * process, so a late reply dies with it.
 */
import { BadArgError, BadReturnError, CallExitError, CallTimeoutError, NoHandlerError, NoProcError, StartError, formatReason } from './errors.js'
import { Pid, type Ref, isRemoteName, type Dest, type RemoteName } from './pid.js'
import { TIMEOUT, type ProcessContext } from './process.js'
import { KILL, NOPROC, NORMAL, isDownMessage, isExitMessage, isNormalExit, type DownMessage } from './reasons.js'
import type { Runtime } from './runtime.js'

/** Default time a `call` waits for its reply, as gen_server's 5 seconds. */
export const DEFAULT_CALL_TIMEOUT = 5000

type Awaitable<T> = T | Promise<T>

/** Who made a call: hand it to `replyTo` to answer later. Plain data, so it can be passed to other processes. */
export interface From {
  readonly pid: Pid
  readonly tag: Ref
}

/** Reply `reply` to the caller and continue with `state` (OTP `{reply, Reply, State}`). */
export interface ReplyResult<S, R> {
  readonly kind: 'reply'
  readonly reply: R
  readonly state: S
}

/** Continue with `state`; a call is answered later with `replyTo` (OTP `{noreply, State}`). */
export interface NoReplyResult<S> {
  readonly kind: 'noreply'
  readonly state: S
}

/** Run `terminate`, then (for a call, if `hasReply`) reply, then exit with `reason`. */
export interface StopResult<S, R = never> {
  readonly kind: 'stop'
  readonly reason: unknown
  readonly state: S
  readonly hasReply: boolean
  readonly reply?: R
}

export type CallResult<S, R> = ReplyResult<S, R> | NoReplyResult<S> | StopResult<S, R>
export type CastResult<S> = NoReplyResult<S> | StopResult<S>

/**
 * A GenServer behaviour. Every callback may be async; the server handles the
 * next message only when the previous callback has settled. `ctx` is the
 * server's own process context (its mailbox, clock, logger).
 *
 * - `init` runs in the new process before `startGenServer` resolves; a throw
 *   fails the start with that reason.
 * - A missing `handleCall` / `handleCast` makes a call / cast crash the server
 *   (as a missing Erlang callback would); a missing `handleInfo` logs and
 *   drops the message.
 * - `terminate` runs when a handler returns `stop(...)`, when a handler
 *   throws (reason: what it threw), on `stopServer`, and, if the server traps
 *   exits, on an EXIT from its parent (the process that started it with
 *   `link: true`). It does not run when the server is killed or when an
 *   untrapped exit signal ends it, nor after `ctx.exit(reason)` in a
 *   callback, which ends the process on the spot: return `stop(...)` (or
 *   throw) to stop with terminate.
 */
export interface GenServer<State, Call = unknown, Reply = unknown, Cast = unknown, Args = unknown> {
  init(args: Args, ctx: ProcessContext): Awaitable<State>
  handleCall?(request: Call, from: From, state: State, ctx: ProcessContext): Awaitable<CallResult<State, Reply>>
  handleCast?(msg: Cast, state: State, ctx: ProcessContext): Awaitable<CastResult<State>>
  handleInfo?(msg: unknown, state: State, ctx: ProcessContext): Awaitable<CastResult<State>>
  terminate?(reason: unknown, state: State, ctx: ProcessContext): Awaitable<void>
}

/** Where GenServer functions run: a process's `ctx`, or a Runtime for code outside processes. */
export type Owner = ProcessContext | Runtime

export interface StartOptions {
  /** Register the server under this name (before init runs). */
  name?: string
  /** Link the server to the calling process (gen_server:start_link); needs a ProcessContext. */
  link?: boolean
  /** Milliseconds init may take; then the server is killed and the start fails with reason `timeout`. Default: no limit. */
  timeout?: number
}

export interface CallOptions {
  /** Milliseconds to wait for the reply (default 5000; `Infinity` waits forever). */
  timeout?: number
}

// ---- results ----------------------------------------------------------------

export function reply<R, S> (value: R, state: S): ReplyResult<S, R> {
  return { kind: 'reply', reply: value, state }
}

export function noreply<S> (state: S): NoReplyResult<S> {
  return { kind: 'noreply', state }
}

/** Stop the server with `reason`; from handleCall, a third argument is replied to the caller after terminate ran. */
export function stop<S> (reason: unknown, state: S): StopResult<S>
export function stop<S, R> (reason: unknown, state: S, replyValue: R): StopResult<S, R>
export function stop (reason: unknown, state: unknown, ...rest: unknown[]): StopResult<unknown, unknown> {
  return rest.length > 0
    ? { kind: 'stop', reason, state, hasReply: true, reply: rest[0] }
    : { kind: 'stop', reason, state, hasReply: false }
}

// ---- protocol -----------------------------------------------------------------

interface CallMsg { readonly type: '$gen_call', readonly from: From, readonly request: unknown }
interface CastMsg { readonly type: '$gen_cast', readonly msg: unknown }
interface ReplyMsg { readonly type: '$gen_reply', readonly tag: Ref, readonly value: unknown }
interface AckMsg { readonly type: '$gen_ack', readonly tag: Ref }
interface StopMsg { readonly type: '$gen_stop', readonly reason: unknown }

const isType = (m: unknown, type: string): boolean =>
  typeof m === 'object' && m !== null && (m as { type?: unknown }).type === type

const isCall = (m: unknown): m is CallMsg => isType(m, '$gen_call')
const isCast = (m: unknown): m is CastMsg => isType(m, '$gen_cast')
const isReply = (m: unknown): m is ReplyMsg => isType(m, '$gen_reply')
const isAck = (m: unknown): m is AckMsg => isType(m, '$gen_ack')
const isStop = (m: unknown): m is StopMsg => isType(m, '$gen_stop')

function isContext (o: Owner): o is ProcessContext {
  return typeof (o as ProcessContext).receive === 'function'
}

// ---- starting ---------------------------------------------------------------

/**
 * Starts a GenServer and resolves with its pid once `init` has returned
 * (gen_server:start / start_link). If init throws, or the server dies or the
 * timeout passes first, rejects with a StartError carrying the reason; as
 * since OTP 26, a linked caller is then not hit by the link (and a caller
 * that traps exits finds no EXIT message). A taken name rejects with
 * NameTakenError before anything starts.
 */
export async function startGenServer<S, A> (
  owner: Owner,
  behaviour: GenServer<S, any, any, any, A>,
  args: A,
  opts: StartOptions = {}
): Promise<Pid> {
  if (!isContext(owner)) {
    if (opts.link === true) throw new BadArgError('link: true needs a process to link to: pass a ProcessContext, not a Runtime')
    return await owner.run((ctx) => startGenServer(ctx, behaviour, args, opts))
  }
  const ctx = owner
  const link = opts.link === true
  const starter = ctx.self
  const tag = ctx.makeRef()
  const name = opts.name
  const pid = ctx.spawn(
    (self) => serve(self, behaviour, args, { parent: link ? starter : undefined, starter, tag, name }),
    name === undefined ? { link } : { link, name }
  )
  const mref = ctx.monitor(pid)
  const got = await ctx.receive(
    (m): m is AckMsg | DownMessage => (isAck(m) && m.tag.equals(tag)) || (isDownMessage(m) && m.ref.equals(mref)),
    { timeout: opts.timeout }
  )
  const what = name === undefined ? `server ${pid}` : `server ${JSON.stringify(name)} (${pid})`
  if (got === TIMEOUT) {
    // proc_lib's kill_flush_EXIT: unlink first so the kill cannot come back to us.
    if (link) ctx.unlink(pid)
    ctx.exit(pid, KILL)
    await ctx.receive((m) => isDownMessage(m) && m.ref.equals(mref))
    throw new StartError(what, 'timeout')
  }
  if (isDownMessage(got)) {
    if (link) await unlinkFlush(ctx, pid)
    throw new StartError(what, got.reason)
  }
  ctx.demonitor(mref, { flush: true })
  return pid
}

/** @internal Unlinks `pid` and takes an EXIT message from it if one is queued (proc_lib's flush_EXIT). */
export async function unlinkFlush (ctx: ProcessContext, pid: Pid): Promise<{ found: boolean, reason: unknown }> {
  ctx.unlink(pid)
  const m = await ctx.receive((x) => isExitMessage(x) && x.from.equals(pid), { timeout: 0 })
  return m === TIMEOUT ? { found: false, reason: undefined } : { found: true, reason: (m as { reason: unknown }).reason }
}

interface ServeInfo {
  /** The linked starter; its EXIT makes a trapping server terminate. */
  parent: Pid | undefined
  starter: Pid
  tag: Ref
  name: string | undefined
}

async function serve<S> (ctx: ProcessContext, b: GenServer<S, unknown, unknown, unknown, unknown>, args: unknown, info: ServeInfo): Promise<void> {
  let state: S
  try {
    state = await b.init(args, ctx)
  } catch (err) {
    if (!ctx.alive) throw err
    // As proc_lib:init_fail: the starter learns of the failure from its
    // monitor, and a starter that does not trap exits survives it.
    if (info.parent !== undefined) ctx.unlink(info.parent)
    ctx.exit(err)
  }
  ctx.send(info.starter, { type: '$gen_ack', tag: info.tag } satisfies AckMsg)
  await loop(ctx, b, state, info)
}

/** What the loop does with one message; a thrown handler error becomes a stop. */
type Step<S> = CallResult<S, unknown>

async function loop<S> (ctx: ProcessContext, b: GenServer<S, unknown, unknown, unknown, unknown>, state: S, info: ServeInfo): Promise<void> {
  for (;;) {
    const msg = await ctx.receive()
    let step: Step<S>
    try {
      // A handler that returns a result (not a promise) is used at once: no
      // microtask turn per message for the common synchronous handler.
      const r = dispatch(ctx, b, msg, state, info)
      step = r instanceof Promise ? await r : r
    } catch (err) {
      if (!ctx.alive) throw err
      step = stop(err, state)
    }
    switch (step.kind) {
      case 'reply':
        replyTo(ctx, (msg as CallMsg).from, step.reply)
        state = step.state
        break
      case 'noreply':
        state = step.state
        break
      case 'stop': {
        const from = isCall(msg) ? msg.from : undefined
        const value = step.reply
        const after = step.hasReply && from !== undefined ? () => { replyTo(ctx, from, value) } : undefined
        await terminate(ctx, b, step.reason, step.state, msg, info, after)
      }
    }
  }
}

/** The handler's result for `msg`, checked; a promise only when the handler returned one. */
function dispatch<S> (ctx: ProcessContext, b: GenServer<S, unknown, unknown, unknown, unknown>, msg: unknown, state: S, info: ServeInfo): Step<S> | Promise<Step<S>> {
  if (isCall(msg)) {
    if (b.handleCall === undefined) throw new NoHandlerError('handleCall')
    return checked<S>(b.handleCall(msg.request, msg.from, state, ctx), 'handleCall', true)
  }
  if (isCast(msg)) {
    if (b.handleCast === undefined) throw new NoHandlerError('handleCast')
    return checked<S>(b.handleCast(msg.msg, state, ctx), 'handleCast', false)
  }
  if (isStop(msg)) return stop(msg.reason, state)
  if (info.parent !== undefined && isExitMessage(msg) && msg.from.equals(info.parent)) return stop(msg.reason, state)
  if (b.handleInfo === undefined) {
    ctx.log.child('gen-server').warn('unexpected message', { pid: ctx.self.toString(), name: info.name, msg })
    return noreply(state)
  }
  return checked<S>(b.handleInfo(msg, state, ctx), 'handleInfo', false)
}

/** check() of a handler's result, after it settles when it is a promise. */
function checked<S> (r: unknown, callback: string, isCallback: boolean): Step<S> | Promise<Step<S>> {
  if (typeof (r as PromiseLike<unknown> | null)?.then === 'function') return Promise.resolve(r).then((v: unknown) => check<S>(v, callback, isCallback))
  return check<S>(r, callback, isCallback)
}

function check<S> (r: unknown, callback: string, isCallback: boolean): CallResult<S, unknown> {
  if (typeof r === 'object' && r !== null) {
    const kind = (r as { kind?: unknown }).kind
    if (kind === 'noreply' || kind === 'stop' || (isCallback && kind === 'reply')) {
      if (kind === 'stop' && !isCallback && (r as StopResult<S, unknown>).hasReply) throw new BadReturnError(callback, r)
      return r as CallResult<S, unknown>
    }
  }
  throw new BadReturnError(callback, r)
}

/** Runs terminate, then `after` (a stop's reply, sent even if terminate threw, as OTP), then exits. */
async function terminate<S> (
  ctx: ProcessContext,
  b: GenServer<S, unknown, unknown, unknown, unknown>,
  reason: unknown,
  state: S,
  lastMsg: unknown,
  info: ServeInfo,
  after: (() => void) | undefined
): Promise<never> {
  let exitReason = reason
  if (b.terminate !== undefined) {
    try {
      await b.terminate(reason, state, ctx)
    } catch (err) {
      if (!ctx.alive) throw err
      exitReason = err
    }
  }
  after?.()
  if (!isNormalExit(exitReason)) {
    ctx.log.child('gen-server').error('server terminating', { pid: ctx.self.toString(), name: info.name, reason: exitReason, lastMessage: lastMsg })
  }
  return ctx.exit(exitReason)
}

// ---- client side --------------------------------------------------------------

/** Answers a call later: `from` is what handleCall got. Works from any process (or a Runtime). */
export function replyTo (owner: Owner, from: From, value: unknown): void {
  owner.send(from.pid, { type: '$gen_reply', tag: from.tag, value } satisfies ReplyMsg)
}

/** How a server is named in errors. */
function describe (server: Dest): string {
  if (server instanceof Pid) return server.toString()
  if (typeof server === 'string') return JSON.stringify(server)
  return `${JSON.stringify(server.name)} on ${server.node}`
}

/** A local name becomes the pid holding it now (or noproc, as gen:call's whereis); pids and remote names stay. */
function target (ctx: ProcessContext, server: Dest): Pid | RemoteName {
  if (server instanceof Pid) return server
  const local = typeof server === 'string' ? server : isRemoteName(server) && server.node === ctx.runtime.node ? server.name : undefined
  if (local === undefined) {
    if (isRemoteName(server)) return server
    throw new BadArgError(`not a server: ${formatReason(server)} (expected a pid, a name or { name, node })`)
  }
  const pid = ctx.whereis(local)
  if (pid === undefined) throw new CallExitError(describe(server), NOPROC)
  return pid
}

/**
 * Calls a server and waits for its reply (gen_server:call). Throws
 * CallTimeoutError after `timeout` ms, CallExitError when the server exits
 * before replying (`reason` is its exit reason: `noproc` when it does not
 * exist, `noconnection` when its node is lost).
 */
export async function call<R = unknown> (owner: Owner, server: Dest, request: unknown, opts: CallOptions = {}): Promise<R> {
  if (!isContext(owner)) return await owner.run((ctx) => call<R>(ctx, server, request, opts))
  const ctx = owner
  const timeout = opts.timeout ?? DEFAULT_CALL_TIMEOUT
  const to = target(ctx, server)
  if (to instanceof Pid && to.equals(ctx.self)) throw new CallExitError(describe(server), 'calling_self')
  const mref = ctx.monitor(to)
  ctx.send(to, { type: '$gen_call', from: { pid: ctx.self, tag: mref }, request } satisfies CallMsg)
  const got = await ctx.receive(
    (m): m is ReplyMsg | DownMessage => (isReply(m) && m.tag.equals(mref)) || (isDownMessage(m) && m.ref.equals(mref)),
    { timeout }
  )
  if (got === TIMEOUT) {
    ctx.demonitor(mref, { flush: true })
    throw new CallTimeoutError(describe(server), timeout)
  }
  if (isDownMessage(got)) throw new CallExitError(describe(server), got.reason)
  ctx.demonitor(mref, { flush: true })
  return got.value as R
}

/** Sends a request without waiting (gen_server:cast). Never fails, even for a name nobody holds. */
export function cast (owner: Owner, server: Dest, msg: unknown): void {
  try {
    owner.send(server, { type: '$gen_cast', msg } satisfies CastMsg)
  } catch (err) {
    if (!(err instanceof NoProcError)) throw err
  }
}

/**
 * Stops a server and waits until it is gone (gen_server:stop): it runs
 * terminate with `reason` and exits with it. Throws CallExitError (`noproc`
 * if there is no such server, or the other reason it exited with, e.g. a
 * terminate that threw) and CallTimeoutError when it takes longer than
 * `timeout` ms (the server is left running).
 */
export async function stopServer (owner: Owner, server: Dest, reason: unknown = NORMAL, timeout = Infinity): Promise<void> {
  if (!isContext(owner)) return await owner.run((ctx) => stopServer(ctx, server, reason, timeout))
  const ctx = owner
  const to = target(ctx, server)
  if (to instanceof Pid && to.equals(ctx.self)) throw new CallExitError(describe(server), 'calling_self')
  const mref = ctx.monitor(to)
  ctx.send(to, { type: '$gen_stop', reason } satisfies StopMsg)
  const got = await ctx.receive((m): m is DownMessage => isDownMessage(m) && m.ref.equals(mref), { timeout })
  if (got === TIMEOUT) {
    ctx.demonitor(mref, { flush: true })
    throw new CallTimeoutError(describe(server), timeout)
  }
  if (!sameReason(got.reason, reason)) throw new CallExitError(describe(server), got.reason)
}

/** Reasons compare by identity, or by value for plain data that crossed the wire. */
function sameReason (a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || a instanceof Error || b instanceof Error) return false
  try {
    return JSON.stringify(a) === JSON.stringify(b)
  } catch {
    return false
  }
}

/** A readable reason for messages: errors as `Name: message`, nested data spelled out. */
