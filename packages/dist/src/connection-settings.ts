/**
 * The tunables of a link (tick time, send timeout, water marks, frame and
 * fragment sizes): their defaults (defaults.ts) and their checks, in one
 * function. `startNode` resolves them once and the net kernel hands the
 * result to every Connection it makes; a Connection made on its own
 * resolves its options itself.
 */
import { BadArgError } from '@tekka/actors'
import {
  DEFAULT_FRAGMENT_SIZE, DEFAULT_HIGH_WATER, DEFAULT_MAX_FRAME_SIZE, DEFAULT_TICK_TIME, defaultSendTimeout
} from './defaults.js'

export interface LinkOptions {
  /** Erlang's net_ticktime, in ms (default 8000); 0 or Infinity turns ticks off. */
  tickTime?: number
  /**
   * A write the socket has not taken for this long (checked every
   * tickTime / 4) closes the link with `send_timeout`; default 4 × tickTime,
   * 0 or Infinity: never. Needs ticks on.
   */
  sendTimeout?: number
  /** Queued bytes above which `send` returns a promise (default 8 MiB). */
  highWater?: number
  /** Queued bytes at which that promise resolves (default highWater / 2). */
  lowWater?: number
  /** Largest frame, and largest message, accepted or sent (default 64 MiB). */
  maxFrameSize?: number
  /** Data messages above this are fragmented; also the size of one write batch (default 64 KiB). */
  fragmentSize?: number
}

/** LinkOptions with every default applied and checked: what `linkSettings` returns. */
export interface LinkSettings {
  readonly tickTime: number
  /** Infinity when off. */
  readonly sendTimeout: number
  readonly highWater: number
  readonly lowWater: number
  readonly maxFrameSize: number
  readonly fragmentSize: number
}

function positiveInt (name: string, v: number): number {
  if (!Number.isSafeInteger(v) || v <= 0) throw new BadArgError(`${name} must be a positive integer, got ${v}`, name)
  return v
}

/** Applies the defaults to `options` and checks them; throws BadArgError naming the bad one. */
export function linkSettings (options: LinkOptions = {}): LinkSettings {
  const tickTime = options.tickTime ?? DEFAULT_TICK_TIME
  if (!(tickTime >= 0)) throw new BadArgError(`tickTime must be >= 0, got ${tickTime}`, 'tickTime')
  const sendTimeout = options.sendTimeout ?? defaultSendTimeout(tickTime)
  if (!(sendTimeout >= 0)) throw new BadArgError(`sendTimeout must be >= 0, got ${sendTimeout}`, 'sendTimeout')
  const highWater = positiveInt('highWater', options.highWater ?? DEFAULT_HIGH_WATER)
  const lowWater = options.lowWater ?? Math.floor(highWater / 2)
  if (!Number.isSafeInteger(lowWater) || lowWater < 0 || lowWater > highWater) {
    throw new BadArgError(`lowWater must be an integer in 0..highWater, got ${lowWater}`, 'lowWater')
  }
  return {
    tickTime,
    sendTimeout: sendTimeout === 0 ? Infinity : sendTimeout,
    highWater,
    lowWater,
    maxFrameSize: positiveInt('maxFrameSize', options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE),
    fragmentSize: positiveInt('fragmentSize', options.fragmentSize ?? DEFAULT_FRAGMENT_SIZE)
  }
}
