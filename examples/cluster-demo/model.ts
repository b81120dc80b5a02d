/**
 * The controller's picture of the demo cluster: each node's process state
 * and its latest stats, the event log, and what follows from them (the
 * leader, partitions, whether the cluster is one). The script waits on it,
 * the terminal UI draws it, the `--no-ui` printer prints its events.
 *
 * Emits `event` (a DemoLogEvent, once per event) and `change` (after every
 * update, events and stats alike). What the nodes saw reaches it from their
 * own event streams (node-events.ts, forwarded as messages); this emitter
 * is only the controller's plumbing from the model to its views (the
 * screen, the line printer, the script's waits), in the controller's
 * process, where no node stream of theirs exists. So it stays a small,
 * typed EventEmitter rather than an event stream of its own.
 */
import { EventEmitter } from 'node:events'
import type { TekkaProcess } from '../lib/tekka-process.js'
import { short, type DemoEvent, type DemoStats } from './protocol.js'

export interface DemoLogEvent {
  readonly seq: number
  readonly at: number
  readonly kind: string
  readonly text: string
  /** The node that reported it; undefined for the controller's own events. */
  readonly node: string | undefined
  readonly data: Readonly<Record<string, unknown>>
}

/** A phase of the script, for the view's progress lines. */
export interface Step {
  readonly label: string
  state: 'pending' | 'running' | 'done' | 'failed'
  startedAt: number | undefined
  endedAt: number | undefined
}

export type ProcState = 'starting' | 'running' | 'killed' | 'stopping' | 'exited'

export interface NodeEntry {
  readonly name: string
  readonly port: number
  proc: TekkaProcess | undefined
  state: ProcState
  /** Times started. */
  starts: number
  /** Creation of the running incarnation, once known. */
  creation: number | undefined
  /** Latest stats of the running incarnation. */
  stats: DemoStats | undefined
}

/** What the run is: for the view's header. */
export interface DemoInfo {
  cluster: string
  basePort: number
  dataDir: string
  /** The nodes' addresses, e.g. `127.0.0.51-53`. */
  hosts?: string
  /** How partitions are made: `iptables` or `inject`. */
  partition?: string
}

/** Stats older than this are not believed. */
const FRESH_MS = 3000
const MAX_EVENTS = 5000

/** What DemoModel emits. */
export interface DemoModelEvents {
  event: [e: DemoLogEvent]
  change: []
}

export class DemoModel extends EventEmitter<DemoModelEvents> {
  readonly t0 = Date.now()
  readonly nodes = new Map<string, NodeEntry>()
  readonly events: DemoLogEvent[] = []
  readonly info: DemoInfo
  /** What the script is doing, for the UI. */
  phase = 'starting'
  /** The script's phases in order, each pending, running, done or failed (see `plan` and `begin`). */
  steps: Step[] = []
  #seq = 0

  constructor (names: readonly string[], ports: readonly number[], info: DemoInfo) {
    super()
    this.info = info
    names.forEach((name, i) => {
      this.nodes.set(name, { name, port: ports[i], proc: undefined, state: 'starting', starts: 0, creation: undefined, stats: undefined })
    })
  }

  get names (): string[] { return [...this.nodes.keys()] }
  /** Sequence number the next event gets: pass to `since` to look only at later events. */
  get mark (): number { return this.#seq }

  entry (name: string): NodeEntry {
    const e = this.nodes.get(name)
    if (e === undefined) throw new Error(`unknown node ${name}`)
    return e
  }

  /** Records an event (the controller's own, or `node`'s). */
  add (kind: string, text: string, node?: string, data: Record<string, unknown> = {}): DemoLogEvent {
    const e: DemoLogEvent = { seq: this.#seq++, at: Date.now(), kind, text, node, data }
    this.events.push(e)
    if (this.events.length > MAX_EVENTS) this.events.shift()
    this.emit('event', e)
    this.emit('change')
    return e
  }

  /** Sets the phases the script will go through, pending (but those of `keep` that are done already). */
  plan (labels: readonly string[], keep: readonly string[] = []): void {
    const done = new Map(this.steps.filter((s) => s.state === 'done' && keep.includes(s.label)).map((s) => [s.label, s]))
    this.steps = labels.map((label) => done.get(label) ?? { label, state: 'pending', startedAt: undefined, endedAt: undefined })
    this.emit('change')
  }

  /** Phase `label` starts (the one running before it is done); a `phase` event says so. */
  begin (label: string, detail?: string): void {
    const now = Date.now()
    for (const s of this.steps) {
      if (s.state === 'running') { s.state = 'done'; s.endedAt = now }
    }
    let i = this.steps.findIndex((s) => s.label === label)
    if (i < 0) { this.steps.push({ label, state: 'pending', startedAt: undefined, endedAt: undefined }); i = this.steps.length - 1 }
    const step = this.steps[i]
    step.state = 'running'
    step.startedAt = now
    step.endedAt = undefined
    this.phase = detail ?? label
    this.add('phase', `${i + 1}/${this.steps.length} ${label}`, undefined, { label })
  }

  /** Ends the running phase: done, or failed (a step that did not happen in time, an error). */
  finish (state: 'done' | 'failed' = 'done'): void {
    const now = Date.now()
    for (const s of this.steps) {
      if (s.state === 'running') { s.state = state; s.endedAt = now }
    }
    this.emit('change')
  }

  /** An event a node sent. */
  onNodeEvent (e: DemoEvent): void {
    if (!this.nodes.has(e.node)) return
    this.add(e.kind, `${short(e.node)}: ${e.text}`, e.node, { ...e.data, creation: e.creation })
  }

  /** A stats snapshot a node sent; one of an incarnation that is not the running one is dropped. */
  onStats (s: DemoStats): void {
    const n = this.nodes.get(s.node)
    if (n === undefined || n.state !== 'running') return
    if (n.creation !== undefined && n.creation !== s.creation) return
    n.stats = s
    this.emit('change')
  }

  /** Events from `seq` on that `pred` accepts. */
  since (seq: number, pred: (e: DemoLogEvent) => boolean = () => true): DemoLogEvent[] {
    return this.events.filter((e) => e.seq >= seq && pred(e))
  }

  /** Stats of running nodes, recent enough to believe. */
  fresh (): DemoStats[] {
    const now = Date.now()
    const out: DemoStats[] = []
    for (const n of this.nodes.values()) {
      if (n.state === 'running' && n.stats !== undefined && now - n.stats.at < FRESH_MS) out.push(n.stats)
    }
    return out
  }

  /** The leader most running nodes name. */
  leader (): string | undefined {
    const votes = new Map<string, number>()
    for (const s of this.fresh()) if (s.status.leader !== undefined) votes.set(s.status.leader, (votes.get(s.status.leader) ?? 0) + 1)
    return [...votes].sort((a, b) => b[1] - a[1])[0]?.[0]
  }

  /** Partitions any node has recorded, as `a|b` pairs. */
  partitions (): string[] {
    const out = new Set<string>()
    for (const s of this.fresh()) for (const p of s.status.partitions) out.add([short(s.node), short(p)].sort().join('|'))
    return [...out].sort()
  }

  /** Members, oldest first, as the running nodes see them (the first one with fresh stats). */
  members (): Array<{ node: string, status: string }> {
    const s = this.fresh()[0]
    return s === undefined ? [] : s.status.members.map((m) => ({ node: m.node, status: m.status }))
  }

  /**
   * True when every node runs and reports, and all see the same member list
   * (every node, all up), the same leader and no partition.
   */
  formed (): boolean {
    const all = this.fresh()
    if (all.length !== this.nodes.size) return false
    const want = this.names.sort().join(',')
    const leader = all[0].status.leader
    return all.every((s) =>
      s.status.members.map((m) => m.node).sort().join(',') === want &&
      s.status.members.every((m) => m.status === 'up') &&
      s.status.leader === leader && s.status.partitions.length === 0)
  }

  /** A node's status for display: its process state, else how the others see it. */
  statusOf (name: string): string {
    const n = this.entry(name)
    if (n.state !== 'running') return n.state
    if (n.stats === undefined) return 'joining'
    for (const s of this.fresh()) {
      if (s.node === name) continue
      const m = s.status.members.find((x) => x.node === name)
      if (m !== undefined) return m.status
    }
    return n.stats.status.members.length > 1 ? 'up' : 'alone'
  }

  /** Seconds since the start, for lines and the UI. */
  elapsed (at = Date.now()): string {
    return `+${((at - this.t0) / 1000).toFixed(2)}s`
  }
}
