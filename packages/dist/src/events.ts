/**
 * The events @tekka/dist adds to a node's stream (`node.events`, the
 * runtime's EventStream): links coming up and going down, nodes that could
 * not be reached, membership changes and partitions, the node stopping.
 * Types only; the net kernel and the membership publish them.
 *
 * ```ts
 * node.events.on('dist.nodedown', (e) => { console.log(`${e.node} lost ${e.peer}: ${e.reason}`) })
 * node.events.on(['membership.change', 'membership.partition'], (e) => { ... })
 * ```
 */
import type { MemberStatus, PartitionEventType } from './membership/types.js'

/** Why a link went down: a connection's close reason (Erlang's nodedown reasons), or another a part gave. */
export type NodeDownReason = 'connection_closed' | 'net_tick_timeout' | 'send_timeout' | 'disconnect' | 'protocol_error' | (string & {})

/** Why an incoming handshake failed (see `dist.handshake_refused`). */
export type HandshakeRefusedReason = 'cap' | 'timeout' | 'cookie' | 'protocol' | (string & {})

declare module '@tekka/actors' {
  interface TekkaEvents {
    /** A link to `peer` is up (after the handshake). */
    'dist.nodeup': { peer: string, creation: number, hidden: boolean }
    /** The link to `peer` is gone; `reason` as Erlang's nodedown reasons (`connection_closed`, `net_tick_timeout`, `disconnect`, ...); `error`, when one closed it, as `Name: message`. */
    'dist.nodedown': { peer: string, reason: NodeDownReason, hidden: boolean, error?: string }
    /**
     * An incoming connection did not become a link: `cap` (closed unread, the
     * node already had node.max_pending_handshakes pending, or as many TLS
     * handshakes), `tls` (a failed TLS handshake), `timeout`,
     * `cookie`, `protocol` (garbage, a malformed or oversized message),
     * `closed` (the peer went away), `name`, `cluster`, `version`, or the
     * kernel's refusal (`nok`, `alive`, `not_allowed`). `remote` is `address:port`.
     */
    'dist.handshake_refused': { reason: HandshakeRefusedReason, remote?: string }
    /** A dial to `peer` failed: signals queued for it were dropped; `error` as `Name: message`. */
    'dist.unreachable': { peer: string, error?: string }
    /** A member's status changed as this node sees it (ekka's membership events). */
    'membership.change': { member: string, status: MemberStatus }
    /** A partition with `peer` was recorded, or is over. */
    'membership.partition': { peer: string, event: PartitionEventType }
    /** An application (the app module, the lock service) was started or stopped, by the node or by autoheal. */
    'node.application': { app: string, event: 'started' | 'stopped' | 'start_failed' | 'stop_failed', error?: string }
    /** The node stopped: every link closed, every process killed. */
    'node.stopped': Record<string, never>
  }
}
