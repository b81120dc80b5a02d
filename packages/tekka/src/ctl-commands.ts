/**
 * The operator commands a node started by `tekka` answers (`tekka ctl ...`):
 * `ping`, `nodes`, and `cluster status | join | leave | force-leave`
 * (ekka's cluster commands). Plugins add their own through their
 * components (`autocluster status`, `heal status`, ...).
 */
import type { ClusterStatus, DistNode, JoinError } from '@tekka/dist'

/** `cluster status` as an operator reads it. */
export function formatStatus (s: ClusterStatus): string {
  const lines = [
    `cluster ${s.cluster} (seen from ${s.node})`,
    `leader: ${s.leader ?? '-'}   coordinator: ${s.coordinator ?? '-'}`,
    `running: ${s.running.join(', ') || '-'}`,
    `stopped: ${s.stopped.join(', ') || '-'}`,
    `partitions: ${s.partitions.join(', ') || '-'}`,
    'members (oldest first):'
  ]
  for (const m of s.members) lines.push(`  ${m.node.padEnd(32)} ${m.status.padEnd(8)} ${m.guid}`)
  return lines.join('\n')
}

/** Registers the command's own ctl commands on `node`. */
export function registerCtlCommands (node: DistNode): void {
  const { ctl, membership } = node
  ctl.register('ping', 'answers pong', () => ({ ok: true, text: 'pong', json: { pong: node.name } }))
  ctl.register('nodes', 'connected nodes', () => {
    const list = node.nodes()
    return { ok: true, text: list.join('\n'), json: { node: node.name, nodes: list } }
  })
  ctl.register('cluster status', 'members with status and guid, leader, running / stopped nodes, partitions', () => {
    const s = membership.status()
    return { ok: true, json: s, text: formatStatus(s) }
  })
  ctl.register('cluster join', 'cluster join NODE: join the cluster of NODE', async (args) => {
    if (args.length !== 1) return { ok: false, text: 'usage: cluster join NODE' }
    try {
      const r = await membership.join(args[0])
      return { ok: true, text: r === 'joined' ? `joined ${args[0]}` : `already in the cluster of ${args[0]}`, json: { result: r } }
    } catch (err) {
      return { ok: false, text: (err as Error).message, json: { error: (err as JoinError).code ?? 'ERR', message: (err as Error).message } }
    }
  })
  ctl.register('cluster leave', 'leave the cluster', async () => {
    await membership.leave()
    return { ok: true, text: 'left the cluster', json: { result: 'left' } }
  })
  ctl.register('cluster force-leave', 'cluster force-leave NODE: remove NODE from the cluster', async (args) => {
    if (args.length !== 1) return { ok: false, text: 'usage: cluster force-leave NODE' }
    try {
      const removed = await membership.forceLeave(args[0])
      return { ok: removed, text: removed ? `removed ${args[0]}` : `${args[0]} is not a member`, json: { removed } }
    } catch (err) {
      return { ok: false, text: (err as Error).message }
    }
  })
}
