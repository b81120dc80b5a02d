/**
 * GET /metrics: the node in Prometheus text exposition format 0.0.4.
 * Counters come from the NodeWatch (the event stream) and from the links'
 * own counters (dist counts bytes and messages per connection); gauges are
 * read at scrape time from the membership, the process table, the lock
 * table, the event-loop delay histogram and the round-trip pinger.
 *
 * ```
 * # HELP tekka_cluster_members Cluster members by status, as this node sees them.
 * # TYPE tekka_cluster_members gauge
 * tekka_cluster_members{status="up"} 3
 * ```
 */
import type { IntervalHistogram } from 'node:perf_hooks'
import type { NodeComponents } from '@tekka/dist'
import { LOCK_TYPES, lockerInfo } from '@tekka/lock'
import type { Pid } from '@tekka/actors'
import { readiness } from './views.js'
import type { NodeWatch } from './watch.js'

export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

const STATUSES = ['up', 'down', 'joining', 'leaving', 'healing'] as const
const NODEDOWN_REASONS = ['connection_closed', 'net_tick_timeout', 'send_timeout', 'disconnect', 'protocol_error']
const HEAL_RESULTS = ['done', 'partial', 'failed']
const REFUSAL_REASONS = ['cap', 'timeout', 'cookie', 'protocol']
const QUANTILES = [0.5, 0.9, 0.99]

type Labels = Record<string, string>

/** A label value escaped as the format wants (backslash, double quote, line feed). */
function escapeLabel (v: string): string {
  return v.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n')
}

function num (v: number): string {
  return Number.isFinite(v) ? String(v) : Number.isNaN(v) ? 'NaN' : v > 0 ? '+Inf' : '-Inf'
}

class Exposition {
  readonly #lines: string[] = []

  family (name: string, type: 'counter' | 'gauge' | 'summary', help: string): this {
    this.#lines.push(`# HELP ${name} ${help.replaceAll('\\', '\\\\').replaceAll('\n', '\\n')}`, `# TYPE ${name} ${type}`)
    return this
  }

  sample (name: string, value: number, labels?: Labels): this {
    const l = labels === undefined ? '' : Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')
    this.#lines.push(`${name}${l === '' ? '' : `{${l}}`} ${num(value)}`)
    return this
  }

  text (): string {
    return this.#lines.join('\n') + '\n'
  }
}

export interface MetricsSources {
  components: Pick<NodeComponents, 'node' | 'membership' | 'net' | 'runtime'>
  watch: NodeWatch
  loop: IntervalHistogram
  /** Round trip to each peer, ms, from the pinger. */
  rtt: ReadonlyMap<string, number>
  topProcesses: number
}

/** The longest mailboxes: `n` pids by length, longest first. */
function longestMailboxes (c: MetricsSources['components'], n: number): Array<{ pid: Pid, length: number }> {
  if (n <= 0) return []
  const rt = c.runtime
  const all: Array<{ pid: Pid, length: number }> = []
  for (const pid of rt.processes()) {
    const length = rt.mailboxLength(pid)
    if (length !== undefined) all.push({ pid, length })
  }
  all.sort((a, b) => b.length - a.length)
  return all.slice(0, n)
}

export function renderMetrics (s: MetricsSources): string {
  const c = s.components
  const w = s.watch
  const x = new Exposition()

  const byStatus = new Map<string, number>(STATUSES.map((st) => [st, 0]))
  for (const m of c.membership.members()) byStatus.set(m.status, (byStatus.get(m.status) ?? 0) + 1)
  x.family('tekka_cluster_members', 'gauge', 'Cluster members by status, as this node sees them.')
  for (const [status, n] of byStatus) x.sample('tekka_cluster_members', n, { status })
  x.family('tekka_ready', 'gauge', '1 when /health/ready answers 200.').sample('tekka_ready', readiness(c, w).ready ? 1 : 0)
  x.family('tekka_cluster_partitions', 'gauge', 'Nodes with a recorded partition, as this node sees them.').sample('tekka_cluster_partitions', c.membership.partitions().length)

  x.family('tekka_dist_nodeup_total', 'counter', 'Links to other nodes that came up.').sample('tekka_dist_nodeup_total', w.nodeup)
  x.family('tekka_dist_nodedown_total', 'counter', 'Links to other nodes that went down, by reason.')
  const reasons = new Set([...NODEDOWN_REASONS, ...w.nodedown.keys()])
  for (const reason of reasons) x.sample('tekka_dist_nodedown_total', w.nodedown.get(reason) ?? 0, { reason })
  x.family('tekka_dist_handshakes_refused_total', 'counter', 'Incoming connections refused before a link came up, by reason (cap: over node.max_pending_handshakes, closed at once).')
  for (const reason of new Set([...REFUSAL_REASONS, ...w.handshakesRefused.keys()])) x.sample('tekka_dist_handshakes_refused_total', w.handshakesRefused.get(reason) ?? 0, { reason })
  x.family('tekka_partitions_detected_total', 'counter', 'Partitions recorded by this node.').sample('tekka_partitions_detected_total', w.partitionsDetected)
  x.family('tekka_heals_total', 'counter', 'Heals this node coordinated, by outcome.')
  for (const result of HEAL_RESULTS) x.sample('tekka_heals_total', w.heals.get(result) ?? 0, { result })
  x.family('tekka_heal_in_progress', 'gauge', '1 while a heal is in progress on this node.').sample('tekka_heal_in_progress', w.healing.size > 0 ? 1 : 0)

  const locks = lockerInfo(c.runtime)
  const held = new Map<string, number>(LOCK_TYPES.map((t) => [t, 0]))
  for (const l of locks?.locks ?? []) held.set(l.type, (held.get(l.type) ?? 0) + 1)
  x.family('tekka_lock_acquires_total', 'counter', 'Lock acquires granted to owners on this node, by lock type.')
  for (const type of LOCK_TYPES) x.sample('tekka_lock_acquires_total', locks?.acquires.ok[type] ?? 0, { type })
  x.family('tekka_lock_acquire_failures_total', 'counter', 'Lock acquires refused to owners on this node, by lock type.')
  for (const type of LOCK_TYPES) x.sample('tekka_lock_acquire_failures_total', locks?.acquires.failed[type] ?? 0, { type })
  x.family('tekka_locks_held', 'gauge', 'Locks in this node\'s lock table, by lock type.')
  for (const [type, n] of held) x.sample('tekka_locks_held', n, { type })

  const peers = c.net.nodes({ hidden: true }).sort()
  const stats = peers.map((peer) => ({ peer, st: c.net.linkStats(peer) }))
  const perPeer = (name: string, help: string, pick: (st: NonNullable<ReturnType<typeof c.net.linkStats>>) => number): void => {
    x.family(name, 'counter', help)
    for (const { peer, st } of stats) if (st !== undefined) x.sample(name, pick(st), { peer })
  }
  perPeer('tekka_dist_messages_sent_total', 'Messages sent on the current link to each peer.', (st) => st.messagesOut)
  perPeer('tekka_dist_messages_received_total', 'Messages received on the current link from each peer.', (st) => st.messagesIn)
  perPeer('tekka_dist_bytes_sent_total', 'Bytes sent on the current link to each peer.', (st) => st.bytesOut)
  perPeer('tekka_dist_bytes_received_total', 'Bytes received on the current link from each peer.', (st) => st.bytesIn)
  x.family('tekka_dist_rtt_seconds', 'gauge', 'Last measured round trip (an RPC ping over the link) to each peer.')
  for (const peer of peers) {
    const ms = s.rtt.get(peer)
    if (ms !== undefined) x.sample('tekka_dist_rtt_seconds', ms / 1000, { peer })
  }

  x.family('tekka_processes', 'gauge', 'Processes alive on this node.').sample('tekka_processes', c.runtime.processCount)
  x.family('tekka_process_mailbox_length', 'gauge', `Mailbox length of the ${s.topProcesses} processes with the longest mailboxes.`)
  const top = longestMailboxes(c, s.topProcesses)
  // Registered names, without processInfo (which copies a mailbox).
  const names = new Map<string, string>()
  if (top.length > 0) for (const n of c.runtime.registered()) { const p = c.runtime.whereis(n); if (p !== undefined) names.set(p.toString(), n) }
  for (const { pid, length } of top) {
    const name = names.get(pid.toString())
    x.sample('tekka_process_mailbox_length', length, name === undefined ? { pid: pid.toString() } : { pid: pid.toString(), name })
  }

  const h = s.loop
  x.family('tekka_event_loop_lag_seconds', 'summary', 'Event-loop delay since the endpoint started (perf_hooks monitorEventLoopDelay).')
  for (const q of QUANTILES) x.sample('tekka_event_loop_lag_seconds', h.count === 0 ? 0 : h.percentile(q * 100) / 1e9, { quantile: String(q) })
  x.sample('tekka_event_loop_lag_seconds_sum', h.count === 0 ? 0 : (h.mean * h.count) / 1e9)
  x.sample('tekka_event_loop_lag_seconds_count', h.count)
  return x.text()
}
