/**
 * The membership's vocabulary, as types: a member and its status, the
 * cluster status `cluster status` prints, the events of ekka:monitor, and
 * the timings.
 */

export type MemberStatus = 'up' | 'down' | 'joining' | 'leaving' | 'healing'
export type MembershipEventType = 'up' | 'down' | 'joining' | 'leaving' | 'healing'
export type PartitionEventType = 'occurred' | 'healed'

export interface Member {
  readonly node: string
  readonly guid: string
  readonly status: MemberStatus
  /** Position on the 32-bit hash ring (used by the lock service). */
  readonly ring: number
}

/** What `Membership.subscribe` delivers (ekka:monitor's messages). */
export type MembershipEvent =
  | { type: 'membership', event: MembershipEventType, node: string }
  | { type: 'partition', event: PartitionEventType, node: string }

export interface ClusterStatus {
  node: string
  cluster: string
  leader: string | undefined
  coordinator: string | undefined
  members: Member[]
  running: string[]
  stopped: string[]
  partitions: string[]
}

export interface MembershipOptions {
  /** Where the member table is kept; none: in memory only. */
  dataDir?: string
  /** ms between gossip rounds to every member (default 10 s). */
  antiEntropy?: number
  /** ms between attempts to reach down members (default 5 s). */
  reconnect?: number
}
