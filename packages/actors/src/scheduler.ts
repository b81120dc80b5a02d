/**
 * Keeps processes from starving the event loop. Every suspension point
 * (receive, sleep, yield, a process start) charges one reduction against a
 * shared budget. While budget remains, a process resumes on the microtask
 * queue, which is as fast as JavaScript gets; once it is spent, resumptions
 * are queued and run in bounded batches from `setImmediate`, so timers and
 * I/O get a turn between batches whatever the processes are doing.
 */
export interface SchedulerOptions {
  /** Reductions between two yields to the event loop. */
  budget?: number
}

export class Scheduler {
  readonly budget: number
  #used = 0
  #queue: Array<() => void> = []
  #qh = 0
  #scheduled = false
  /** Number of batches run from setImmediate; for tests and introspection. */
  batches = 0

  constructor (opts: SchedulerOptions = {}) {
    this.budget = opts.budget ?? 4000
  }

  /** Charges one reduction; true when the budget is spent and the caller must defer. */
  charge (): boolean {
    return ++this.#used > this.budget
  }

  /** Runs `fn` in a later batch, after the event loop has had a turn. */
  defer (fn: () => void): void {
    this.#queue.push(fn)
    if (!this.#scheduled) {
      this.#scheduled = true
      setImmediate(this.#drain)
    }
  }

  /** Runs `fn` now-ish: on the microtask queue if budget remains, else in a later batch. */
  run (fn: () => void): void {
    if (this.charge()) this.defer(fn)
    else queueMicrotask(fn)
  }

  get queued (): number {
    return this.#queue.length - this.#qh
  }

  #drain = (): void => {
    this.#scheduled = false
    this.#used = 0
    this.batches++
    const q = this.#queue
    const end = Math.min(q.length, this.#qh + this.budget)
    while (this.#qh < end) {
      const fn = q[this.#qh]!
      q[this.#qh++] = undefined as unknown as () => void
      this.#used++
      try { fn() } catch { /* resumptions never throw; a process's own errors are caught where it runs */ }
    }
    if (this.#qh === q.length) {
      this.#queue = []
      this.#qh = 0
    } else {
      if (this.#qh > 4096) {
        this.#queue = q.slice(this.#qh)
        this.#qh = 0
      }
      this.#scheduled = true
      setImmediate(this.#drain)
    }
  }
}
