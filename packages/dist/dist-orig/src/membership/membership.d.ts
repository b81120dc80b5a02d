/**
 * Cluster membership (ekka_membership / mria_membership): who is in this
 * node's cluster, how old each member is (its guid), and whether it is up.
 *
 * - The member table (member-table.ts) is replicated by gossip between
 *   members: on every change, on every nodeup between members, and every
 *   `antiEntropy` ms. It is kept on disk when a data dir is given.
 * - Status: a member is `up` while this node has a link to it (itself
 *   always), else `down`; `joining` / `leaving` while this node joins or
 *   leaves, `healing` while autoheal says so.
 * - Leader: the oldest member (smallest guid), up or down. Coordinator: the
 *   oldest member that is up.
 * - Down members are dialled again every `reconnect` ms, so a partition that
 *   heals, or a restarted node, rejoins by itself.
 *
 * Gossip travels as messages to the `tekka_membership` process of each
 * member; joins are RPCs to the seed. Everything from a peer is checked
 * before it is merged.
 */
import { EventEmitter } from 'node:events';
import { TekkaError, type Logger, type Pid } from '@tekka/actors';
import type { DistNode } from '../node.js';
import { byAge, type Entry } from './member-table.js';
export type MemberStatus = 'up' | 'down' | 'joining' | 'leaving' | 'healing';
export type MembershipEventType = 'up' | 'down' | 'joining' | 'leaving' | 'healing';
export type PartitionEventType = 'occurred' | 'healed';
export interface Member {
    readonly node: string;
    readonly guid: string;
    readonly status: MemberStatus;
    /** Position on the 32-bit hash ring (used by the lock service). */
    readonly ring: number;
}
export type MembershipEvent = {
    type: 'membership';
    event: MembershipEventType;
    node: string;
} | {
    type: 'partition';
    event: PartitionEventType;
    node: string;
};
export interface ClusterStatus {
    node: string;
    cluster: string;
    leader: string | undefined;
    coordinator: string | undefined;
    members: Member[];
    running: string[];
    stopped: string[];
    partitions: string[];
}
export type JoinErrorCode = 'ERR_JOIN_UNREACHABLE' | 'ERR_JOIN_REFUSED' | 'ERR_JOIN_BUSY';
/** A join that could not be made; `code` says why, the message names the node and the cause. */
export declare class JoinError extends TekkaError {
    readonly code: JoinErrorCode;
    readonly node: string;
    constructor(code: JoinErrorCode, node: string, message: string, cause?: unknown);
}
export interface MembershipOptions {
    /** Where the member table is kept; none: in memory only. */
    dataDir?: string;
    /** ms between gossip rounds to every member (default 10 s). */
    antiEntropy?: number;
    /** ms between attempts to reach down members (default 5 s). */
    reconnect?: number;
}
type Subscriber = (e: MembershipEvent) => void;
export declare class Membership extends EventEmitter {
    #private;
    readonly node: DistNode;
    readonly cluster: string;
    readonly log: Logger;
    /** This incarnation's guid. */
    readonly guid: string;
    constructor(node: DistNode, cluster: string, opts?: MembershipOptions);
    start(): Promise<void>;
    stop(): Promise<void>;
    isMember(node: string): boolean;
    /** Members, oldest first. */
    members(): Member[];
    localMember(): Member;
    /** Member names, oldest first; with a status, only those up (`up`) or not up (`down`). */
    nodelist(status?: 'up' | 'down'): string[];
    /** The oldest member, up or down (so the two sides of a partition agree on it). */
    leader(): string | undefined;
    /** The oldest member that is up. */
    coordinator(): string | undefined;
    partitions(): string[];
    status(): ClusterStatus;
    /** The raw replicated entries (members and tombstones), for diagnostics. */
    entries(): Entry[];
    /**
     * Membership events (`up`, `down`, `joining`, `leaving`, `healing`) and
     * partition events (`occurred`, `healed`): a function is called, a pid is
     * sent `{ type: 'membership' | 'partition', event, node }`. Returns the unsubscribe.
     */
    subscribe(target: Pid | Subscriber): () => void;
    /** For autoheal: marks `node` healing (or not); publishes `healing`. */
    setHealing(node: string, on: boolean): void;
    /** For partition detection: records and publishes a partition event. */
    reportPartition(event: PartitionEventType, node: string): void;
    /**
     * Joins the cluster of `seed` (ekka:join). Joining itself, or a node that
     * is already a member, is ignored. A node in another cluster leaves it
     * first. Throws JoinError when the seed cannot be reached or refuses.
     */
    join(seed: string): Promise<'joined' | 'ignored'>;
    /** Leaves the cluster (ekka:leave): every member is told; this node becomes a cluster of one. */
    leave(): Promise<void>;
    /** Removes `node` from the cluster everywhere (ekka:force_leave); for a member that is down. */
    forceLeave(node: string): Promise<boolean>;
}
/** `cluster status` as an operator reads it. */
export declare function formatStatus(s: ClusterStatus): string;
export { byAge };
//# sourceMappingURL=membership.d.ts.map