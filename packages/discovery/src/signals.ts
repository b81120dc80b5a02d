/**
 * AbortSignal plumbing shared by the strategies: a strategy call listens on
 * the caller's signal, the strategy's own (its stop) and the node's (its
 * discovery stopping). The long-lived ones see thousands of calls, so every
 * listener is removed again when its call settles.
 */

/** Why `signal` was aborted, as an Error (a reason that is not one is wrapped). */
export function abortReason (signal: AbortSignal): Error {
  const r: unknown = signal.reason
  return r instanceof Error ? r : new Error(r === undefined ? 'aborted' : String(r))
}

export interface AnySignal {
  /** Aborted, with the reason of the first of the signals aborted, when any of them is (or by `abort`). */
  readonly signal: AbortSignal
  abort(reason: Error): void
  /** Removes the listeners on the given signals; call it when the work settles. */
  release(): void
}

/** One signal for all of `signals` (undefined ones are skipped). */
export function anySignal (signals: ReadonlyArray<AbortSignal | undefined>): AnySignal {
  const ac = new AbortController()
  const undo: Array<() => void> = []
  for (const s of signals) {
    if (s === undefined) continue
    if (s.aborted) { ac.abort(abortReason(s)); break }
    const on = (): void => { ac.abort(abortReason(s)) }
    s.addEventListener('abort', on, { once: true })
    undo.push(() => { s.removeEventListener('abort', on) })
  }
  return {
    signal: ac.signal,
    abort: (reason) => { ac.abort(reason) },
    release: () => { for (const u of undo.splice(0)) u() }
  }
}

/** `p`, or a rejection with the abort reason of the first of `signals` aborted before it settles. */
export async function untilAborted<T> (p: Promise<T>, ...signals: Array<AbortSignal | undefined>): Promise<T> {
  const live = signals.filter((s): s is AbortSignal => s !== undefined)
  if (live.length === 0) return await p
  const any = anySignal(live)
  try {
    any.signal.throwIfAborted()
    return await Promise.race([p, new Promise<never>((_resolve, reject) => {
      any.signal.addEventListener('abort', () => { reject(abortReason(any.signal)) }, { once: true })
    })])
  } finally {
    any.release()
  }
}
