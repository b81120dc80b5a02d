/**
 * Diagnostics channels (node:diagnostics_channel): what the runtime decided,
 * published as structured events so tools can watch a node without parsing
 * its log. Publishing costs one `hasSubscribers` check when nobody listens.
 *
 * ```ts
 * import * as diagnostics_channel from 'node:diagnostics_channel'
 * diagnostics_channel.subscribe('tekka:supervisor:child', (e) => { console.log(e) })
 * ```
 *
 * Channels of this package (each message a plain object):
 * - `tekka:supervisor:child`: `{ supervisor, id, event, pid?, reason? }` with
 *   `event` one of `exited` (a child ended and will be restarted, or not:
 *   `restart` says which), `restarted`, `restart_failed`, `intensity`
 *   (restart intensity reached: the supervisor shuts down).
 *
 * Other packages add theirs with the same helper: `tekka:dist:node`
 * (nodeup / nodedown), `tekka:heal:event` (partition, decision, heal, ...).
 */
import * as diagnosticsChannel from 'node:diagnostics_channel'

/** A named channel with a publish that does nothing when nobody subscribes. */
export interface TekkaChannel<T extends object> {
  readonly name: string
  readonly hasSubscribers: boolean
  publish(message: T): void
}

export function tekkaChannel<T extends object> (name: string): TekkaChannel<T> {
  const ch = diagnosticsChannel.channel(name)
  return {
    name,
    get hasSubscribers () { return ch.hasSubscribers },
    publish (message: T): void {
      if (ch.hasSubscribers) ch.publish(message)
    }
  }
}

export interface SupervisorChildEvent {
  /** The supervisor's label (its registered name, or its pid). */
  supervisor: string
  /** The child's id in its spec. */
  id: string
  event: 'exited' | 'restarted' | 'restart_failed' | 'intensity'
  pid?: string
  reason?: unknown
  /** For `exited`: whether the child's restart type restarts it. */
  restart?: boolean
}

export const supervisorChannel = tekkaChannel<SupervisorChildEvent>('tekka:supervisor:child')
