/**
 * The timeouts of a runtime's receives (`receive(match, { timeout })`,
 * every GenServer call, `sleep`) on one clock timer.
 *
 * A call sets a timeout and cancels it a few microseconds later, when the
 * reply comes. With a Node timer for each one, inserting into Node's timer
 * list and taking it out again was a fifth of a local call's time (CPU
 * profile of `local.call`). Here every timeout is an entry in a min-heap
 * ordered by deadline. Cancelling only marks the entry. The one clock timer
 * is armed for the earliest live deadline, exactly, so an entry fires at
 * the instant its own timer would have. When the earliest entry is
 * cancelled, the timer stays armed: when it fires, it drops the cancelled
 * entries and re-arms for the next live one. While no entry is live, the
 * timer is unref'd, so it does not keep the process alive; with a live
 * one it is ref'd again, as a timer of its own would have been. Cancelled
 * entries are compacted away once they outnumber the live ones.
 *
 * This needs a clock whose timers can be unref'd (`Clock.unref`/`ref`: the
 * system clock). On other clocks (SimulatedClock, a simulation's) every
 * timeout stays a clock timer of its own, so the order of timers that fall
 * due at the same instant stays what tests and recorded simulation seeds
 * expect. `timeoutsFor` picks one or the other.
 *
 * A hot path that sets a timeout per operation passes an object instead of
 * a closure (`setTimeoutOn(target, ms)`: the queue calls
 * `target.onTimeout(timer)`), so the timeout allocates its entry and
 * nothing else: a process waiting in a receive, a remote call waiting for
 * its reply.
 *
 * ```ts
 * const timeouts = timeoutsFor(systemClock())
 * const t = timeouts.setTimeout(() => { console.log('late') }, 5000)
 * timeouts.clearTimeout(t) // the reply came
 * ```
 */
import type { Clock, Timer } from './clock.js'

/** What a timeout set with `setTimeoutOn` calls: `onTimeout` with the timer it was given. */
export interface TimeoutTarget {
  onTimeout(timer: Timer): void
}

/** What a receive needs of time: set and clear a timeout. */
export interface Timeouts {
  setTimeout(fn: () => void, ms: number): Timer
  /** As setTimeout, calling `target.onTimeout(timer)`: no closure to allocate. */
  setTimeoutOn(target: TimeoutTarget, ms: number): Timer
  clearTimeout(timer: Timer): void
}

interface Entry {
  readonly at: number
  readonly seq: number
  /** What to call; undefined once fired or cancelled. */
  fn: (() => void) | TimeoutTarget | undefined
}

/** Once there are more cancelled entries than this plus twice the live ones, the heap is rebuilt. */
const SLACK = 64

export class TimeoutQueue implements Timeouts {
  readonly #clock: Clock & Required<Pick<Clock, 'ref' | 'unref'>>
  #heap: Entry[] = []
  #live = 0
  #seq = 0
  #timer: Timer | undefined
  #armedAt = Infinity
  #refd = false

  constructor (clock: Clock & Required<Pick<Clock, 'ref' | 'unref'>>) {
    this.#clock = clock
  }

  /** Entries not yet fired or cancelled. */
  get live (): number {
    return this.#live
  }

  /** Entries held, cancelled ones included (for tests: compaction keeps this bounded). */
  get size (): number {
    return this.#heap.length
  }

  setTimeout (fn: () => void, ms: number): Timer {
    return this.#add(fn, ms)
  }

  setTimeoutOn (target: TimeoutTarget, ms: number): Timer {
    return this.#add(target, ms)
  }

  #add (fn: (() => void) | TimeoutTarget, ms: number): Timer {
    const e: Entry = { at: this.#clock.now() + Math.max(0, Number.isFinite(ms) ? ms : 0), seq: this.#seq++, fn }
    this.#push(e)
    this.#live++
    if (e.at < this.#armedAt) this.#arm(e.at)
    else if (!this.#refd) this.#ref(true)
    return e as unknown as Timer
  }

  clearTimeout (timer: Timer): void {
    const e = timer as unknown as Entry | undefined
    if (e?.fn === undefined) return
    e.fn = undefined
    this.#live--
    if (this.#live === 0) {
      this.#heap.length = 0
      this.#ref(false)
    } else if (this.#heap.length > 2 * this.#live + SLACK) {
      this.#compact()
    }
  }

  #arm (at: number): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer)
    this.#armedAt = at
    this.#timer = this.#clock.setTimeout(() => { this.#fire() }, at - this.#clock.now())
    this.#refd = true
    if (this.#live === 0) this.#ref(false)
  }

  #ref (on: boolean): void {
    if (this.#timer === undefined || this.#refd === on) return
    this.#refd = on
    if (on) this.#clock.ref(this.#timer)
    else this.#clock.unref(this.#timer)
  }

  #fire (): void {
    this.#timer = undefined
    // While due entries run, a timeout they set does not arm the timer: the
    // heap may hold an earlier one. The timer is armed once, afterwards.
    this.#armedAt = -Infinity
    const now = this.#clock.now()
    while (this.#heap.length > 0) {
      const top = this.#heap[0]
      if (top.fn === undefined) { this.#pop(); continue }
      if (top.at > now) break
      this.#pop()
      const fn = top.fn
      top.fn = undefined
      this.#live--
      if (typeof fn === 'function') fn()
      else fn.onTimeout(top as unknown as Timer)
    }
    this.#armedAt = Infinity
    while (this.#heap.length > 0 && this.#heap[0].fn === undefined) this.#pop()
    if (this.#heap.length > 0) this.#arm(this.#heap[0].at)
  }

  #compact (): void {
    const kept = this.#heap.filter((e) => e.fn !== undefined)
    kept.sort(before)
    this.#heap = kept // a sorted array is a heap
  }

  #push (e: Entry): void {
    const h = this.#heap
    let i = h.length
    h.push(e)
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (before(h[parent], e) <= 0) break
      h[i] = h[parent]
      i = parent
    }
    h[i] = e
  }

  #pop (): Entry | undefined {
    const h = this.#heap
    const top = h[0]
    const last = h.pop()
    if (h.length > 0 && last !== undefined) {
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        if (l >= h.length) break
        const r = l + 1
        const c = r < h.length && before(h[r], h[l]) < 0 ? r : l
        if (before(last, h[c]) <= 0) break
        h[i] = h[c]
        i = c
      }
      h[i] = last
    }
    return top
  }
}

function before (a: Entry, b: Entry): number {
  return a.at - b.at || a.seq - b.seq
}

/** A TimeoutQueue on clocks that can unref a timer (the system clock), else the clock's own timers. */
export function timeoutsFor (clock: Clock): Timeouts {
  if (typeof clock.ref === 'function' && typeof clock.unref === 'function') return new TimeoutQueue(clock as Clock & Required<Pick<Clock, 'ref' | 'unref'>>)
  return {
    setTimeout: (fn, ms) => clock.setTimeout(fn, ms),
    setTimeoutOn: (target, ms) => {
      const timer: Timer = clock.setTimeout(() => { target.onTimeout(timer) }, ms)
      return timer
    },
    clearTimeout: (timer) => { clock.clearTimeout(timer) }
  }
}
