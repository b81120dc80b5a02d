/**
 * Repeated log lines, limited: of the records with the same part and
 * message, the first `burst` in each `interval` pass; the rest are counted,
 * and when the interval ends one summary line says how many were dropped
 * (`... (repeated 2780 times in the last 10s)`). So whoever can make the
 * node log (a stranger opening sockets) cannot choose how much it logs.
 * At most `maxKeys` messages are tracked: the oldest is forgotten (its
 * summary written first), so memory stays bounded too.
 */
import { systemClock, type Clock, type Timer } from './clock.js'
import type { LogRecord, LogSink } from './logger.js'

export interface RateLimitOptions {
  /** Records of one part and message that pass per interval (default 5). */
  burst?: number
  /** ms (default 10000). */
  interval?: number
  /** Messages tracked at once (default 1000). */
  maxKeys?: number
  clock?: Clock
}

interface Entry {
  readonly first: LogRecord
  start: number
  passed: number
  dropped: number
}

function checked (name: string, v: number): number {
  if (!Number.isSafeInteger(v) || v <= 0) throw new RangeError(`rate limit ${name} must be a positive integer, got ${v}`)
  return v
}

/** A sink that passes records on to `sink`, repeated ones limited as above. */
export function rateLimitedSink (sink: LogSink, opts: RateLimitOptions = {}): LogSink {
  const burst = checked('burst', opts.burst ?? 5)
  const interval = checked('interval', opts.interval ?? 10_000)
  const maxKeys = checked('maxKeys', opts.maxKeys ?? 1000)
  const clock = opts.clock ?? systemClock()
  const entries = new Map<string, Entry>()
  let timer: Timer | undefined
  const seconds = interval % 1000 === 0 ? `${interval / 1000}s` : `${interval}ms`

  const summarize = (e: Entry): void => {
    if (e.dropped === 0) return
    const r = e.first
    sink({
      time: Date.now(),
      level: r.level,
      name: r.name,
      ...(r.node !== undefined ? { node: r.node } : {}),
      msg: `${r.msg} (repeated ${e.dropped} times in the last ${seconds})`,
      fields: { repeated: e.dropped, interval_ms: interval }
    })
    e.dropped = 0
  }

  const sweep = (): void => {
    timer = undefined
    const now = clock.now()
    let next = Infinity
    for (const [key, e] of entries) {
      if (now - e.start >= interval) {
        summarize(e)
        entries.delete(key)
      } else if (e.dropped > 0) next = Math.min(next, e.start + interval)
    }
    if (next !== Infinity) schedule(next - now)
  }

  const schedule = (ms: number): void => {
    if (timer !== undefined) return
    timer = clock.setTimeout(sweep, Math.max(0, ms))
    clock.unref?.(timer)
  }

  return (record) => {
    const key = `${record.name}\u0000${record.msg}`
    const now = clock.now()
    let e = entries.get(key)
    if (e !== undefined && now - e.start >= interval) {
      summarize(e)
      entries.delete(key)
      e = undefined
    }
    if (e === undefined) {
      if (entries.size >= maxKeys) {
        const [oldKey, old] = entries.entries().next().value as [string, Entry]
        summarize(old)
        entries.delete(oldKey)
      }
      e = { first: record, start: now, passed: 0, dropped: 0 }
      entries.set(key, e)
    }
    if (e.passed < burst) {
      e.passed++
      sink(record)
      return
    }
    e.dropped++
    schedule(e.start + interval - now)
  }
}
