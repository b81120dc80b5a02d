/**
 * The demo's network partition: the cluster cut into two groups, and
 * joined again. Two ways to cut, chosen once per run (`--partition`):
 *
 * - `iptables` (the default when the demo runs as root on Linux with an
 *   iptables whose DROP rules take effect): DROP rules between the two
 *   groups' loopback addresses (each node has its own, 127.0.0.51 ...),
 *   only on the cluster's ports, so the controller's links and anything
 *   else on the machine are untouched. Made with @tekka/testing's iptables
 *   helper: its rules live in a chain of this process's own and are
 *   removed on every way out (the end of the run, an error, Ctrl-C,
 *   SIGTERM, SIGHUP; a chain left by a run killed with SIGKILL is swept by
 *   the next use). The demo reuses that helper rather than keep a second
 *   copy of the same care.
 * - `inject` (anyone else, or asked for): every node's own link fault
 *   injector (`node.kernel.faults` of @tekka/dist), switched over RPC
 *   (`demo.cut` / `demo.restore`, answered by node-app.ts only when the
 *   controller started it with DEMO_LINK_FAULTS=1). The links between the
 *   groups fall silent and die of their ticks, as under DROP rules.
 *
 * Either way a cut link dies of `net_tick_timeout` on both ends; after the
 * heal the nodes find each other again with the same incarnations, which
 * is how heal recognises a partition.
 */
import { iptablesAvailable, partitionGroups, unavailableReason } from '@tekka/testing/iptables'
import type { DistNode } from '@tekka/dist'
import { parseNodeName } from '@tekka/dist'
import { DemoPartitionError } from '../lib/errors.js'
import { RPC_CUT, RPC_RESTORE } from './protocol.js'

export type PartitionMode = 'iptables' | 'inject'
export type PartitionChoice = PartitionMode | 'auto'

export interface ChosenMode {
  mode: PartitionMode
  /** Why this one, for the start line and the view. */
  why: string
}

/** The way this run cuts: `requested`, or for `auto` iptables if it works here, else the injector (saying why). */
export async function choosePartitionMode (requested: PartitionChoice): Promise<ChosenMode> {
  if (requested === 'inject') return { mode: 'inject', why: 'asked for (--partition inject)' }
  const ok = await iptablesAvailable()
  if (ok) return { mode: 'iptables', why: requested === 'iptables' ? 'asked for (--partition iptables)' : 'root, and iptables DROP rules take effect here' }
  if (requested === 'iptables') throw new DemoPartitionError(`--partition iptables: no working iptables here (${unavailableReason()})`)
  return { mode: 'inject', why: `no iptables partitions here (${unavailableReason()}): an in-process link-drop fault injector in each node instead` }
}

/** A cut in place; `heal()` takes it away (safe to call twice). */
export interface Cut {
  readonly mode: PartitionMode
  /** What was done, for the line. */
  readonly text: string
  heal(): Promise<void>
}

const hostOf = (n: string): string => parseNodeName(n).host

/**
 * Cuts `sideA` off from `sideB`. `ports` is the range of the nodes'
 * listening ports (iptables only drops those); `via` is the controller's
 * hidden node (the injector is switched over RPC).
 */
export async function cutCluster (mode: PartitionMode, sideA: readonly string[], sideB: readonly string[], ports: readonly [number, number], via: DistNode): Promise<Cut> {
  if (mode === 'iptables') {
    let p
    try {
      p = await partitionGroups(sideA.map(hostOf), sideB.map(hostOf), { ports })
    } catch (err) {
      throw new DemoPartitionError(`iptables: cannot cut ${sideA.join(', ')} off from ${sideB.join(', ')}: ${(err as Error).message}`, { cause: err })
    }
    return {
      mode,
      text: `iptables DROP rules between ${sideA.map(hostOf).join(', ')} and ${sideB.map(hostOf).join(', ')} on ports ${ports[0]}-${ports[1]}`,
      heal: async () => { await p.heal() }
    }
  }
  const order = async (fn: string, node: string, args: unknown[]): Promise<void> => {
    try {
      await via.call(node, fn, args, { timeout: 5000 })
    } catch (err) {
      throw new DemoPartitionError(`link faults: ${fn} on ${node} failed: ${(err as Error).message}`, { cause: err })
    }
  }
  // Every node cuts its own ends: both directions of each link fall silent.
  await Promise.all([
    ...sideA.map(async (n) => { await order(RPC_CUT, n, [[...sideB]]) }),
    ...sideB.map(async (n) => { await order(RPC_CUT, n, [[...sideA]]) })
  ])
  let healed: Promise<void> | undefined
  return {
    mode,
    text: `each node's link fault injector drops its links to the other side (${sideA.join(', ')} | ${sideB.join(', ')})`,
    heal: async () => {
      healed ??= (async () => { await Promise.all([...sideA, ...sideB].map(async (n) => { await order(RPC_RESTORE, n, []) })) })()
      await healed
    }
  }
}
