/**
 * Keeps processes from starving the event loop. Every suspension point
 * (receive, sleep, yield, a process start) and every send from a process
 * charges one reduction against a shared budget. While budget remains, a
 * process resumes on the microtask queue, which is as fast as JavaScript
 * gets; once it is spent, resumptions are queued and run in bounded batches
 * from `setImmediate`, so timers and I/O get a turn between batches whatever
 * the processes are doing. A process that has used its slice of reductions
 * also waits for the next batch, so the others get their share.
 */
export interface SchedulerOptions {
  /** Reductions between two yields to the event loop. */
  budget?: number
  /**
   * Reductions one process may use before its next suspension point waits
   * for the next batch (a quarter of the budget by default), so one process
   * that does much per step (a sender of many messages) cannot take a whole
   * batch from the others.
   */
  slice?: number
}

/** Something the scheduler can run without a closure being made for it (a process start). */
export interface Task {
  runTask(): void
}

type Job = Task | (() => void)

function exec (job: Job): void {
  try {
    if (typeof job === 'function') job()
    else job.runTask()
  } catch { /* resumptions never throw; a process's own errors are caught where it runs */ }
}

export class Scheduler {
  readonly budget: number
  readonly slice: number
  #used = 0
  #queue: Job[] = []
  #qh = 0
  #scheduled = false
  /** Jobs to run on the next microtask, in one go (one queueMicrotask for many spawns). */
  #soon: Job[] = []
  #soonScheduled = false
  /** Number of batches run from setImmediate; for tests and introspection. */
  batches = 0

  constructor (opts: SchedulerOptions = {}) {
    this.budget = opts.budget ?? 4000
    this.slice = opts.slice ?? Math.max(1, Math.floor(this.budget / 4))
  }

  /**
   * Charges one reduction; true when the budget is spent and the caller must
   * defer. A spent budget is renewed by the next batch, after the event loop
   * has had its turn: one is scheduled even with nothing queued, or the
   * budget would stay spent while the loop sits idle, and every resumption
   * after that (a million processes woken from outside, say) would wait for
   * a batch it does not need.
   */
  charge (): boolean {
    if (++this.#used <= this.budget) return false
    this.#renewSoon()
    return true
  }

  #renewSoon (): void {
    if (this.#scheduled) return
    this.#scheduled = true
    setImmediate(this.#drain)
  }

  /** True when the budget is spent: a resumption now must be deferred (without charging another reduction). */
  get spent (): boolean {
    return this.#used > this.budget
  }

  /** Runs `fn` in a later batch, after the event loop has had a turn. */
  defer (fn: Job): void {
    this.#queue.push(fn)
    this.#renewSoon()
  }

  /** Runs `fn` now-ish: on the microtask queue if budget remains, else in a later batch. */
  run (fn: Job): void {
    if (this.charge()) {
      this.defer(fn)
      return
    }
    this.#soon.push(fn)
    if (!this.#soonScheduled) {
      this.#soonScheduled = true
      queueMicrotask(this.#flushSoon)
    }
  }

  #flushSoon = (): void => {
    this.#soonScheduled = false
    const jobs = this.#soon
    this.#soon = []
    for (let i = 0; i < jobs.length; i++) exec(jobs[i])
  }

  get queued (): number {
    return this.#queue.length - this.#qh
  }

  #drain = (): void => {
    this.#scheduled = false
    this.#used = 0
    const q = this.#queue
    if (this.#qh === q.length) return // only the budget to renew
    this.batches++
    const end = Math.min(q.length, this.#qh + this.budget)
    while (this.#qh < end) {
      const job = q[this.#qh]
      q[this.#qh++] = undefined as unknown as Job
      this.#used++
      exec(job)
    }
    if (this.#qh === q.length) {
      this.#queue = []
      this.#qh = 0
    } else {
      if (this.#qh > 4096 && this.#qh * 2 > q.length) {
        this.#queue = q.slice(this.#qh)
        this.#qh = 0
      }
      this.#scheduled = true
      setImmediate(this.#drain)
    }
  }
}
