/**
 * Who of the discovered nodes is there, and how old: each one is dialled
 * and asked its member status (`tekka.membership.status`), every answer
 * checked before use (plan.ts `parsePeerStatus`). A node that cannot be
 * reached or answers nonsense is dead this round, with why.
 */
import type { Clock, Timer } from '@tekka/actors'
import type { NetView, RpcService } from '@tekka/dist'
import { bounded } from './bounded.js'
import { ProbeTimeoutError } from './errors.js'
import { messageOf } from './names.js'
import { parsePeerStatus, type PeerView } from './plan.js'

const STATUS_RPC = 'tekka.membership.status'

export interface ProbeOptions {
  readonly self: string
  readonly net: Pick<NetView, 'connect' | 'lastError'>
  readonly rpc: Pick<RpcService, 'call'>
  readonly clock: Clock
  /** ms to reach one node and get its answer. */
  readonly timeout: number
  /** ms to wait for the rest once a node in a cluster answered. */
  readonly grace: number
  /** Ends every probe (the actor stopping). */
  readonly signal: AbortSignal
}

export interface ProbeResult {
  readonly peers: PeerView[]
  readonly dead: Array<{ node: string, why: string }>
  /** Not settled when the round decided. */
  readonly pending: string[]
}

/**
 * Reaches every node and asks its member status. Returns when all have
 * answered or failed, or `grace` ms after the first answer from a node in a
 * cluster (the rest are then `pending`; their links keep coming up for the
 * next round).
 */
export async function probe (nodes: readonly string[], o: ProbeOptions): Promise<ProbeResult> {
  const peers: PeerView[] = []
  const dead: Array<{ node: string, why: string }> = []
  const settled = new Set<string>()
  let early: (() => void) | undefined
  const graceOver = new Promise<void>((resolve) => { early = resolve })
  let grace: Timer | undefined
  const one = async (node: string): Promise<void> => {
    try {
      const up = await bounded(o.clock, o.timeout, () => new ProbeTimeoutError(node, o.timeout), async () => await o.net.connect(node), o.signal)
      if (!up) {
        dead.push({ node, why: o.net.lastError(node)?.message ?? 'cannot be reached' })
        return
      }
      const raw = await o.rpc.call(node, STATUS_RPC, [], { timeout: o.timeout, signal: o.signal })
      const v = parsePeerStatus(raw, node, o.self)
      if (typeof v === 'string') {
        dead.push({ node, why: v })
        return
      }
      peers.push(v)
      if (v.inCluster && v.status === 'up' && grace === undefined) grace = o.clock.setTimeout(() => { early?.() }, o.grace)
    } catch (err) {
      dead.push({ node, why: messageOf(err) })
    } finally {
      settled.add(node)
    }
  }
  try {
    await Promise.race([Promise.all(nodes.map(one)), graceOver])
  } finally {
    if (grace !== undefined) o.clock.clearTimeout(grace)
  }
  const order = (a: { node: string }, b: { node: string }): number => a.node < b.node ? -1 : a.node > b.node ? 1 : 0
  // Copies: probes still under way must not change what this round reports.
  return { peers: [...peers].sort(order), dead: [...dead].sort(order), pending: nodes.filter((n) => !settled.has(n)).sort() }
}
