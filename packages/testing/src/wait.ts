/**
 * Waiting in tests: on real time in process and network tests, where a
 * condition becomes true "soon" (a nodeup, a healed partition) and fixed
 * sleeps are either flaky or slow (`eventually`, `withTimeout`); on the event
 * loop alone in tests of in-process code (`until`); and for a promise that
 * must reject (`rejects`).
 */
import { TimeoutError } from '@tekka/actors'
import { EventuallyTimeoutError, ResolvedError, WrongRejectionError } from './errors.js'

export { EventuallyTimeoutError, ResolvedError, WrongRejectionError } from './errors.js'

export interface EventuallyOptions {
  /** Give up after this many ms. Default 5000. */
  timeout?: number
  /** Pause between attempts, in ms. Default 50. */
  interval?: number
  /** What is being waited for, for the error message. */
  message?: string
  signal?: AbortSignal
}

export async function sleep (ms: number, signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted()
  await new Promise<void>((resolve, reject) => {
    const onAbort = (): void => { clearTimeout(t); reject(signal?.reason) }
    const t = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve() }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/**
 * Call `fn` until it passes, and return what it returned. It passes when it
 * neither throws nor returns `false` (so both `assert.ok(...)` style checks and
 * boolean predicates work). It is attempted at least once, even after the
 * deadline, and an attempt in flight is never abandoned. On timeout the error
 * carries the last failure's message and the failure itself as `cause`.
 */
export async function eventually<T> (fn: () => T | Promise<T>, opts: EventuallyOptions = {}): Promise<Exclude<T, false>> {
  const timeout = opts.timeout ?? 5000
  const interval = opts.interval ?? 50
  const deadline = Date.now() + timeout
  let attempts = 0
  let last: unknown
  for (;;) {
    opts.signal?.throwIfAborted()
    attempts++
    try {
      const v = await fn()
      if (v !== false) return v as Exclude<T, false>
      last = new Error('returned false')
    } catch (err) {
      last = err
    }
    if (Date.now() >= deadline) break
    await sleep(Math.min(interval, Math.max(0, deadline - Date.now())), opts.signal)
  }
  const why = last instanceof Error ? last.message : String(last)
  throw new EventuallyTimeoutError(`${opts.message ?? 'condition'} not met within ${timeout} ms (${attempts} attempts); last: ${why}`, last)
}

/** `promise`, or a rejection naming `what` if it does not settle within `ms`. */
export async function withTimeout<T> (promise: Promise<T>, ms: number, what = 'operation'): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => { reject(new TimeoutError(what, ms)) }, ms)
      })
    ])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Waits for `cond` by giving the event loop turns (setImmediate), with no
 * real time involved: for in-process code that gets there by itself, on a
 * simulated clock or none. Throws after `turns` turns.
 */
export async function until (cond: () => boolean | Promise<boolean>, what = 'condition', turns = 1000): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (await cond()) return
    await new Promise<void>((resolve) => { setImmediate(resolve) })
  }
  throw new TimeoutError(`${what} (after ${turns} event loop turns)`, 0)
}

/**
 * What `p` rejected with; throws ResolvedError if it resolved. With `cls`,
 * also checks the error's class, and with `patterns` its message, so a test
 * names what it expects: `const e = await rejects(call(...), CallTimeoutError, /timed out/)`.
 */
export async function rejects<E extends Error = Error> (p: Promise<unknown>, cls?: abstract new (...args: any[]) => E, ...patterns: Array<string | RegExp>): Promise<E> {
  let value: unknown
  try {
    value = await p
  } catch (err) {
    if (cls !== undefined && !(err instanceof cls)) {
      throw new WrongRejectionError(`rejected with ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}, not a ${cls.name}`, err)
    }
    for (const pat of patterns) {
      const msg = err instanceof Error ? err.message : String(err)
      if (typeof pat === 'string' ? !msg.includes(pat) : !pat.test(msg)) {
        throw new WrongRejectionError(`rejection message ${JSON.stringify(msg)} does not match ${String(pat)}`, err)
      }
    }
    return err as E
  }
  throw new ResolvedError('the promise', value)
}
