/**
 * Whether a link is alive, checked every tickTime / 4 (Erlang's
 * net_ticktime), in both directions:
 *
 * - nothing received in 4 checks in a row: the peer is gone
 *   (`net_tick_timeout`);
 * - nothing but ticks written since the last check, and nothing queued: send
 *   a tick, so the peer hears from us;
 * - a write the socket has not taken, with no progress (no write callback,
 *   no fewer bytes waiting in the socket) for `sendTimeout`: the peer stopped
 *   reading (`send_timeout`). Node gives no way to see the kernel's send
 *   buffer drain, so a slow reader behind a full buffer looks the same: the
 *   timeout is longer than the tick for that reason.
 *
 * The connection owns the timer and the socket; this holds the counts and
 * gives the verdict of each check.
 */

/** Ticks missed in a row before the link is declared down (Erlang's count). */
const MISSED_TICKS_LIMIT = 4

export type LivenessVerdict = 'ok' | 'tick' | 'net_tick_timeout' | 'send_timeout'

export class Liveness {
  /** Something arrived since the last check (set by the reader). */
  heard = false
  /** Something other than a tick was written since the last check (set by the writer). */
  wrote = false
  /** Write callbacks so far (counted by the writer). */
  writesDone = 0
  readonly #interval: number
  readonly #sendTimeout: number
  #missed = 0
  #stalls = 0
  #writesAtCheck = 0
  #waitingAtCheck = 0
  /** When the next check is due, on the connection's clock. */
  #nextCheck: number | undefined

  /** `tickTime` > 0 and finite; `sendTimeout` Infinity when off. */
  constructor (tickTime: number, sendTimeout: number) {
    this.#interval = tickTime / 4
    this.#sendTimeout = sendTimeout
  }

  /**
   * Milliseconds from `now` to the next check. Checks keep to a fixed grid
   * (start + k × tickTime / 4): re-arming from when a check ran would add
   * each timer's lateness to the next, and detection would drift past
   * tickTime.
   */
  nextDelay (now: number): number {
    this.#nextCheck = this.#nextCheck === undefined ? now + this.#interval : Math.max(now, this.#nextCheck + this.#interval)
    return this.#nextCheck - now
  }

  /**
   * One check. `inflight`: a write handed to the socket has not called back;
   * `waiting`: the socket's writableLength; `idle`: nothing queued or in flight.
   */
  check (inflight: boolean, waiting: number, idle: boolean): LivenessVerdict {
    if (this.heard) {
      this.heard = false
      this.#missed = 0
    } else if (++this.#missed >= MISSED_TICKS_LIMIT) {
      return 'net_tick_timeout'
    }
    // Progress is a write callback or fewer bytes waiting in the socket (a
    // large batch drains over several checks on a slow but live link).
    if (inflight && this.writesDone === this.#writesAtCheck && waiting >= this.#waitingAtCheck) {
      if (++this.#stalls * this.#interval >= this.#sendTimeout) return 'send_timeout'
    } else {
      this.#stalls = 0
    }
    this.#writesAtCheck = this.writesDone
    this.#waitingAtCheck = waiting
    const tick = !this.wrote && idle
    this.wrote = false
    return tick ? 'tick' : 'ok'
  }
}
