/**
 * Time, injected. Every timeout, tick, lease and restart-intensity window in
 * tekka reads a Clock, so tests can run on a SimulatedClock and advance it.
 */
export interface Timer { readonly __timer: unique symbol }

export interface Clock {
  /** Milliseconds, monotonic within one clock. */
  now(): number
  setTimeout(fn: () => void, ms: number): Timer
  clearTimeout(timer: Timer): void
  /**
   * Lets `timer` not keep the process alive, and back (Node's
   * `timeout.unref()` / `ref()`). Optional: a clock that has them lets the
   * runtime share one timer among its receive timeouts (timeouts.ts).
   */
  unref?(timer: Timer): void
  ref?(timer: Timer): void
}

/** The real clock: `performance.now()`-based time and Node timers (unref'd when asked). */
export function systemClock (): Clock {
  return {
    now: () => performance.now(),
    setTimeout: (fn, ms) => setTimeout(fn, Math.max(0, ms)) as unknown as Timer,
    clearTimeout: (t) => { clearTimeout(t as unknown as NodeJS.Timeout) },
    unref: (t) => { (t as unknown as NodeJS.Timeout).unref() },
    ref: (t) => { (t as unknown as NodeJS.Timeout).ref() }
  }
}

interface SimTimer { at: number, seq: number, fn: () => void, cancelled: boolean }

/**
 * A clock that moves only when told. `advance(ms)` fires due timers in time
 * order, letting promise callbacks run between them, so code that awaits a
 * timer and then sets another behaves as it would in real time.
 */
export class SimulatedClock implements Clock {
  #now: number
  #seq = 0
  #timers: SimTimer[] = []

  constructor (start = 0) {
    this.#now = start
  }

  now (): number {
    return this.#now
  }

  setTimeout (fn: () => void, ms: number): Timer {
    const t: SimTimer = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn, cancelled: false }
    this.#timers.push(t)
    return t as unknown as Timer
  }

  clearTimeout (timer: Timer): void {
    const t = timer as unknown as SimTimer
    t.cancelled = true
    const i = this.#timers.indexOf(t)
    if (i >= 0) this.#timers.splice(i, 1)
  }

  /** Number of timers waiting to fire. */
  get pending (): number {
    return this.#timers.length
  }

  #next (limit: number): SimTimer | undefined {
    let best: SimTimer | undefined
    for (const t of this.#timers) {
      if (t.at <= limit && (best === undefined || t.at < best.at || (t.at === best.at && t.seq < best.seq))) best = t
    }
    return best
  }

  /** Moves time forward by `ms`, firing every timer that falls due, in order. */
  async advance (ms: number): Promise<void> {
    const target = this.#now + ms
    await settle()
    for (;;) {
      const t = this.#next(target)
      if (t === undefined) break
      this.#timers.splice(this.#timers.indexOf(t), 1)
      this.#now = Math.max(this.#now, t.at)
      t.fn()
      await settle()
    }
    this.#now = target
    await settle()
  }

  /** Fires timers until none is left within `maxMs` of now. */
  async runAll (maxMs = 3_600_000): Promise<void> {
    await this.advance(maxMs)
  }
}

/** Lets queued promise callbacks and the runtime's deferred batches run. */
export async function settle (): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve))
}
