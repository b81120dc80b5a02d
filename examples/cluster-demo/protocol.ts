/**
 * What the demo's nodes tell the controller, and how. The controller (a
 * hidden tekka node) calls the RPC `demo.subscribe` on each node with the
 * pid of its collector process; from then on the node sends that pid a
 * `demo_event` for each event of its node's stream worth a line (a nodedown
 * it saw, a monitor that fired, a lock taken, ...: node-events.ts) and a
 * `demo_stats` snapshot every half second. Plain messages between nodes: delivered at most once, in order;
 * the stats repeat, so a lost one costs nothing.
 *
 * Everything received is checked with the guards below before use: a
 * malformed message is reported and dropped, never trusted.
 */
import { Pid } from '@tekka/actors'
import type { ClusterStatus } from '@tekka/dist'
import type { JobsStats } from '../jobs/jobs.js'

/** RPC a node answers with `{ node, creation, osPid }`: sends events and stats to the pid given from now on. */
export const RPC_SUBSCRIBE = 'demo.subscribe'

/**
 * RPCs a node answers only when started with DEMO_LINK_FAULTS=1 (the
 * controller's `--partition inject`, see partition.ts): `demo.cut(peers)`
 * cuts its links to `peers` with its link fault injector, `demo.restore()`
 * lets them connect again. Each returns the peers it changed.
 */
export const RPC_CUT = 'demo.cut'
export const RPC_RESTORE = 'demo.restore'

/** The kinds of line a node sends (node-events.ts makes them from its node's event stream). */
export type DemoEventKind =
  | 'app' | 'nodeup' | 'nodedown' | 'member' | 'partition' | 'sup' | 'job' | 'jobs' | 'worker' | 'monitor' | 'lock'
  | 'heal' | 'decision' | 'discovery' | 'event'

export interface DemoEvent {
  t: 'demo_event'
  node: string
  creation: number
  at: number
  kind: DemoEventKind
  text: string
  data: Record<string, unknown>
}

export interface HeldLockInfo {
  type: 'leader' | 'quorum'
  resource: string
  owner: string
  token: number
  nodes: string[]
}

export interface LockCounts { taken: number, refused: number, lost: number }

export interface DemoStats {
  t: 'demo_stats'
  node: string
  creation: number
  osPid: number
  at: number
  /** Messages in and out per second over the node's links to other cluster nodes. */
  msgsPerSec: number
  jobs: JobsStats
  locks: HeldLockInfo[]
  lockCounts: { leader: LockCounts, quorum: LockCounts }
  status: ClusterStatus
}

export interface SubscribeReply { node: string, creation: number, osPid: number }

const obj = (m: unknown): m is Record<string, unknown> => typeof m === 'object' && m !== null

/** What is wrong with `m` as a demo message, or undefined when it is one. */
export function messageProblem (m: unknown): string | undefined {
  if (!obj(m)) return 'not an object'
  if (m.t !== 'demo_event' && m.t !== 'demo_stats') return `unknown message type ${JSON.stringify(m.t)}`
  if (typeof m.node !== 'string' || typeof m.creation !== 'number' || typeof m.at !== 'number') return 'no node, creation or at'
  if (m.t === 'demo_event') {
    if (typeof m.kind !== 'string' || typeof m.text !== 'string' || !obj(m.data)) return 'an event needs kind, text and data'
    return undefined
  }
  if (typeof m.osPid !== 'number' || typeof m.msgsPerSec !== 'number' || !obj(m.jobs) || !Array.isArray(m.locks) || !obj(m.lockCounts)) return 'stats need osPid, msgsPerSec, jobs, locks and lockCounts'
  const s = m.status
  if (!obj(s) || !Array.isArray(s.members) || !Array.isArray(s.partitions)) return 'stats need a cluster status'
  if (!s.members.every((x) => obj(x) && typeof x.node === 'string' && typeof x.status === 'string')) return 'a member without node or status'
  return undefined
}

export function isPid (v: unknown): v is Pid {
  return v instanceof Pid
}

/** The short name of a node, for narrow columns: `demo1@127.0.0.1` -> `demo1`. */
export function short (node: string): string {
  const at = node.indexOf('@')
  return at < 0 ? node : node.slice(0, at)
}
