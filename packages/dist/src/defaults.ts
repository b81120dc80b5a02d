/**
 * Every default of a node's options, in one place. `startNode` applies them
 * once and hands resolved options down (net kernel, connections,
 * handshakes); dist's config section documents the same values; the wire
 * parts that are public on their own (Connection, the handshakes, `dial`)
 * fall back to these constants when a tool uses them without a node.
 */

/** ekka_dist's port base: a node listens on base + (trailing digits of its short name). */
export const DEFAULT_BASE_PORT = 4370
/** The cluster name exchanged in the handshake (`cluster.name`). */
export const DEFAULT_CLUSTER = 'tekka'
/** Erlang's net_ticktime, ms. */
export const DEFAULT_TICK_TIME = 8000
/** A link whose socket takes nothing for this many tick times is closed (`send_timeout`). */
export const SEND_TIMEOUT_TICKS = 4
/** Deadline of each handshake step, ms. */
export const DEFAULT_HANDSHAKE_TIMEOUT = 5000
/** Deadline of a TCP connect (or of a TLS handshake), ms. */
export const DEFAULT_DIAL_TIMEOUT = 5000
/** Incoming connections in their handshake at once; more are closed unread. */
export const DEFAULT_MAX_PENDING_HANDSHAKES = 256
/** Largest frame (and message) sent or accepted, bytes. */
export const DEFAULT_MAX_FRAME_SIZE = 64 * 1024 * 1024
/** Queued outgoing bytes on a link before senders are held back. */
export const DEFAULT_HIGH_WATER = 8 * 1024 * 1024
/** Data messages above this are fragmented; also one write batch, bytes. */
export const DEFAULT_FRAGMENT_SIZE = 64 * 1024
/** Timeout of an RPC call, ms. */
export const DEFAULT_RPC_TIMEOUT = 5000

/** The default sendTimeout for a tick time: SEND_TIMEOUT_TICKS × tickTime. */
export function defaultSendTimeout (tickTime: number): number {
  return SEND_TIMEOUT_TICKS * tickTime
}
