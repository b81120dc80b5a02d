/**
 * Durations as operators write them in `tekka.conf` (`500ms`, `8s`, `1m`,
 * `1h`, `1h30m`) and as code reads them (milliseconds). One parser so the
 * config, the command line and tests agree on what `8s` means.
 */

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** What `parseDuration` accepts, worded for error messages. */
export const DURATION_FORMAT = '500ms, 8s, 1m, 1h, 1h30m; a plain integer is milliseconds'

/**
 * Milliseconds for a duration text, or `undefined` when it is not one.
 *
 * A plain non-negative integer is milliseconds (as Erlang timeouts are), so
 * `tick_time = 8000` and `tick_time = 8s` agree. Units are ms, s, m, h and d;
 * parts may be chained largest first (`1h30m`, `1m500ms`). Fractions and
 * negative values are refused: they are almost always typos in a config file.
 */
export function parseDuration (text: string): number | undefined {
  const t = text.trim().toLowerCase()
  if (/^\d+$/.test(t)) return safe(Number(t))
  if (!/^(\d+(ms|s|m|h|d))+$/.test(t)) return undefined
  let total = 0
  let lastRank = Infinity
  for (const [, n, unit] of t.matchAll(/(\d+)(ms|s|m|h|d)/g)) {
    const size = UNIT_MS[unit]
    // `1s1m` is almost certainly a mistake; refuse rather than guess.
    if (size >= lastRank) return undefined
    lastRank = size
    total += Number(n) * size
  }
  return safe(total)
}

function safe (ms: number): number | undefined {
  return Number.isSafeInteger(ms) ? ms : undefined
}

/** Shortest exact text for a number of milliseconds: 8000 -> `8s`, 90000 -> `1m30s`, 0 -> `0ms`. */
export function formatDuration (ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0) throw new RangeError(`not a duration in milliseconds: ${ms}`)
  if (ms === 0) return '0ms'
  let rest = ms
  let out = ''
  for (const unit of ['d', 'h', 'm', 's', 'ms']) {
    const size = UNIT_MS[unit]
    const n = Math.floor(rest / size)
    if (n > 0) { out += `${n}${unit}`; rest -= n * size }
  }
  return out
}
