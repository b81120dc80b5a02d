/**
 * `tekka ctl ... autocluster status | enable | disable`: the operator's view
 * of the autocluster actor and its switch.
 */
import type { CtlCommands } from '@tekka/dist'
import type { Autocluster } from './autocluster.js'
import type { AutoclusterStatus } from './autocluster-types.js'

const COMMANDS = ['autocluster status', 'autocluster enable', 'autocluster disable'] as const

/** Registers the commands; returns what unregisters them. */
export function registerAutoclusterCtl (ctl: CtlCommands, ac: Autocluster): () => void {
  ctl.register('autocluster status', 'strategy, enabled, state, and what the last round discovered and did', () => {
    const s = ac.status()
    return { ok: true, text: formatAutoclusterStatus(s), json: s }
  })
  ctl.register('autocluster enable', 'let the autocluster actor join discovered nodes again (runs a round now)', () => {
    ac.enable()
    return { ok: true, text: `autocluster enabled (${ac.state})`, json: { enabled: true, state: ac.state } }
  })
  ctl.register('autocluster disable', 'stop the autocluster actor joining nodes until enabled', () => {
    ac.disable()
    return { ok: true, text: 'autocluster disabled', json: { enabled: false, state: ac.state } }
  })
  return () => { for (const c of COMMANDS) ctl.unregister(c) }
}

/** `autocluster status` as an operator reads it. */
export function formatAutoclusterStatus (s: AutoclusterStatus): string {
  const lines = [`autocluster on ${s.node}: strategy ${s.strategy}, ${s.enabled ? 'enabled' : 'disabled'}, ${s.state} (every ${s.interval} ms, ${s.rounds} round${s.rounds === 1 ? '' : 's'})`]
  const r = s.last
  if (r === undefined) return lines.concat('no round yet').join('\n')
  lines.push(`last round #${r.round} at ${new Date(r.at).toISOString()} (${Math.round(r.duration)} ms):`)
  lines.push(`  discovered: ${r.discovered.join(', ') || '-'}`)
  if (r.skipped.length > 0) lines.push(`  skipped: ${r.skipped.map((x) => `${x.item} (${x.problem})`).join('; ')}`)
  lines.push(`  alive: ${r.alive.join(', ') || '-'}`)
  if (r.dead.length > 0) lines.push(`  not responding: ${r.dead.map((d) => `${d.node} (${d.why})`).join('; ')}`)
  if (r.pending.length > 0) lines.push(`  still being reached when it decided: ${r.pending.join(', ')}`)
  if (r.lock !== undefined) lines.push(`  lock: ${r.lock}`)
  if (r.decision !== undefined) {
    const d = r.decision
    lines.push(`  decision: ${d.action === 'join' ? `join ${d.target}${r.joined !== undefined ? ' (joined)' : ''}` : d.action === 'none' ? 'nothing to join' : 'wait'}: ${d.reason}`)
  }
  if (r.error !== undefined) lines.push(`  error: ${r.error}`)
  if (r.cancelled !== undefined) lines.push(`  cut short: ${r.cancelled}`)
  lines.push(`  registered: ${r.registered ? 'yes' : 'no'}   complete: ${r.complete ? 'yes' : 'no'}`)
  return lines.join('\n')
}
