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
 *
 * Why this is not @tekka/actors' SimulatedClock (the one simulated clock
 * everything else uses; this package may not change it, and its timers
 * are private, so a wrapper can only call advance()):
 *
 * - Cost. SimulatedClock.advance fires one timer at a time and lets three
 *   event-loop turns pass after each, finding each next timer by scanning
 *   an array (and splicing it on clearTimeout). A simulated cluster fires
 *   4,000 to 5,000 timers per seed (every packet in flight is one, every
 *   link's tick, RPC and dial timeouts) with hundreds pending: 12,000 to
 *   15,000 turns per seed, where this clock takes under 1,000 (timers due
 *   within one `quantum`, 50 ms, fire back to back from a heap, then the
 *   loop settles once). Measured: the simulation on a SimClock that wraps
 *   SimulatedClock (every timer through advance()) passes all 1,000
 *   seeds, but executes 20 % more instructions than on this clock
 *   (valgrind, seeds 1-12, node --single-threaded), in a tier whose time
 *   budget the simulation already strains.
 * - The recorded seeds. Firing timers one by one instead of per quantum
 *   changes the interleaving, so every seed plays out differently: the
 *   1,000 seeds would be 1,000 new runs, and a seed reported failing
 *   before would replay as something else.
 *
 * So the simulation keeps this clock (if SimulatedClock gains batched
 * advancing and a heap, it can move there); nothing else in the
 * repository simulates time but SimulatedClock.
 *
 * The quiet check asks Node whether an immediate is pending
 * (process.getActiveResourcesInfo). With none pending when a settle turn
 * runs, no callback, tick or microtask is left either (Node drains those
 * before each immediate), so the turns the old rule (two quiet turns in a
 * row) would still take are no-ops and are skipped: the runs are the
 * same, turn for turn of real work.
 */
import type { Clock, Timer } from '@tekka/actors'

/** A NodeClock's timers share its owner: `dead` cancels them all at once. */
interface Owner { dead: boolean }

interface SimTimer { at: number, seq: number, fn: () => void, cancelled: boolean, owner: Owner | undefined }

/**
 * Whether the code under test has an immediate pending. Node lists every
 * ref'd one among the process's active resources (an unref'd one would be
 * missed: nothing in tekka unrefs its immediates).
 */
function immediatePending (): boolean {
  for (const r of process.getActiveResourcesInfo()) if (r === 'Immediate') return true
  return false
}

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
    return this.schedule(fn, ms, undefined)
  }

  /** @internal setTimeout for a NodeClock: the timer dies with `owner`. */
  schedule (fn: () => void, ms: number, owner: Owner | undefined): Timer {
    const t: SimTimer = { at: this.#now + Math.max(0, Number.isFinite(ms) ? ms : 0), seq: this.#seq++, fn, cancelled: false, owner }
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
    while (h.length > 0 && dead(h[0])) this.#pop()
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

  /**
   * Event-loop turns until two in a row schedule nothing new (at most 64);
   * a turn after which no immediate is pending ends it at once, since the
   * turns left would run nothing.
   */
  async settle (): Promise<void> {
    await new Promise<void>((resolve) => {
      let quiet = 0
      let turns = 0
      const turn = (): void => {
        const before = this.activity
        setImmediate(() => {
          turns++
          quiet = this.activity === before ? quiet + 1 : 0
          if (quiet >= 2 || turns >= 64 || !immediatePending()) resolve()
          else turn()
        })
      }
      turn()
    })
  }

  #push (t: SimTimer): void {
    const h = this.#heap
    let i = h.length
    h.push(t)
    while (i > 0) {
      const p = (i - 1) >> 1
      const parent = h[p]
      if (!less(t, parent)) break
      h[i] = parent
      i = p
    }
    h[i] = t
  }

  #pop (): SimTimer | undefined {
    const h = this.#heap
    if (h.length === 0) return undefined
    const top = h[0]
    const last = h.pop()!
    const n = h.length
    if (n > 0) {
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        if (l >= n) break
        const r = l + 1
        const c = r < n && less(h[r], h[l]) ? r : l
        if (!less(h[c], last)) break
        h[i] = h[c]!
        i = c
      }
      h[i] = last
    }
    return top
  }
}

function less (a: SimTimer, b: SimTimer): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq)
}

function dead (t: SimTimer): boolean {
  return t.cancelled || (t.owner !== undefined && t.owner.dead)
}

/** One node's view of the shared clock; `kill()` drops its timers for good (the node crashed). */
export class NodeClock implements Clock {
  readonly #sim: SimClock
  readonly #owner: Owner = { dead: false }

  constructor (sim: SimClock) {
    this.#sim = sim
  }

  now (): number {
    return this.#sim.now()
  }

  setTimeout (fn: () => void, ms: number): Timer {
    if (this.#owner.dead) return { dead: true } as unknown as Timer
    return this.#sim.schedule(fn, ms, this.#owner)
  }

  clearTimeout (timer: Timer): void {
    if ((timer as unknown as SimTimer | undefined)?.owner === this.#owner) this.#sim.clearTimeout(timer)
  }

  kill (): void {
    this.#owner.dead = true
  }
}
