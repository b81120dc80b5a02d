/**
 * The calls an owner makes: `acquire`, `release` and `withLock`, run in the
 * owner's own process (the lock's owner is the calling process, `ctx.self`,
 * as in ekka where it is `self()`). They find the locker through the
 * caller's node (its slot in `ctx.runtime.tables`, see slot.ts). Local locks
 * are taken directly in the table; the other types go through this node's
 * locker.
 */
import { TIMEOUT, type ProcessContext, type Ref } from '@tekka/actors'
import { LockAbortedError, LockArgumentError, LockTimeoutError, LockerNotRunningError } from './errors.js'
import {
  REQUEST, RESPONSE, isLockType, isPiggyback, isResource,
  type LockerRefusal, type LockerRequest, type RequestMsg, type ResponseMsg
} from './protocol.js'
import { countAcquire, lockerHandle, type LockerHandle } from './slot.js'
import { DEFAULT_LOCKER, type HeldLock, type LockCallOptions, type LockResult, type LockType, type Piggyback, type WithLockOptions } from './types.js'

/** Extra time the caller waits for the locker beyond the locker's own bound on the request. */
const CALL_MARGIN = 2000
const NO_OPTIONS: LockCallOptions = Object.freeze({})

function checkResource (resource: unknown): asserts resource is string {
  if (!isResource(resource)) {
    throw new LockArgumentError('resource', `a lock resource must be a non-empty string of at most 4096 characters, got ${typeof resource === 'string' ? JSON.stringify(resource.slice(0, 40)) : typeof resource}`)
  }
}

function checkType (type: unknown): asserts type is LockType {
  if (!isLockType(type)) throw new LockArgumentError('type', `unknown lock type ${JSON.stringify(type)}: expected local, leader, quorum or all`)
}

function checkTimeout (what: string, v: unknown): void {
  if (v !== undefined && !(typeof v === 'number' && v >= 0 && !Number.isNaN(v))) throw new LockArgumentError(what, `${what} must be a number of milliseconds >= 0, got ${String(v)}`)
}

function checkOptions (opts: LockCallOptions): void {
  if (opts.locker !== undefined && (typeof opts.locker !== 'string' || opts.locker.length === 0)) throw new LockArgumentError('locker', 'locker must be a non-empty name')
  checkTimeout('timeout', opts.timeout)
}

function handleFor (ctx: ProcessContext, name: string): LockerHandle {
  if (typeof ctx !== 'object' || ctx === null || typeof ctx.receive !== 'function') {
    throw new LockArgumentError('ctx', 'the first argument must be the calling process\'s context: the lock\'s owner is that process')
  }
  const h = lockerHandle(ctx.runtime, name)
  if (h === undefined) throw new LockerNotRunningError(name, ctx.runtime.node)
  return h
}

function refused (r: LockResult | LockerRefusal): r is LockerRefusal {
  return (r as LockerRefusal).error !== undefined
}

/** One request to this node's locker and its answer; undefined if none came within `timeout`. */
async function ask (ctx: ProcessContext, h: LockerHandle, req: LockerRequest, timeout: number): Promise<LockResult | LockerRefusal | undefined> {
  const ref = ctx.makeRef()
  ctx.send(h.pid, { t: REQUEST, ref, from: ctx.self, req } satisfies RequestMsg)
  const m = await ctx.receive((x) => typeof x === 'object' && x !== null && (x as ResponseMsg).t === RESPONSE && (x as ResponseMsg).ref.equals(ref), { timeout })
  return m === TIMEOUT ? undefined : (m as ResponseMsg).result
}

async function acquireOnce (ctx: ProcessContext, resource: string, type: LockType = 'local', piggyback?: Piggyback, opts: LockCallOptions = NO_OPTIONS): Promise<LockResult> {
  checkResource(resource)
  checkType(type)
  if (piggyback !== undefined && !isPiggyback(piggyback)) throw new LockArgumentError('piggyback', 'a piggyback is { fn: name of an RPC function registered on every node, args?: [...] }')
  checkOptions(opts)
  const name = opts.locker ?? DEFAULT_LOCKER
  const h = handleFor(ctx, name)
  if (type === 'local') {
    const r = h.acquireLocal(ctx.self, resource)
    if (piggyback === undefined || !r.ok) return r
    return { ...r, results: [await h.runPiggyback(piggyback)] }
  }
  const timeout = opts.timeout ?? h.defaultTimeout
  const r = await ask(ctx, h, { op: 'acquire', resource, type, piggyback: piggyback ?? null, timeout }, timeout + CALL_MARGIN)
  if (r !== undefined && refused(r)) throw new LockArgumentError('ctx', r.error)
  if (r === undefined || (!r.ok && r.nodes.length === 0)) {
    // The locker died or hung mid-acquire: give back whatever it may have taken.
    await release(ctx, resource, type, { ...opts, locker: name }).catch(() => undefined)
    return { ok: false, nodes: [], reason: 'timeout' }
  }
  return r
}

/**
 * Locks `resource` for the calling process (ekka_locker:acquire). Resolves
 * `{ ok, nodes, token }`; `ok: false` (with `reason`) when it is held or the
 * nodes it needs cannot grant it. Re-acquiring a lock one holds succeeds,
 * with a new token. A failed leader / quorum / all acquire gives back what it
 * took, and, as in ekka, a failed re-acquire releases the lock.
 * Throws LockArgumentError for a bad resource, type or option, and
 * LockerNotRunningError when no locker of that name runs on this node.
 */
export async function acquire (ctx: ProcessContext, resource: string, type: LockType = 'local', piggyback?: Piggyback, opts: LockCallOptions = NO_OPTIONS): Promise<LockResult> {
  const r = await acquireOnce(ctx, resource, type, piggyback, opts)
  countAcquire(ctx.runtime, opts.locker ?? DEFAULT_LOCKER, type, r.ok)
  return r
}

/**
 * Releases the calling process's lock on `resource` (ekka_locker:release):
 * `ok` when every node of the lock let it go (or did not hold it), else the
 * nodes that did not answer or that another owner holds it on. Nodes that
 * could not be reached are told again when they come back.
 */
export async function release (ctx: ProcessContext, resource: string, type: LockType = 'local', opts: LockCallOptions = NO_OPTIONS): Promise<LockResult> {
  checkResource(resource)
  checkType(type)
  checkOptions(opts)
  const name = opts.locker ?? DEFAULT_LOCKER
  const h = handleFor(ctx, name)
  if (type === 'local') return h.releaseLocal(ctx.self, resource)
  const timeout = opts.timeout ?? h.defaultTimeout
  const r = await ask(ctx, h, { op: 'release', resource, type, timeout }, timeout + CALL_MARGIN)
  if (r === undefined) return { ok: false, nodes: [], reason: 'timeout' }
  if (refused(r)) throw new LockArgumentError('ctx', r.error)
  return r
}

const ABORT = 'tekka_lock_abort'

function isAborted (signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true
}

/** Waits `ms` on the process's clock, or less if `signal` aborts (then throws). */
async function pause (ctx: ProcessContext, ms: number, signal: AbortSignal | undefined, resource: string): Promise<void> {
  if (signal === undefined) {
    await ctx.sleep(ms)
    return
  }
  const ref: Ref = ctx.makeRef()
  const match = (m: unknown): boolean => typeof m === 'object' && m !== null && (m as { t?: unknown }).t === ABORT && (m as { ref: Ref }).ref.equals(ref)
  const onAbort = (): void => { ctx.runtime.send(ctx.self, { t: ABORT, ref }) }
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    const got = await ctx.receive(match, { timeout: ms })
    if (got !== TIMEOUT) throw new LockAbortedError(resource, { cause: signal.reason })
  } finally {
    signal.removeEventListener('abort', onAbort)
    await ctx.receive(match, { timeout: 0 })
  }
}

/**
 * Runs `fn` holding the lock on `resource`, and always releases it
 * afterwards, whether `fn` returns or throws. Retries a refused acquire with
 * exponential backoff and jitter until `timeout` (LockTimeoutError) or
 * `signal` (LockAbortedError). `fn` gets the lock's fencing token.
 *
 * ```ts
 * await node.run((ctx) => withLock(ctx, 'orders/42', async ({ token }) => {
 *   await store.write(42, data, { fence: token })
 * }, { type: 'quorum', timeout: 10_000 }))
 * ```
 */
export async function withLock<T> (ctx: ProcessContext, resource: string, fn: (lock: HeldLock) => T | Promise<T>, opts: WithLockOptions = {}): Promise<T> {
  const type = opts.type ?? 'local'
  checkResource(resource)
  checkType(type)
  if (typeof fn !== 'function') throw new LockArgumentError('fn', 'withLock needs a function to run under the lock')
  checkOptions(opts)
  checkTimeout('attemptTimeout', opts.attemptTimeout)
  const min = opts.backoff?.min ?? 5
  const max = opts.backoff?.max ?? 500
  checkTimeout('backoff.min', min)
  checkTimeout('backoff.max', max)
  const name = opts.locker ?? DEFAULT_LOCKER
  const h = handleFor(ctx, name)
  const signal = opts.signal
  const timeout = opts.timeout ?? 5000
  const deadline = ctx.clock.now() + timeout
  const perAttempt = opts.attemptTimeout ?? h.defaultTimeout
  const callOpts: LockCallOptions = { locker: name }
  if (isAborted(signal)) throw new LockAbortedError(resource, { cause: signal?.reason })
  let wait = Math.max(1, min)
  let got: LockResult
  for (;;) {
    const left = deadline - ctx.clock.now()
    got = await acquire(ctx, resource, type, opts.piggyback, { ...callOpts, timeout: Math.max(1, Math.min(perAttempt, left)) })
    if (got.ok) break
    if (isAborted(signal)) throw new LockAbortedError(resource, { cause: signal?.reason })
    const now = ctx.clock.now()
    if (now >= deadline) throw new LockTimeoutError(resource, timeout, got)
    await pause(ctx, Math.min(wait * (0.5 + Math.random()), deadline - now), signal, resource)
    wait = Math.min(Math.max(1, max), wait * 2)
  }
  const releaseOpts: LockCallOptions = { ...callOpts, timeout: perAttempt }
  if (isAborted(signal)) {
    await release(ctx, resource, type, releaseOpts)
    throw new LockAbortedError(resource, { cause: signal?.reason })
  }
  const held: HeldLock = got.results === undefined
    ? { resource, type, token: got.token!, nodes: got.nodes }
    : { resource, type, token: got.token!, nodes: got.nodes, results: got.results }
  try {
    return await fn(held)
  } finally {
    await release(ctx, resource, type, releaseOpts).catch(() => undefined)
  }
}
