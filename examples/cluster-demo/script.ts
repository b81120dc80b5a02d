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
 * Steps 3 to 5 repeat `cycles` times (0: until interrupted), picking the
 * non-leader nodes in turn.
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
  signal: AbortSignal
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

export async function runScript (model: DemoModel, ctl: Controller, opts: ScriptOptions): Promise<void> {
  const { signal } = opts
  const names = model.names
  const list = (xs: string[]): string => xs.map(short).join(', ')

  // 1. start
  model.phase = 'starting the nodes'
  const startMark = model.mark
  for (const name of names) ctl.spawn(name)
  if (!await until(model, signal, 60_000, 'every node to start', () => {
    failIfExited(model, names)
    const notYet = names.filter((n) => model.since(startMark, by('app', (e) => e.data.node === n)).length === 0)
    return notYet.length === 0 || `not started yet: ${list(notYet)}`
  })) return

  // 2. the cluster forms
  model.phase = 'waiting for the cluster to form (static discovery: every node has every node as a seed)'
  if (!await until(model, signal, 40_000, 'the cluster to form', () => model.formed() || `views: ${model.fresh().map((s) => `${short(s.node)} sees ${s.status.members.filter((m) => m.status === 'up').length}/${s.status.members.length} up`).join('; ')}`)) return
  model.add('cluster', `formed: ${names.join(', ')}, all up; leader ${model.leader() ?? '?'} (the oldest member)`, undefined, { leader: model.leader(), members: names })

  const nonLeaders = (): string[] => {
    const leader = model.leader()
    // Youngest first: members are listed oldest first.
    return model.members().map((m) => m.node).filter((n) => n !== leader).reverse()
  }

  for (let cycle = 1; opts.cycles === 0 || cycle <= opts.cycles; cycle++) {
    // 3. the example runs
    const runStart = Date.now()
    const runMark = model.mark
    model.phase = `cycle ${cycle}: jobs and locks for at least ${Math.round(opts.runMs / 1000)} s, then kill -9 a node`
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
    })) return
    model.add('check', `every node's worker ran jobs for the others; a leader lock and a quorum lock were taken${cycle === 1 ? '; a worker crashed by a poison job was restarted by jobs_sup' : ''}`)

    // 4. kill -9 a node that is not the leader
    const candidates = nonLeaders()
    if (candidates.length === 0) throw new ScriptStepError('no node to kill: every member is the leader?')
    const victim = candidates[(cycle - 1) % candidates.length]
    const others = names.filter((n) => n !== victim)
    const killMark = model.mark
    model.phase = `cycle ${cycle}: killed ${victim}; waiting for the others to notice`
    const pid = ctl.kill(victim)
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
    })) return
    const downs = model.since(killMark, by('monitor', (e) => e.data.worker === victim && e.data.reason === 'noconnection')).length
    model.add('check', `${victim} is down for everyone: nodedown on ${list(others)}, ${downs} monitor${downs === 1 ? '' : 's'} fired with noconnection`)

    // 5. restart it; it rejoins
    model.phase = `cycle ${cycle}: ${victim} is down; restarting it in ${Math.round(opts.downMs / 1000)} s`
    await pause(opts.downMs, signal)
    if (signal.aborted) return
    const restartMark = model.mark
    const before = model.entry(victim).creation
    const proc = ctl.spawn(victim)
    model.add('restart', `${victim} (pid ${proc.pid}), same data dir: it remembers its cluster and goes back to it`, undefined, { node: victim, pid: proc.pid })
    model.phase = `cycle ${cycle}: restarted ${victim}; waiting for it to rejoin`
    if (!await until(model, signal, 60_000, `${victim} to start again`, () => {
      failIfExited(model, [victim])
      return model.since(restartMark, by('app', (e) => e.data.node === victim)).length > 0 || 'not started yet'
    })) return
    if (!await until(model, signal, 40_000, `${victim} to rejoin`, () => {
      const e = model.entry(victim)
      if (e.stats === undefined) return 'no stats from it yet'
      return model.formed() || `views: ${model.fresh().map((s) => `${short(s.node)} sees ${s.status.members.filter((m) => m.status === 'up').length}/${s.status.members.length} up`).join('; ')}`
    })) return
    const creation = model.entry(victim).creation
    model.add('rejoined', `${victim} is a member again as a new incarnation (creation ${String(before)} -> ${String(creation)}); ${names.length} members all up; leader ${model.leader() ?? '?'}`, undefined, { node: victim, creation })
    const base = new Map(model.fresh().filter((s) => s.node !== victim).map((s) => [s.node, s.jobs.byWorker[victim] ?? 0]))
    if (!await until(model, signal, 20_000, `${victim}'s worker to take jobs again`, () => {
      const mine = model.entry(victim).stats
      const forOthers = model.fresh().filter((s) => s.node !== victim && (s.jobs.byWorker[victim] ?? 0) > (base.get(s.node) ?? 0)).map((s) => s.node)
      return (mine !== undefined && mine.jobs.worked > 0 && forOthers.length > 0) || 'not yet'
    })) return
    const forOthers = model.fresh().filter((s) => s.node !== victim && (s.jobs.byWorker[victim] ?? 0) > (base.get(s.node) ?? 0)).map((s) => s.node)
    model.add('job', `${short(victim)}'s new worker runs jobs again, for ${list(forOthers)}`, undefined, { node: victim })
  }
  model.phase = 'done'
}
