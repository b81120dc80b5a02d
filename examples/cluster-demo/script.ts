/**
 * What the demo does, step by step; each step waits for what it must see
 * (with a deadline, so a step that never comes fails the run with a line
 * saying what was missing, instead of hanging):
 *
 * 1. start every node; wait until each listens and runs its app;
 * 2. wait until the cluster is one: every node sees every node up, the
 *    same leader, no partition;
 * 3. let the example run (`runMs` at least) until every node's worker has
 *    answered jobs, a leader lock and a quorum lock have been taken, and
 *    (first cycle) a worker crashed by a poison job was restarted by its
 *    supervisor;
 * 4. kill -9 a node that is not the leader; wait until its exit is seen,
 *    every other node reported the nodedown, a producer's monitor and the
 *    controller's monitor fired with `noconnection`;
 * 5. after `downMs`, restart it with the same data dir; wait until it
 *    listens, runs its app, and the cluster is one again with it as a new
 *    incarnation; then until its new worker runs jobs for the others.
 *
 * 6. cut the cluster in two (partition.ts: iptables DROP rules, or each
 *    node's link fault injector): the youngest non-leader nodes (a
 *    minority) from the rest; wait until each side sees the other down
 *    (both views are printed) and jobs go on on both sides; hold the cut
 *    `cutMs`;
 * 7. take the cut away: the nodes find each other again with the same
 *    incarnations, each side records the partition, and the leader's
 *    autoheal decides (its `heal.decision`, with the views it decided
 *    from); wait until the minority was rebooted and the cluster is one
 *    again;
 * 8. wait until jobs run through the rebooted nodes again and a leader and
 *    a quorum lock were taken after the heal.
 *
 * Steps 3 to 8 repeat `cycles` times (0: until interrupted), picking the
 * non-leader nodes in turn. Each step is a phase of the model (its
 * progress line in the view, a `phase` line with --no-ui).
 */
import { ScriptStepError } from '../lib/errors.js'
import { pause } from '../lib/launcher.js'
import type { Controller } from './controller.js'
import type { DemoLogEvent, DemoModel } from './model.js'
import { short } from './protocol.js'

export interface ScriptOptions {
  /** Kill/restart cycles; 0: until `signal`. */
  cycles: number
  /** How long the example runs at least before a kill. */
  runMs: number
  /** How long the killed node stays down. */
  downMs: number
  /** How long the cluster stays cut once both sides see the other down. */
  cutMs: number
  signal: AbortSignal
}

/** The script's phases, in order (the view shows a progress line for each). */
export const PHASES = {
  start: 'start the nodes',
  form: 'form the cluster',
  run: 'jobs and locks run',
  kill: 'kill -9 a node that is not the leader',
  restart: 'restart it; it rejoins',
  cut: 'cut the cluster in two',
  heal: 'heal the network; autoheal decides',
  healed: 'one cluster again; jobs and locks go on',
  stop: 'stop every node'
} as const

/** What a run did, for the summary line. */
export interface ScriptSummary {
  cycles: number
  kills: number
  partitions: number
  /** Each autoheal that ended a partition: its id, who was rebooted, who coordinated. */
  heals: Array<{ id: string, victims: string[], coordinator: string }>
}

export { ScriptStepError } from '../lib/errors.js'

/**
 * Resolves once `check` returns true (checked on every model change and
 * every 200 ms). `check` may return a string: what is still missing, used
 * in the error when `timeoutMs` passes; it may throw to fail the step at
 * once. Resolves early (false) on abort.
 */
async function until (model: DemoModel, signal: AbortSignal, timeoutMs: number, what: string, check: () => boolean | string): Promise<boolean> {
  if (signal.aborted) return false
  const first = check()
  if (first === true) return true
  return await new Promise<boolean>((resolve, reject) => {
    let missing = typeof first === 'string' ? first : ''
    const done = (): void => {
      clearTimeout(deadline)
      clearInterval(poll)
      model.off('change', test)
      signal.removeEventListener('abort', onAbort)
    }
    const test = (): void => {
      let r: boolean | string
      try {
        r = check()
      } catch (err) {
        done()
        reject(err instanceof Error ? err : new Error(String(err)))
        return
      }
      if (r === true) { done(); resolve(true) } else if (typeof r === 'string') missing = r
    }
    const onAbort = (): void => { done(); resolve(false) }
    const deadline = setTimeout(() => {
      done()
      reject(new ScriptStepError(`${what}: not within ${timeoutMs / 1000} s${missing !== '' ? ` (${missing})` : ''}`))
    }, timeoutMs)
    const poll = setInterval(test, 200)
    model.on('change', test)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

/** Throws when a node that should be starting has exited instead (a taken port, a bad setting): no point waiting. */
function failIfExited (model: DemoModel, names: readonly string[]): void {
  for (const n of names) {
    const e = model.entry(n)
    if (e.state === 'exited' && e.proc !== undefined) {
      const tail = e.proc.output().split('\n').slice(-5).join(' | ')
      throw new ScriptStepError(`${n} exited while starting (${e.proc.exitInfo?.signal ?? `code ${String(e.proc.exitInfo?.code)}`}): ${tail}`)
    }
  }
}

const by = (kind: string, pred: (e: DemoLogEvent) => boolean = () => true) => (e: DemoLogEvent): boolean => e.kind === kind && pred(e)

export async function runScript (model: DemoModel, ctl: Controller, opts: ScriptOptions, summary: ScriptSummary = { cycles: 0, kills: 0, partitions: 0, heals: [] }): Promise<ScriptSummary> {
  const { signal } = opts
  const names = model.names
  const list = (xs: readonly string[]): string => xs.map(short).join(', ')
  model.plan(Object.values(PHASES))

  // 1. start
  model.begin(PHASES.start, 'starting the nodes')
  const startMark = model.mark
  for (const name of names) ctl.spawn(name)
  if (!await until(model, signal, 60_000, 'every node to start', () => {
    failIfExited(model, names)
    const notYet = names.filter((n) => model.since(startMark, by('app', (e) => e.data.node === n)).length === 0)
    return notYet.length === 0 || `not started yet: ${list(notYet)}`
  })) return summary

  // 2. the cluster forms
  model.begin(PHASES.form, 'waiting for the cluster to form (static discovery: every node has every node as a seed)')
  if (!await until(model, signal, 40_000, 'the cluster to form', () => model.formed() || `views: ${views()}`)) return summary
  model.add('cluster', `formed: ${names.join(', ')}, all up; leader ${model.leader() ?? '?'} (the oldest member)`, undefined, { leader: model.leader(), members: names })

  const nonLeaders = (): string[] => {
    const leader = model.leader()
    // Youngest first: members are listed oldest first.
    return model.members().map((m) => m.node).filter((n) => n !== leader).reverse()
  }

  for (let cycle = 1; opts.cycles === 0 || cycle <= opts.cycles; cycle++) {
    summary.cycles = cycle
    // A new cycle: its phases are pending again.
    if (cycle > 1) model.plan(Object.values(PHASES), [PHASES.start, PHASES.form])
    // 3. the example runs
    const runStart = Date.now()
    const runMark = model.mark
    model.begin(PHASES.run, `cycle ${cycle}: jobs and locks for at least ${Math.round(opts.runMs / 1000)} s, then kill -9 a node`)
    if (!await until(model, signal, opts.runMs + 40_000, 'jobs on every node, a leader and a quorum lock', () => {
      const missing: string[] = []
      const workers = new Set(model.fresh().flatMap((s) => Object.keys(s.jobs.byWorker)))
      const idle = names.filter((n) => !workers.has(n))
      if (idle.length > 0) missing.push(`no job results from ${list(idle)}`)
      for (const type of ['leader', 'quorum']) {
        if (model.since(runMark, by('lock', (e) => e.data.action === 'taken' && e.data.type === type)).length === 0) missing.push(`no ${type} lock taken`)
      }
      if (cycle === 1 && model.since(0, by('worker')).length === 0) missing.push('no worker restarted by its supervisor yet')
      if (Date.now() - runStart < opts.runMs) missing.push('running')
      return missing.length === 0 || missing.join('; ')
    })) return summary
    model.add('check', `every node's worker ran jobs for the others; a leader lock and a quorum lock were taken${cycle === 1 ? '; a worker crashed by a poison job was restarted by jobs_sup' : ''}`)

    // 4. kill -9 a node that is not the leader
    const candidates = nonLeaders()
    if (candidates.length === 0) throw new ScriptStepError('no node to kill: every member is the leader?')
    const victim = candidates[(cycle - 1) % candidates.length]
    const others = names.filter((n) => n !== victim)
    const killMark = model.mark
    model.begin(PHASES.kill, `cycle ${cycle}: killed ${victim}; waiting for the others to notice`)
    const pid = ctl.kill(victim)
    summary.kills++
    model.add('kill', `kill -9 ${victim} (pid ${String(pid)}), not the leader`, undefined, { node: victim, pid })
    if (!await until(model, signal, 20_000, `everyone to notice that ${victim} is gone`, () => {
      const missing: string[] = []
      if (model.since(killMark, by('exit', (e) => e.data.node === victim)).length === 0) missing.push('its exit')
      const saw = new Set(model.since(killMark, by('nodedown', (e) => e.data.peer === victim)).map((e) => e.node))
      const blind = others.filter((n) => !saw.has(n))
      if (blind.length > 0) missing.push(`nodedown from ${list(blind)}`)
      const downs = model.since(killMark, by('monitor', (e) => e.data.worker === victim && e.data.reason === 'noconnection'))
      if (!downs.some((e) => e.data.by === 'producer')) missing.push('a jobs_producer monitor DOWN')
      if (!downs.some((e) => e.data.by === 'controller')) missing.push("the controller's monitor DOWN")
      return missing.length === 0 || `missing ${missing.join(', ')}`
    })) return summary
    const downs = model.since(killMark, by('monitor', (e) => e.data.worker === victim && e.data.reason === 'noconnection')).length
    model.add('check', `${victim} is down for everyone: nodedown on ${list(others)}, ${downs} monitor${downs === 1 ? '' : 's'} fired with noconnection`)

    // 5. restart it; it rejoins
    model.begin(PHASES.restart, `cycle ${cycle}: ${victim} is down; restarting it in ${Math.round(opts.downMs / 1000)} s`)
    await pause(opts.downMs, signal)
    if (signal.aborted) return summary
    const restartMark = model.mark
    const before = model.entry(victim).creation
    const proc = ctl.spawn(victim)
    model.add('restart', `${victim} (pid ${proc.pid}), same data dir: it remembers its cluster and goes back to it`, undefined, { node: victim, pid: proc.pid })
    model.phase = `cycle ${cycle}: restarted ${victim}; waiting for it to rejoin`
    if (!await until(model, signal, 60_000, `${victim} to start again`, () => {
      failIfExited(model, [victim])
      return model.since(restartMark, by('app', (e) => e.data.node === victim)).length > 0 || 'not started yet'
    })) return summary
    if (!await until(model, signal, 40_000, `${victim} to rejoin`, () => {
      const e = model.entry(victim)
      if (e.stats === undefined) return 'no stats from it yet'
      return model.formed() || `views: ${views()}`
    })) return summary
    const creation = model.entry(victim).creation
    model.add('rejoined', `${victim} is a member again as a new incarnation (creation ${String(before)} -> ${String(creation)}); ${names.length} members all up; leader ${model.leader() ?? '?'}`, undefined, { node: victim, creation })
    const base = new Map(model.fresh().filter((s) => s.node !== victim).map((s) => [s.node, s.jobs.byWorker[victim] ?? 0]))
    if (!await until(model, signal, 20_000, `${victim}'s worker to take jobs again`, () => {
      const mine = model.entry(victim).stats
      const forOthers = model.fresh().filter((s) => s.node !== victim && (s.jobs.byWorker[victim] ?? 0) > (base.get(s.node) ?? 0)).map((s) => s.node)
      return (mine !== undefined && mine.jobs.worked > 0 && forOthers.length > 0) || 'not yet'
    })) return summary
    const forOthers = model.fresh().filter((s) => s.node !== victim && (s.jobs.byWorker[victim] ?? 0) > (base.get(s.node) ?? 0)).map((s) => s.node)
    model.add('job', `${short(victim)}'s new worker runs jobs again, for ${list(forOthers)}`, undefined, { node: victim })

    if (!await partitionAndHeal(model, ctl, opts, cycle, summary)) return summary
  }
  model.finish()
  model.phase = 'done'
  return summary

  function views (): string {
    return model.fresh().map((s) => `${short(s.node)} sees ${s.status.members.filter((m) => m.status === 'up').length}/${s.status.members.length} up`).join('; ')
  }
}

/** How `node` sees the cluster, in a line: each member up or down, its leader and coordinator, its partitions. */
function viewOf (model: DemoModel, node: string): string {
  const s = model.entry(node).stats
  if (s === undefined) return `${short(node)}: no view yet`
  const members = s.status.members.map((m) => `${short(m.node)} ${m.status}`).join(', ')
  return `${short(node)} sees ${members}; leader ${short(s.status.leader ?? '-')}, coordinator ${short(s.status.coordinator ?? '-')}${s.status.partitions.length > 0 ? `; partitioned from ${s.status.partitions.map(short).join(', ')}` : ''}`
}

/** Steps 6 to 8: cut, both views, heal, autoheal's decision, one cluster again, jobs and locks after it. False when interrupted. */
async function partitionAndHeal (model: DemoModel, ctl: Controller, opts: ScriptOptions, cycle: number, summary: ScriptSummary): Promise<boolean> {
  const { signal } = opts
  const names = model.names
  const list = (xs: readonly string[]): string => xs.map(short).join(', ')

  // 6. cut: the youngest non-leaders (a minority) from the rest, so the leader stays on the majority side.
  const leader = model.leader()
  const youngest = model.members().map((m) => m.node).filter((n) => n !== leader).reverse()
  const minority = youngest.slice(0, Math.max(1, Math.floor((names.length - 1) / 2)))
  const majority = names.filter((n) => !minority.includes(n))
  const sides = [majority, minority]
  model.begin(PHASES.cut, `cycle ${cycle}: cutting ${list(majority)} off from ${list(minority)}; waiting for each side to see the other down`)
  const cut = await ctl.cut(majority, minority)
  summary.partitions++
  model.add('partition', `cut ${list(majority)} | ${list(minority)}: ${cut.text}`, undefined, { majority, minority, mode: cut.mode })
  const doneAt = (): Map<string, number> => new Map(model.fresh().map((s) => [s.node, s.jobs.done]))
  // A node that dies while the cluster is cut fails the run at once (the cut is removed on the way out).
  const noneExited = (): void => {
    for (const n of names) {
      const e = model.entry(n)
      if (e.state === 'exited') throw new ScriptStepError(`${n} exited while the cluster was cut (${e.proc?.exitInfo?.signal ?? `code ${String(e.proc?.exitInfo?.code)}`})`)
    }
  }
  if (!await until(model, signal, 30_000, 'each side to see the other down', () => {
    noneExited()
    const missing: string[] = []
    for (const [i, side] of sides.entries()) {
      const other = sides[1 - i]
      for (const n of side) {
        const s = model.entry(n).stats
        if (s === undefined || model.fresh().every((f) => f.node !== n)) { missing.push(`no view from ${short(n)}`); continue }
        const seen = new Map(s.status.members.map((m) => [m.node, m.status]))
        const wrong = other.filter((o) => seen.get(o) === 'up')
        if (wrong.length > 0) missing.push(`${short(n)} still sees ${list(wrong)} up`)
      }
    }
    return missing.length === 0 || missing.join('; ')
  })) return false
  for (const side of sides) model.add('view', `${side.length === 1 ? 'one side' : 'side'} ${list(side)}: ${viewOf(model, side[0])}`, undefined, { side })
  // Jobs go on, on both sides, each within its own.
  const before = doneAt()
  if (!await until(model, signal, 20_000, 'jobs to go on on both sides of the cut', () => {
    noneExited()
    const now = doneAt()
    const stuck = names.filter((n) => (now.get(n) ?? 0) <= (before.get(n) ?? Infinity))
    return stuck.length === 0 || `no new job results on ${list(stuck)}`
  })) return false
  model.add('check', `both sides go on: jobs on ${list(majority)} and on ${list(minority)}, each side within its own; links between them died of their ticks`)
  model.phase = `cycle ${cycle}: the cluster is cut; removing the cut in ${Math.round(opts.cutMs / 1000)} s`
  await pause(opts.cutMs, signal)
  if (signal.aborted) return false

  // 7. heal: the nodes meet again with the same incarnations; the leader's autoheal decides.
  model.begin(PHASES.heal, `cycle ${cycle}: cut removed; waiting for the partition to be recorded and the leader's autoheal decision`)
  await ctl.healCut()
  const healMark = model.mark
  model.add('partition', `cut removed (${cut.mode}): the two sides can reach each other again`, undefined, { mode: cut.mode })
  let decision: DemoLogEvent | undefined
  if (!await until(model, signal, 60_000, 'autoheal to decide', () => {
    decision = model.since(healMark, by('decision', (e) => e.data.decision === 'heal'))[0]
    if (decision !== undefined) return true
    const recorded = model.since(healMark, by('partition', (e) => e.data.event === 'occurred')).map((e) => short(e.node ?? '?'))
    return recorded.length === 0 ? 'no partition recorded yet' : `partition recorded on ${[...new Set(recorded)].join(', ')}; no heal decision yet`
  })) return false
  const victims = (decision?.data.victims ?? []) as string[]
  const coordinator = String(decision?.data.coordinator ?? '?')
  model.phase = `cycle ${cycle}: autoheal reboots ${list(victims)} (coordinator ${short(coordinator)}); waiting for one cluster`
  if (!await until(model, signal, 60_000, 'the cluster to be one again after the heal', () => {
    const missing: string[] = []
    const rebooted = new Set(model.since(healMark, by('heal', (e) => e.data.phase === 'rebooted')).map((e) => e.node))
    const notYet = victims.filter((v) => !rebooted.has(v))
    if (notYet.length > 0) missing.push(`not rebooted yet: ${list(notYet)}`)
    if (!model.formed()) missing.push(`views: ${model.fresh().map((s) => `${short(s.node)} sees ${s.status.members.filter((m) => m.status === 'up').length}/${s.status.members.length} up, ${s.status.partitions.length} partitions`).join('; ')}`)
    return missing.length === 0 || missing.join('; ')
  })) return false
  summary.heals.push({ id: String(decision?.data.id ?? '?'), victims, coordinator })
  model.add('healed', `one cluster again: ${names.map((n) => `${n} up`).join(', ')}; leader ${model.leader() ?? '?'}; partitions none (autoheal rebooted ${list(victims)}, coordinated by ${short(coordinator)})`, undefined, { members: names, leader: model.leader(), victims })

  // 8. jobs and locks go on in the healed cluster.
  model.begin(PHASES.healed, `cycle ${cycle}: healed; waiting for jobs through ${list(victims)} and a leader and a quorum lock`)
  const afterMark = model.mark
  const base = new Map(model.fresh().map((s) => [s.node, { ...s.jobs.byWorker }]))
  if (!await until(model, signal, 30_000, 'jobs and locks after the heal', () => {
    const missing: string[] = []
    for (const v of victims) {
      const served = model.fresh().some((s) => s.node !== v && (s.jobs.byWorker[v] ?? 0) > (base.get(s.node)?.[v] ?? 0))
      if (!served) missing.push(`no job for the others through ${short(v)} yet`)
    }
    for (const type of ['leader', 'quorum']) {
      if (model.since(afterMark, by('lock', (e) => e.data.action === 'taken' && e.data.type === type)).length === 0) missing.push(`no ${type} lock taken yet`)
    }
    return missing.length === 0 || missing.join('; ')
  })) return false
  model.add('check', `after the heal: jobs run through ${list(victims)} for the others again; a leader and a quorum lock were taken`)
  return true
}
