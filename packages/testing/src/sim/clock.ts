/**
 * Simulated time for the whole simulated cluster: one clock, timers in a
 * heap, advanced in bulk. Between batches of timers the real event loop is
 * given turns (setImmediate) until the code under test is quiet, so
 * promise callbacks, stream events and the runtime's batches run; nothing
 * waits on real time and no real I/O happens, so a run is a function of its
 * seed.
 *
 * Each node gets a NodeClock: a view of the shared clock whose timers can
 * all be dropped at once, which is how a node "crashes".
 */
import type { Clock, Timer } from '@tekka/actors'

interface SimTimer { at: number, seq: number, fn: () => void, cancelled: boolean }

export class SimClock implements Clock {
  #now = 0
  #seq = 0
  #heap: SimTimer[] = []
  /** Bumped by anything that schedules work (timers, network sends): the event loop is not quiet yet. */
  activity = 0
  /** Errors thrown by timer callbacks (each would crash a real node process). */
  readonly errors: Error[] = []

  now (): number {
    return this.#now
  }

  setTimeout (fn: () => void, ms: number): Timer {
    const t: SimTimer = { at: this.#now + Math.max(0, Number.isFinite(ms) ? ms : 0), seq: this.#seq++, fn, cancelled: false }
    this.#push(t)
    this.activity++
    return t as unknown as Timer
  }

  clearTimeout (timer: Timer): void {
    if (timer !== undefined && timer !== null) (timer as unknown as SimTimer).cancelled = true
  }

  /** When the next live timer is due. */
  nextAt (): number | undefined {
    const h = this.#heap
    while (h.length > 0 && h[0]!.cancelled) this.#pop()
    return h[0]?.at
  }

  /**
   * Runs every timer due up to `target`, in time order, in batches: the
   * timers of one `quantum` fire back to back, then the event loop settles.
   */
  async runUntil (target: number, quantum: number): Promise<void> {
    await this.settle()
    for (;;) {
      const first = this.nextAt()
      if (first === undefined || first > target) break
      const limit = Math.min(target, first + quantum)
      for (;;) {
        const at = this.nextAt()
        if (at === undefined || at > limit) break
        const t = this.#pop()!
        if (t.at > this.#now) this.#now = t.at
        try {
          t.fn()
        } catch (err) {
          this.errors.push(err as Error)
        }
      }
      await this.settle()
    }
    if (target > this.#now) this.#now = target
    await this.settle()
  }

  /** Event-loop turns until two in a row schedule nothing new. */
  async settle (): Promise<void> {
    let quiet = 0
    for (let i = 0; i < 64 && quiet < 2; i++) {
      const before = this.activity
      await new Promise<void>((resolve) => setImmediate(resolve))
      quiet = this.activity === before ? quiet + 1 : 0
    }
  }

  #push (t: SimTimer): void {
    const h = this.#heap
    h.push(t)
    let i = h.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!less(h[i]!, h[p]!)) break
      ;[h[i], h[p]] = [h[p]!, h[i]!]
      i = p
    }
  }

  #pop (): SimTimer | undefined {
    const h = this.#heap
    if (h.length === 0) return undefined
    const top = h[0]!
    const last = h.pop()!
    if (h.length > 0) {
      h[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < h.length && less(h[l]!, h[m]!)) m = l
        if (r < h.length && less(h[r]!, h[m]!)) m = r
        if (m === i) break
        ;[h[i], h[m]] = [h[m]!, h[i]!]
        i = m
      }
    }
    return top
  }
}

function less (a: SimTimer, b: SimTimer): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq)
}

/** One node's view of the shared clock; `kill()` drops its timers for good (the node crashed). */
export class NodeClock implements Clock {
  readonly #sim: SimClock
  #timers = new Set<Timer>()
  #dead = false

  constructor (sim: SimClock) {
    this.#sim = sim
  }

  now (): number {
    return this.#sim.now()
  }

  setTimeout (fn: () => void, ms: number): Timer {
    if (this.#dead) return { dead: true } as unknown as Timer
    const t: Timer = this.#sim.setTimeout(() => {
      this.#timers.delete(t)
      fn()
    }, ms)
    this.#timers.add(t)
    return t
  }

  clearTimeout (timer: Timer): void {
    if (this.#timers.delete(timer)) this.#sim.clearTimeout(timer)
  }

  kill (): void {
    this.#dead = true
    for (const t of this.#timers) this.#sim.clearTimeout(t)
    this.#timers.clear()
  }
}
