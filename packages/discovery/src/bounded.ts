/**
 * Calls with a bound. A strategy is someone else's code talking to someone
 * else's server, and a discovered node may be a black hole: the autocluster
 * actor never waits on either for ever, never lets a synchronous throw
 * escape, and tells the callee (through an AbortSignal) when it has stopped
 * waiting.
 */
import type { Clock, Timer } from '@tekka/actors'

/**
 * Runs `fn(signal)` and settles as it does; or rejects with `onTimeout()`
 * after `ms` on `clock`, or with the abort reason when `outer` is aborted,
 * aborting `signal` either way. A synchronous throw becomes a rejection.
 */
export async function bounded<T> (clock: Clock, ms: number, onTimeout: () => Error, fn: (signal: AbortSignal) => T | Promise<T>, outer?: AbortSignal): Promise<T> {
  const ac = new AbortController()
  let timer: Timer | undefined
  let onOuter: (() => void) | undefined
  try {
    return await new Promise<T>((resolve, reject) => {
      timer = clock.setTimeout(() => {
        const err = onTimeout()
        ac.abort(err)
        reject(err)
      }, ms)
      if (outer !== undefined) {
        onOuter = () => {
          const why = outer.reason instanceof Error ? outer.reason : new Error('aborted')
          ac.abort(why)
          reject(why)
        }
        if (outer.aborted) { onOuter(); return }
        outer.addEventListener('abort', onOuter, { once: true })
      }
      Promise.resolve().then(() => fn(ac.signal)).then(resolve, reject)
    })
  } finally {
    if (timer !== undefined) clock.clearTimeout(timer)
    if (onOuter !== undefined) outer?.removeEventListener('abort', onOuter)
  }
}
