/**
 * The terminal UI: a frame drawn from the model (`render`, a pure function
 * of the model, the width and the time) and a `Screen` that redraws it in
 * place a few times a second with plain ANSI escapes: cursor home, each
 * line followed by erase-to-end-of-line, erase below. No dependencies. The
 * cursor is hidden while it runs and shown again by `close()` (called on
 * every way out).
 */
import type { DemoModel } from './model.js'
import { short } from './protocol.js'

const ESC = '\x1b['

export interface RenderOptions {
  width: number
  /** ANSI colours (off for NO_COLOR). */
  color: boolean
  /** Lines of recent events shown. */
  events?: number
  now?: number
}

/** Strips ANSI escapes, to measure and cut lines. */
export function plain (s: string): string {
  return s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')
}

function fit (s: string, width: number): string {
  if (plain(s).length <= width) return s
  // Cut on the plain text: colour codes in cut lines are dropped.
  return plain(s).slice(0, Math.max(0, width - 1)) + '…'
}

function pad (s: string, n: number): string {
  const len = plain(s).length
  return len >= n ? s : s + ' '.repeat(n - len)
}

function clock (ms: number): string {
  const s = Math.floor(ms / 1000)
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`
}

/** The frame for `model`: an array of lines, none wider than `width`. */
export function render (model: DemoModel, opts: RenderOptions): string[] {
  const now = opts.now ?? Date.now()
  const c = (code: string, s: string): string => opts.color ? `${ESC}${code}m${s}${ESC}0m` : s
  const bold = (s: string): string => c('1', s)
  const dim = (s: string): string => c('2', s)
  const statusColor = (st: string): string => st === 'up' ? c('32', st) : st === 'killed' || st === 'down' || st === 'exited' ? c('31', st) : c('33', st)
  const lines: string[] = []
  const names = model.names
  const leader = model.leader()
  const partitions = model.partitions()
  const members = model.members()
  const upCount = members.filter((m) => m.status === 'up').length

  const how = model.info.partition === 'iptables' ? 'partitions: iptables' : model.info.partition === 'inject' ? 'partitions: link fault injector (no iptables)' : ''
  // The setup on a line of its own: with the link fault injector's wording it is 105 columns, and the title line's
  // clock would push it past the 120 a pipe gets.
  lines.push(`${bold('tekka cluster demo')}   ${dim(`${clock(now - model.t0)}  Ctrl-C to stop`)}`)
  lines.push(`${names.length} nodes on ${model.info.hosts ?? '127.0.0.1'} · static discovery · autoheal on${how !== '' ? ` · ${how}` : ''}`)
  lines.push(`cluster ${bold(model.info.cluster)}   leader ${bold(leader ?? '-')}   partitions ${partitions.length === 0 ? 'none' : c('31', partitions.join(' '))}   members ${members.length === 0 ? '-' : `${upCount}/${members.length} up`}`)
  lines.push('')
  const head = [pad('NODE', 19), pad('STATUS', 9), pad('PID', 8), pad('CREATION', 11), pad('VIEW', 8), pad('MSGS/S', 7), pad('JOBS RUN', 9), pad('RESULTS', 8), pad('RESTARTS', 9), 'LOCKS HELD']
  lines.push(bold(head.join(' ')))
  for (const name of names) {
    const n = model.entry(name)
    const s = n.stats
    const st = model.statusOf(name)
    const view = s === undefined ? '-' : `${s.status.members.filter((m) => m.status === 'up').length}/${s.status.members.length} up`
    const locks = s === undefined ? '' : s.locks.map((l) => `${l.type} #${String(l.token).slice(-4)}`).join(', ')
    const row = [
      pad(name === leader ? `${name}*` : name, 19),
      pad(statusColor(st), 9),
      pad(n.proc !== undefined && n.proc.running ? String(n.proc.pid) : '-', 8),
      pad(n.creation !== undefined ? String(n.creation) : '-', 11),
      pad(view, 8),
      pad(s !== undefined ? String(s.msgsPerSec) : '-', 7),
      pad(s !== undefined ? String(s.jobs.worked) : '-', 9),
      pad(s !== undefined ? String(s.jobs.done) : '-', 8),
      pad(s !== undefined ? String(Math.max(0, s.jobs.workerStarts - 1)) : '-', 9),
      locks
    ]
    lines.push(row.join(' '))
  }
  lines.push(dim('* leader (oldest member)  VIEW: members up, as the node sees them  JOBS RUN: by its worker  RESULTS: to its producer'))
  lines.push('')
  const held = model.fresh().flatMap((s) => s.locks.map((l) => ({ ...l, at: s.node })))
  const lockLine = (type: 'leader' | 'quorum'): string => {
    const l = held.find((x) => x.type === type)
    const resource = `demo/${type}-task`
    if (l === undefined) return `${pad(type, 7)} ${resource}: free`
    const where = type === 'leader' ? `in ${short(l.nodes[0] ?? '?')}'s table (the leader)` : `granted by ${l.nodes.map(short).join(', ')}`
    return `${pad(type, 7)} ${resource}: held by ${l.owner} on ${short(l.at)}, ${where}, token ${l.token}`
  }
  lines.push(bold('locks'))
  lines.push('  ' + lockLine('leader'))
  lines.push('  ' + lockLine('quorum'))
  lines.push('')
  // A progress line per phase: done (with how long it took), running, failed or still to come.
  lines.push(bold('progress'))
  for (const st of model.steps) {
    const mark = st.state === 'done' ? c('32', '✓') : st.state === 'running' ? c('33', '▶') : st.state === 'failed' ? c('31', '✗') : dim('·')
    const took = st.startedAt === undefined ? '' : `${(((st.endedAt ?? now) - st.startedAt) / 1000).toFixed(1)} s`
    lines.push(`  ${mark} ${pad(st.state === 'pending' ? dim(st.label) : st.label, 42)} ${dim(took)}`)
  }
  lines.push(`${bold('script')}  ${model.phase}`)
  lines.push('')
  // The nodes' own log lines (a poisoned worker's crash report, ...) are left to --no-ui: the events say the same in fewer words.
  const logs = model.events.filter((e) => e.kind === 'log').length
  lines.push(`${bold('recent events')}${logs > 0 ? dim(`  (${logs} node log line${logs === 1 ? '' : 's'} not shown: --no-ui prints them)`) : ''}`)
  const recent = model.events.filter((e) => e.kind !== 'stats' && e.kind !== 'log').slice(-(opts.events ?? 12))
  for (const e of recent) lines.push(`  ${dim(model.elapsed(e.at).padStart(8))}  ${pad(e.kind, 9)} ${e.text}`)
  return lines.map((l) => fit(l, opts.width))
}

/** Redraws the model's frame in place on a terminal. */
export class Screen {
  readonly #out: NodeJS.WriteStream
  readonly #model: DemoModel
  readonly #color: boolean
  #timer: NodeJS.Timeout | undefined
  #open = false

  constructor (model: DemoModel, out: NodeJS.WriteStream = process.stdout) {
    this.#model = model
    this.#out = out
    this.#color = process.env.NO_COLOR === undefined
  }

  /** Clears the screen, hides the cursor and starts redrawing every `everyMs`. */
  start (everyMs = 250): void {
    if (this.#open) return
    this.#open = true
    this.#out.write(`${ESC}?25l${ESC}2J${ESC}H`)
    this.draw()
    this.#timer = setInterval(() => { this.draw() }, everyMs)
  }

  draw (): void {
    if (!this.#open) return
    const width = this.#out.columns ?? 120
    const rows = this.#out.rows ?? 40
    const events = Math.max(3, rows - 22 - this.#model.steps.length - 1)
    const lines = render(this.#model, { width, color: this.#color, events })
    this.#out.write(`${ESC}H` + lines.map((l) => `${l}${ESC}K`).join('\n') + `\n${ESC}J`)
  }

  /** Draws a last frame, stops redrawing and shows the cursor again; safe twice. */
  close (): void {
    if (!this.#open) return
    this.draw()
    this.#open = false
    clearInterval(this.#timer)
    this.#out.write(`${ESC}?25h`)
  }
}
