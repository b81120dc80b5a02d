/**
 * What a demo node tells the controller: one demo line per event of its
 * node's stream worth a line. The node's own parts publish there (links:
 * `dist.*`; membership: `membership.*`; supervisors: `supervisor.child`;
 * locks: `lock.*`; autoheal: `heal.*`; discovery: `autocluster.*`; the app
 * module: `node.application`), and so do the jobs service (`jobs.*`) and
 * this app's lock loop (`demo.lock`, declared below): node-app.ts reads that
 * one stream with one subscription and forwards what `demoLine` makes of
 * each event. The controller's view, its `--no-ui` lines and its script
 * all read those lines.
 *
 * ```ts
 * node.events.subscribe((e) => {
 *   const line = demoLine(e, node.name)
 *   if (line !== undefined) sendToController(line)
 * })
 * ```
 *
 * Events at level `debug` are not lines (every job result after a worker's
 * first, each quiet autocluster round, a dial that failed), nor are rounds
 * that worked (their joins and completion are): the controller shows what
 * an operator would want to read. Types this file does not know
 * (a plugin's new event) still get a line, with their fields.
 */
import { formatReason, type TekkaEvent } from '@tekka/actors'
// The packages whose events this reads: their declarations type the stream.
import type {} from '@tekka/discovery'
import type { ClusterView, HealPlan } from '@tekka/heal'
import type { LockType } from '@tekka/lock'
import { SUPERVISOR_NAME } from '../jobs/jobs.js'
import { short, type DemoEventKind } from './protocol.js'

declare module '@tekka/actors' {
  interface TekkaEvents {
    /** The demo's lock loop: a lock taken, refused (level debug when only held by another owner: the normal case) or its holder ended abnormally (warn). */
    'demo.lock':
      | { action: 'taken', lockType: LockType, resource: string, holder: string, token: number, nodes: string[] }
      | { action: 'refused', lockType: LockType, resource: string, reason: string, nodes: string[] }
      | { action: 'holder_down', lockType: LockType, resource: string, reason: string }
  }
}

/** A line for the controller: its kind (a column of the view), its text, and the facts the script checks. */
export interface DemoLine {
  kind: DemoEventKind
  text: string
  data: Record<string, unknown>
}

const HEADER = new Set(['type', 'node', 'time', 'level'])

/** An event's payload as `key=value` pairs, for types without a line of their own. */
export function fields (e: TekkaEvent, max = 160): string {
  const parts: string[] = []
  for (const [k, v] of Object.entries(e)) {
    if (HEADER.has(k) || v === undefined) continue
    const text = typeof v === 'string' ? v : Array.isArray(v) && v.every((x) => typeof x === 'string') ? v.join(',') : formatReason(v)
    parts.push(`${k}=${text.length > 60 ? `${text.slice(0, 59)}…` : text}`)
  }
  const all = parts.join(' ')
  return all.length > max ? `${all.slice(0, max - 1)}…` : all
}

const list = (xs: readonly string[]): string => xs.length === 0 ? 'none' : xs.map(short).join(', ')

/** A leader's inputs: what each node it asked sees (running, partitioned from, down), in a line. */
export function viewsText (views: readonly ClusterView[]): string {
  return views.map((v) => `${short(v.node)} runs with ${list(v.running)}${v.partitioned.length > 0 ? `, partitioned from ${list(v.partitioned)}` : ''}${v.down.length > 0 ? `, no link to ${list(v.down)}` : ''}`).join('; ')
}

/** A heal plan in a line: who survives, who is rebooted, who coordinates, and the split view's groups. */
export function planText (plan: HealPlan): string {
  const groups = plan.splitView.groups.map((g) => `{${list(g.nodes)}} seen by ${list(g.seenBy)}`).join(' | ')
  return `survivors ${list(plan.survivors)} (the majority side); reboot ${list(plan.victims)}; coordinator ${short(plan.coordinator)}; split view ${groups}`
}

/** The kind of a type without a line of its own, by its prefix (kinds fit the view's 9-character column). */
function kindOf (type: string): DemoEventKind {
  const prefix = type.slice(0, type.indexOf('.'))
  if (prefix === 'autocluster') return 'discovery'
  return prefix === 'heal' || prefix === 'lock' || prefix === 'jobs' ? prefix : 'event'
}

/** The demo line for `e` as node `self` saw it, or undefined when it is not worth one. */
export function demoLine (e: TekkaEvent, self: string): DemoLine | undefined {
  if (e.level === 'debug') return undefined
  switch (e.type) {
    // ---- links and membership (@tekka/dist) --------------------------------------------
    case 'dist.nodeup':
      // Hidden nodes (the controller, `tekka ctl`) are not part of the story.
      return e.hidden ? undefined : { kind: 'nodeup', text: `link to ${short(e.peer)} up (creation ${e.creation})`, data: { peer: e.peer, creation: e.creation } }
    case 'dist.nodedown':
      return e.hidden ? undefined : { kind: 'nodedown', text: `saw ${short(e.peer)} go down: ${e.reason}`, data: { peer: e.peer, reason: e.reason } }
    case 'membership.change':
      // `joining` comes and goes within a join: the member's `up` and `down` tell the story.
      if (e.member === self || e.status === 'joining') return undefined
      return { kind: 'member', text: `member ${short(e.member)} is ${e.status}`, data: { event: e.status, peer: e.member } }
    case 'membership.partition':
      return { kind: 'partition', text: `partition ${e.event} with ${short(e.peer)}`, data: { event: e.event, peer: e.peer } }
    case 'node.application':
      // The app module's start and stop the controller reads from the node's output (`tekka: app ... started`); the others (the lock service `lock:<locker>`, stopped and started by autoheal) are lines.
      if (e.app.startsWith('app:')) return undefined
      return { kind: 'app', text: `${e.app} ${e.event.replace('_', ' ')}${e.error !== undefined ? `: ${e.error}` : ''}`, data: { app: e.app, event: e.event } }
    case 'node.stopped':
      return undefined

    // ---- supervisors (@tekka/actors) -------------------------------------------------
    case 'supervisor.child':
      // jobs.worker_started says the same for jobs_sup's worker, with the job that crashed it.
      if (e.supervisor === SUPERVISOR_NAME && (e.event === 'exited' || e.event === 'restarted')) return undefined
      return { kind: 'sup', text: `supervisor ${e.supervisor}: child ${e.id} ${e.event.replace('_', ' ')}${e.reason !== undefined ? ` (${formatReason(e.reason)})` : ''}`, data: { supervisor: e.supervisor, id: e.id, event: e.event } }

    // ---- the lock service (@tekka/lock) ----------------------------------------------
    case 'lock.lost':
      return { kind: 'lock', text: `${e.lockType} lock ${e.resource} of ${String(e.owner)} lost too many of its grants (${e.grants.length} left, ${e.need} needed: ${e.reason}): the owner is killed`, data: { action: 'lost', type: e.lockType, resource: e.resource } }
    case 'lock.orphaned':
      return { kind: 'lock', text: `lock table: the node of owner ${String(e.owner)} is gone (${e.reason}); its locks here are kept for the grace period, then freed`, data: { action: 'orphaned', owner: String(e.owner) } }
    case 'lock.lease_expired':
      return { kind: 'lock', text: `${e.lockType} lock ${e.resource} of ${String(e.owner)} outlived its lease (${Math.round(e.age)} ms): the owner is killed at the next check if it still holds it`, data: { action: 'lease_expired', type: e.lockType, resource: e.resource } }
    case 'lock.lease_kill':
      return { kind: 'lock', text: `${e.lockType} lock ${e.resource} of ${String(e.owner)} outlived its lease: the owner is killed`, data: { action: 'lease_kill', type: e.lockType, resource: e.resource } }
    case 'lock.ready':
      return { kind: 'lock', text: `lock service ${e.locker} grants leader and quorum locks`, data: { action: 'ready' } }

    // ---- discovery (@tekka/discovery) ------------------------------------------------
    case 'autocluster.joined':
      return { kind: 'discovery', text: `${e.strategy} discovery joined ${short(e.target)} (${e.reason})`, data: { target: e.target } }
    case 'autocluster.round':
      // A round that changed something says so in its own events (joined, complete); a failed one is worth a line.
      return e.error !== undefined ? { kind: 'discovery', text: `${e.strategy} discovery round ${e.round} failed: ${e.error}`, data: { round: e.round } } : undefined
    case 'autocluster.complete':
      return { kind: 'discovery', text: `${e.strategy} discovery complete: members ${e.members.map(short).join(', ')}`, data: { members: [...e.members] } }

    // ---- autoheal (@tekka/heal) -------------------------------------------------------
    case 'heal.partition':
      return { kind: 'partition', text: `partition with ${short(e.peer)} ${e.event === 'occurred' ? 'recorded' : 'over'}: ${e.reason}`, data: { event: e.event, peer: e.peer } }
    case 'heal.report':
      return { kind: 'heal', text: `reported its partitions with ${list(e.partitions)} to the leader ${short(e.to)}`, data: { to: e.to, partitions: [...e.partitions] } }
    case 'heal.decision': {
      const views = viewsText(e.views)
      const data = { id: e.id, decision: e.decision, views: e.views.map((v) => ({ node: v.node, running: [...v.running], partitioned: [...v.partitioned], down: [...v.down] })) }
      if (e.decision === 'heal' && e.plan !== undefined) return { kind: 'decision', text: `autoheal ${e.id}: heal. Inputs: ${views}. Decision: ${planText(e.plan)}`, data: { ...data, survivors: [...e.plan.survivors], victims: [...e.plan.victims], coordinator: e.plan.coordinator } }
      if (e.decision === 'wait') return { kind: 'decision', text: `autoheal ${e.id}: wait (${e.reason ?? '?'}), again in ${((e.retryIn ?? 0) / 1000).toFixed(1)} s. Inputs: ${views}`, data: { ...data, reason: e.reason } }
      return { kind: 'decision', text: `autoheal ${e.id}: nothing to heal. Inputs: ${views}`, data }
    }
    case 'heal.heal':
      return { kind: 'heal', text: `coordinator of ${e.id}: heal ${e.phase}${e.phase === 'started' ? `, rebooting ${list(e.plan.victims)}` : ''}${e.result !== undefined ? ` (rebooted ${list(e.result.rebooted)}${e.result.failed.length > 0 ? `; failed ${e.result.failed.map((f) => `${short(f.node)}: ${f.error}`).join(', ')}` : ''})` : ''}${e.error !== undefined ? `: ${e.error}` : ''}`, data: { id: e.id, phase: e.phase, victims: [...e.plan.victims] } }
    case 'heal.reboot':
      return {
        kind: 'heal',
        text: e.phase === 'shutdown'
          ? `rebooted by ${e.id} (coordinator ${short(e.coordinator)}): stopped its applications, dropped its partitions with ${list(e.partitions ?? [])}`
          : e.phase === 'rebooted'
            ? `rebooted by ${e.id}: rejoined ${short(e.coordinator)}'s cluster and started its applications again${(e.failedApps ?? []).length > 0 ? ` (failed: ${(e.failedApps ?? []).join(', ')})` : ''}`
            : `${e.id}: the coordinator ${short(e.coordinator)} never asked for the reboot; rebooted by itself`,
        data: { id: e.id, phase: e.phase }
      }

    // ---- the jobs service (../jobs/jobs.ts) --------------------------------------------
    case 'jobs.result':
      return e.first ? { kind: 'job', text: `first result from ${short(e.worker)}'s worker: job ${e.id} -> ${e.value} primes (${e.ms.toFixed(1)} ms)`, data: { worker: e.worker, id: e.id } } : undefined
    case 'jobs.worker_started':
      return e.incarnation > 1 ? { kind: 'worker', text: `worker "jobs" crashed (${e.after ?? 'exit'}); jobs_sup restarted it (incarnation ${e.incarnation})`, data: { incarnation: e.incarnation } } : undefined
    case 'jobs.worker_down': {
      // Every producer monitors every worker: a crash is reported once (by the producer whose poison job it was); a lost node by all.
      if (e.reason !== 'noconnection' && e.requeued.length === 0 && e.failed.length === 0) return undefined
      const n = e.requeued.length
      return {
        kind: 'monitor',
        text: `DOWN from {jobs, ${short(e.worker)}}: ${e.reason} (jobs_producer's monitor; ${n} job${n === 1 ? '' : 's'} requeued${e.failed.length > 0 ? `, poison job ${e.failed.join(', ')} given up` : ''})`,
        data: { worker: e.worker, reason: e.reason, by: 'producer', requeued: n }
      }
    }
    case 'jobs.requeued':
      // Its worker's DOWN has said it already.
      return e.reason.startsWith('worker DOWN') ? undefined : { kind: 'jobs', text: `job ${e.id} requeued (was on ${short(e.worker)}): ${e.reason}`, data: { id: e.id, worker: e.worker } }

    // ---- this app's lock loop ---------------------------------------------------------
    case 'demo.lock':
      switch (e.action) {
        case 'taken': {
          const where = e.lockType === 'leader' ? `in the leader ${short(e.nodes[0] ?? '?')}'s table` : `granted by ${e.nodes.map(short).join(' and ')} (a majority of its replicas)`
          return { kind: 'lock', text: `${e.lockType} lock ${e.resource} taken by ${e.holder}, ${where}; token ${e.token}`, data: { action: 'taken', type: e.lockType, resource: e.resource, token: e.token, nodes: [...e.nodes] } }
        }
        case 'refused':
          return { kind: 'lock', text: `${e.lockType} lock ${e.resource} refused: ${e.reason}${e.nodes.length > 0 ? ` (${e.nodes.map(short).join(', ')})` : ''}`, data: { action: 'refused', type: e.lockType, resource: e.resource, reason: e.reason } }
        case 'holder_down':
          return { kind: 'lock', text: `${e.lockType} lock holder ended: ${e.reason}`, data: { action: 'holder_down', type: e.lockType, reason: e.reason } }
      }
      return undefined
  }
  // heal.autoclean, the other autocluster.* and anything newer: the event's own fields.
  return { kind: kindOf(e.type), text: `${e.type} ${fields(e)}`, data: { type: e.type } }
}
