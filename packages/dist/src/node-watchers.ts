/**
 * Processes watching nodes come and go (net_kernel:monitor_nodes and
 * erlang:monitor_node): `{ type: 'nodeup' | 'nodedown', node, reason? }`
 * messages to each watcher, for one node or for every node. A watch of one
 * node is one-shot, as erlang:monitor_node is: it ends at that node's
 * nodedown. Watchers that died are dropped as they are met.
 */
import type { Pid, Runtime } from '@tekka/actors'

export interface NodeMessage {
  type: 'nodeup' | 'nodedown'
  node: string
  reason?: string
}

export class NodeWatchers {
  readonly #rt: Runtime
  /** pid key -> the watcher and the nodes it watches ('all': every node, until unwatched). */
  readonly #watchers = new Map<string, { pid: Pid, nodes: Set<string> | 'all' }>()

  constructor (runtime: Runtime) {
    this.#rt = runtime
  }

  /** Watches `node`, or every node when undefined. */
  watch (pid: Pid, node: string | undefined): void {
    const key = pid.key
    if (node === undefined) {
      this.#watchers.set(key, { pid, nodes: 'all' })
      return
    }
    let w = this.#watchers.get(key)
    if (w === undefined) this.#watchers.set(key, w = { pid, nodes: new Set() })
    if (w.nodes !== 'all') w.nodes.add(node)
  }

  /** Stops watching `node`, or everything when undefined (or when `pid` watches every node). */
  unwatch (pid: Pid, node: string | undefined): void {
    const key = pid.key
    const w = this.#watchers.get(key)
    if (w === undefined) return
    if (node === undefined || w.nodes === 'all') this.#watchers.delete(key)
    else { w.nodes.delete(node); if (w.nodes.size === 0) this.#watchers.delete(key) }
  }

  /** Tells every watcher of `msg.node`. */
  notify (msg: NodeMessage): void {
    const node = msg.node
    for (const [key, w] of this.#watchers) {
      if (w.nodes !== 'all' && !w.nodes.has(node)) continue
      if (!this.#rt.isAlive(w.pid) && w.pid.node === this.#rt.node) { this.#watchers.delete(key); continue }
      this.#rt.send(w.pid, msg)
      if (msg.type === 'nodedown' && w.nodes !== 'all') {
        w.nodes.delete(node)
        if (w.nodes.size === 0) this.#watchers.delete(key)
      }
    }
  }
}
