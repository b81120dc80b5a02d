/**
 * RPC: functions registered by name on a node, called from other nodes
 * (Erlang's rpc:call / rpc:multicall, with named functions in place of
 * module:function). A remote call runs in a fresh process on the callee, so
 * a throw there is the call's typed failure and never harms the node.
 */
import { formatReason, type Runtime, type Timer, type Timeouts, type TimeoutTarget, type Logger } from '@tekka/actors'
import { RPC_CALL, RPC_REPLY, type Signal } from './protocol.js'
import type { NetKernel } from './net-kernel.js'
import { BadRpcError } from './errors.js'
import { DEFAULT_RPC_TIMEOUT } from './defaults.js'
import type { MulticallResult, RpcCallOptions, RpcFunction, RpcService } from './components.js'

/**
 * The callee's error as the caller gets it: the error itself (rebuilt by the
 * codec as its class), or, from a peer that sent only its text, an Error
 * with that name, message and stack.
 */
function remoteError (e: unknown, value: unknown): Error {
  if (e instanceof Error) return e
  const o = e as { name?: unknown, message?: unknown, stack?: unknown } | undefined
  const err = new Error(String(o?.message ?? formatReason(value)))
  err.name = String(o?.name ?? 'Error')
  if (typeof o?.stack === 'string') err.stack = o.stack
  return err
}

/** What to send when a reply cannot be encoded: a thrown error's text if only its fields were the trouble, else a TypeError saying why. */
function unencodable (fn: string, ok: boolean, value: unknown, why: Error): { name: string, message: string, stack?: string } {
  const e = (value as { error?: unknown } | undefined)?.error
  if (!ok && e instanceof Error) return { name: e.name, message: e.message, ...(typeof e.stack === 'string' ? { stack: e.stack } : {}) }
  return { name: 'TypeError', message: `result of ${fn} cannot be sent: ${why.message}` }
}

/** Options of `call` and `multicall`. */
export type CallOptions = RpcCallOptions

/**
 * A call from here waiting for its reply: one object per call, with no
 * closures of its own (the promise's executor is the Rpc's, shared; the
 * call is its own timeout target), and its timeout an entry in the
 * runtime's timeout queue, not a Node timer. Those
 * two were most of what a remote call allocated (remote.call's allocation
 * profile: ~1.7 KB a call, GC a third of the caller's time).
 */
class PendingCall implements TimeoutTarget {
  readonly id: number
  readonly node: string
  readonly fn: string
  readonly rpc: Rpc
  resolve: (v: unknown) => void = noop
  reject: (e: Error) => void = noop
  timeout = 0
  timer: Timer | undefined = undefined
  signal: AbortSignal | undefined = undefined
  onAbort: (() => void) | undefined = undefined

  constructor (rpc: Rpc, id: number, node: string, fn: string) {
    this.rpc = rpc
    this.id = id
    this.node = node
    this.fn = fn
  }

  onTimeout (timer: Timer): void {
    if (this.timer === timer) this.rpc.expire(this)
  }
}

function noop (): void {}

type RpcSignal = Extract<Signal, { tag: typeof RPC_CALL | typeof RPC_REPLY }>

export class Rpc implements RpcService {
  readonly #rt: Runtime
  readonly #timeouts: Timeouts
  readonly #log: Logger
  #kernel: NetKernel | undefined
  #fns = new Map<string, RpcFunction>()
  #pending = new Map<number, PendingCall>()
  /** The call whose promise is being made: the shared executor's argument. */
  #making: PendingCall | undefined
  #nextId = 1

  constructor (rt: Runtime, logger: Logger) {
    this.#rt = rt
    this.#timeouts = rt.timeouts
    this.#log = logger
  }

  /** @internal */
  attach (kernel: NetKernel): void {
    this.#kernel = kernel
    const lost = (node: string, why: string): void => {
      for (const [id, p] of this.#pending) {
        if (p.node !== node) continue
        this.#pending.delete(id)
        this.#settle(p)
        p.reject(new BadRpcError('ERR_RPC_NODEDOWN', node, p.fn, `rpc ${p.fn} on ${node}: ${why}`))
      }
    }
    this.#rt.events.on('dist.nodedown', (e) => { lost(e.peer, `node down (${e.reason})`) })
    this.#rt.events.on('dist.unreachable', (e) => { lost(e.peer, 'node unreachable') })
  }

  /** Makes `fn` callable from other nodes as `name`. Replaces an earlier registration. */
  register (name: string, fn: RpcFunction): void {
    if (typeof name !== 'string' || name.length === 0) throw new TypeError('rpc function name must be a non-empty string')
    if (typeof fn !== 'function') throw new TypeError(`rpc function ${name} must be a function`)
    this.#fns.set(name, fn)
  }

  unregister (name: string): void {
    this.#fns.delete(name)
  }

  /** Calls made from here still waiting for their reply (each holds a reply slot and, with a timeout, a timer). */
  get pendingCalls (): number {
    return this.#pending.size
  }

  registered (): string[] {
    return [...this.#fns.keys()].sort()
  }

  /** Calls `fn` on `node` with `args`; rejects with a BadRpcError. */
  call<T = unknown>(node: string, fn: string, args: unknown[] = [], opts?: CallOptions): Promise<T> {
    const timeout = opts?.timeout ?? DEFAULT_RPC_TIMEOUT
    const signal = opts?.signal
    if (node === this.#rt.node || this.#kernel === undefined) return this.#local(fn, args, timeout, signal) as Promise<T>
    if (signal?.aborted === true) return Promise.reject(new BadRpcError('ERR_RPC_ABORTED', node, fn, `rpc ${fn} on ${node} aborted`))
    const p = new PendingCall(this, this.#nextId++, node, fn)
    this.#making = p
    const promise = new Promise<T>(this.#capture)
    this.#making = undefined
    if (Number.isFinite(timeout)) {
      p.timeout = timeout
      p.timer = this.#timeouts.setTimeoutOn(p, timeout)
    }
    if (signal !== undefined) {
      p.signal = signal
      p.onAbort = () => {
        if (!this.#pending.delete(p.id)) return
        this.#settle(p)
        p.reject(new BadRpcError('ERR_RPC_ABORTED', node, fn, `rpc ${fn} on ${node} aborted`))
      }
      signal.addEventListener('abort', p.onAbort, { once: true })
    }
    this.#pending.set(p.id, p)
    void this.#kernel.sendFrame(node, [RPC_CALL, p.id, fn, args])
    return promise
  }

  /** The executor of every remote call's promise: hands its functions to the call being made. */
  #capture = (resolve: (v: never) => void, reject: (e: Error) => void): void => {
    const p = this.#making as PendingCall
    p.resolve = resolve as (v: unknown) => void
    p.reject = reject
  }

  /** @internal A call's timeout fired (PendingCall.onTimeout). */
  expire (p: PendingCall): void {
    p.timer = undefined
    if (!this.#pending.delete(p.id)) return
    this.#settle(p)
    p.reject(new BadRpcError('ERR_RPC_TIMEOUT', p.node, p.fn, `rpc ${p.fn} on ${p.node} timed out after ${p.timeout} ms`))
  }

  /** A call that got its answer (or none): its timeout and abort listener go. */
  #settle (p: PendingCall): void {
    if (p.timer !== undefined) this.#timeouts.clearTimeout(p.timer)
    if (p.onAbort !== undefined) p.signal?.removeEventListener('abort', p.onAbort)
  }

  /** Calls `fn` on every node; each result is `{ node, ok: true, value }` or `{ node, ok: false, error }`. */
  async multicall<T = unknown>(nodes: string[], fn: string, args: unknown[] = [], opts: CallOptions = {}): Promise<MulticallResult<T>> {
    return await Promise.all(nodes.map(async (node) => {
      try {
        return { node, ok: true as const, value: await this.call<T>(node, fn, args, opts) }
      } catch (err) {
        return { node, ok: false as const, error: err as BadRpcError }
      }
    }))
  }

  #local (fn: string, args: unknown[], timeout: number, signal: AbortSignal | undefined): Promise<unknown> {
    const node = this.#rt.node
    return new Promise((resolve, reject) => {
      let done = false
      let timer: Timer | undefined
      const finish = (err: Error | undefined, v?: unknown): void => {
        if (done) return
        done = true
        if (timer !== undefined) this.#timeouts.clearTimeout(timer)
        if (err !== undefined) reject(err)
        else resolve(v)
      }
      if (Number.isFinite(timeout)) {
        timer = this.#timeouts.setTimeout(() => { finish(new BadRpcError('ERR_RPC_TIMEOUT', node, fn, `rpc ${fn} on ${node} timed out after ${timeout} ms`)) }, timeout)
      }
      signal?.addEventListener('abort', () => { finish(new BadRpcError('ERR_RPC_ABORTED', node, fn, `rpc ${fn} on ${node} aborted`)) }, { once: true })
      this.#run(fn, args, (ok, value) => {
        if (ok) finish(undefined, value)
        else finish(this.#failure(node, fn, value))
      })
    })
  }

  #failure (node: string, fn: string, value: unknown): BadRpcError {
    const v = value as { kind?: string, error?: unknown } | undefined
    if (v?.kind === 'undef') return new BadRpcError('ERR_RPC_UNDEF', node, fn, `rpc: no function ${JSON.stringify(fn)} registered on ${node}`)
    const remote = remoteError(v?.error, value)
    return new BadRpcError('ERR_RPC_EXCEPTION', node, fn, `rpc ${fn} on ${node} threw ${remote.name}: ${remote.message}`, remote)
  }

  /** Runs a registered function in a new process; `done(ok, value)` once. */
  #run (fn: string, args: unknown[], done: (ok: boolean, value: unknown) => void): void {
    const f = this.#fns.get(fn)
    if (f === undefined) {
      done(false, { kind: 'undef', fn })
      return
    }
    this.#rt.spawn(async (ctx) => {
      try {
        done(true, await f.apply(ctx, args))
      } catch (err) {
        // The error itself: the codec carries its class, code and fields to the caller.
        done(false, { kind: 'exception', error: err instanceof Error ? err : new Error(formatReason(err)) })
      }
    })
  }

  /** @internal RPC signals from a peer. */
  handle (peer: string, s: RpcSignal): void {
    if (s.tag === RPC_CALL) {
      this.#run(s.fn, s.args, (ok, value) => {
        try {
          void this.#kernel?.sendFrame(peer, [RPC_REPLY, s.id, ok, value])
        } catch (err) {
          this.#log.warn('rpc reply could not be encoded', { fn: s.fn, peer, error: err as Error })
          void this.#kernel?.sendFrame(peer, [RPC_REPLY, s.id, false, { kind: 'exception', error: unencodable(s.fn, ok, value, err as Error) }])
        }
      })
      return
    }
    const p = this.#pending.get(s.id)
    if (p === undefined || p.node !== peer) return
    this.#pending.delete(s.id)
    this.#settle(p)
    if (s.ok) p.resolve(s.value)
    else p.reject(this.#failure(peer, p.fn, s.value))
  }
}
