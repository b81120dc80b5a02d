/**
 * The cluster demo as a user runs it: the compiled controller as a child
 * process, starting three real `tekka` node processes.
 *
 * - `--no-ui`: the whole script in one run, checked line by line: three
 *   nodes up, one cluster with a leader, job results from every node's
 *   worker, a leader and a quorum lock taken, a worker restarted by its
 *   supervisor, the kill -9 of a node that is not the leader, the nodedown
 *   on every other node, a producer's and the controller's monitors firing
 *   with noconnection, the restart and the rejoin, exit code 0, and none of
 *   the node processes it started left (checked by pid).
 * - `--ui` (the terminal view, forced on a pipe): frames redrawn in place
 *   with ANSI escapes show the three nodes up; SIGINT stops everything,
 *   shows the cursor again and exits 0, with no node left.
 * - the controller killed with SIGKILL (it can clean up nothing): its nodes
 *   notice that their stdin closed and exit by themselves.
 * - a node that cannot start (its port taken): an error line, the others
 *   stopped, exit 1; bad options: exit 2 with the usage.
 * - in-process: the checks on what nodes send, and the model's view; the
 *   lines a node makes of its event stream's events (node-events.ts), for
 *   events published on a real EventStream.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createServer, type Server } from 'node:net'
import { fileURLToPath } from 'node:url'
import { EventStream, Pid, SimulatedClock, type TekkaEvent } from '@tekka/actors'
import { DemoModel } from '../cluster-demo/model.js'
import { demoLine, type DemoLine } from '../cluster-demo/node-events.js'
import { messageProblem, type DemoStats } from '../cluster-demo/protocol.js'
import { pidAlive as alive } from '@tekka/testing/procs'
import { killAtExit } from '@tekka/testing/exit-hooks'
import * as ports from '@tekka/testing/ports'
import * as procs from '@tekka/testing/procs'
import type { ExitInfo, NodeProcess } from '@tekka/testing/procs'
import { eventually, sleep, withTimeout } from '@tekka/testing/wait'

const MAIN = fileURLToPath(new URL('../cluster-demo/main.js', import.meta.url))
const NODE = /^\+[\d.]+s\s+node-up\s+(demo\d@127\.0\.0\.5\d) pid (\d+) listening on/
const NAMES = ['demo1@127.0.0.51', 'demo2@127.0.0.52', 'demo3@127.0.0.53']

/** Every pid of a node any test here saw: killed at exit whatever happens. */
const nodePids: number[] = []
killAtExit(nodePids)

function startDemo (args: string[], env: NodeJS.ProcessEnv = {}): NodeProcess {
  const demo = procs.spawnNode({ entry: MAIN, args, name: 'cluster-demo', env: { NO_COLOR: '1', ...env } })
  // Every node it prints is killed at exit, whatever happens.
  demo.child.stdout?.on('data', () => {
    for (const l of demo.output('stdout').split('\n')) {
      const m = NODE.exec(l)
      if (m !== null && !nodePids.includes(Number(m[2]))) nodePids.push(Number(m[2]))
    }
  })
  return demo
}

async function exitWithin (p: NodeProcess, ms: number): Promise<ExitInfo> {
  try {
    return await withTimeout(p.exited, ms, 'the demo to exit')
  } catch (err) {
    assert.unreachable(`${(err as Error).message}\n${p.output()}`)
    throw err
  }
}

/** Index of the first line matching `re` at or after `from`; fails with the output when there is none. */
function find (lines: string[], re: RegExp, what: string, from = 0): number {
  const i = lines.findIndex((l, k) => k >= from && re.test(l))
  assert.ok(i >= 0, `${what}: no line matches ${re}${from > 0 ? ` after line ${from}` : ''}\n--- output ---\n${lines.join('\n')}`)
  return i
}

/** Waits up to `ms` for every pid to be gone; fails naming those still alive. */
async function gone (pids: number[], ms: number, what = 'node processes left'): Promise<void> {
  await eventually(() => { assert.equal(pids.filter(alive), [], what) }, { timeout: ms, interval: 100, message: what })
}

/**
 * The partition part of a run's lines, checked in order: the cut (said how),
 * each side's view with the other side down, jobs going on, the cut
 * removed, the partition recorded, the leader's autoheal decision with its
 * inputs (every node's view) rebooting the minority, the healed membership,
 * jobs and locks after it, the summary. Returns the line of the summary.
 */
function checkPartition (lines: string[], mode: 'iptables' | 'inject', leader: string, from: number): number {
  const how = mode === 'iptables' ? 'iptables DROP rules between' : "each node's link fault injector drops its links"
  const cut = find(lines, new RegExp(`^\\+[\\d.]+s\\s+partition cut (demo\\d(?:, demo\\d)*) \\| (demo\\d(?:, demo\\d)*): ${how}`), `the cut (${mode})`, from)
  const [, majorityText, minorityText] = /cut (\S.*?) \| (\S.*?):/.exec(lines[cut])!
  const majority = majorityText.split(', ')
  const minority = minorityText.split(', ')
  assert.is(majority.length + minority.length, 3, lines[cut])
  assert.ok(majority.length > minority.length, `the minority is cut off: ${lines[cut]}`)
  const l = leader.replace(/@.*/, '')
  assert.ok(majority.includes(l), `the leader stays on the majority side: ${lines[cut]}`)
  // Both sides' views: each side sees the other down.
  for (const [side, other] of [[majority, minority], [minority, majority]]) {
    const v = find(lines, new RegExp(`^\\+[\\d.]+s\\s+view\\s+(?:one side|side) ${side.join(', ')}: ${side[0]} sees `), `the view of ${side.join(', ')}`, cut)
    for (const o of other) assert.match(lines[v], new RegExp(`${o} down`), `${side[0]} sees ${o} down`)
    for (const n of side) assert.match(lines[v], new RegExp(`${n} up`), `${side[0]} sees ${n} up`)
  }
  for (const m of minority) find(lines, new RegExp(`^\\+[\\d.]+s\\s+nodedown\\s+demo\\d: saw ${m} go down: net_tick_timeout`), `the link to ${m} ticks out`, cut)
  const goOn = find(lines, /^\+[\d.]+s\s+check\s+both sides go on: jobs on /, 'jobs on both sides', cut)
  const removed = find(lines, new RegExp(`^\\+[\\d.]+s\\s+partition cut removed \\(${mode}\\)`), 'the cut removed', goOn)
  find(lines, new RegExp(`^\\+[\\d.]+s\\s+partition demo\\d: partition with (?:${minority.join('|')}) recorded: it came back with the same incarnation`), 'the partition recorded', removed)
  const decision = find(lines, /^\+[\d.]+s\s+decision\s+demo\d: autoheal \S+: heal\. Inputs: /, 'the heal decision with its inputs', removed)
  const d = lines[decision]
  assert.match(d, new RegExp(`decision\\s+${l}: `), 'the leader decides')
  for (const n of [...majority, ...minority]) assert.match(d, new RegExp(`Inputs: .*${n} runs with `), `the decision's inputs include ${n}'s view`)
  // Survivors are listed oldest first, the cut's sides by name: compared as sets.
  const decided = /Decision: survivors (\S.*?) \(the majority side\); reboot (\S.*?); coordinator (\S+); split view /.exec(d)
  assert.ok(decided !== null, d)
  const sorted = (names: string): string[] => names.split(', ').sort()
  assert.equal([sorted(decided[1]), sorted(decided[2]), decided[3]], [[...majority].sort(), [...minority].sort(), l], d)
  for (const m of minority) find(lines, new RegExp(`^\\+[\\d.]+s\\s+heal\\s+${m}: rebooted by \\S+: rejoined ${l}'s cluster and started its applications again`), `${m} rebooted`, decision)
  const healed = find(lines, new RegExp(`^\\+[\\d.]+s\\s+healed\\s+one cluster again: ${NAMES.map((n) => `${n.replace(/\./g, '\\.')} up`).join(', ')}; leader ${leader.replace(/\./g, '\\.')}; partitions none \\(autoheal rebooted ${minority.join(', ')}`), 'the healed membership', decision)
  const after = find(lines, new RegExp(`^\\+[\\d.]+s\\s+check\\s+after the heal: jobs run through ${minority.join(', ')} for the others again; a leader and a quorum lock were taken`), 'jobs and locks after the heal', healed)
  return find(lines, new RegExp(`^\\+[\\d.]+s\\s+summary\\s+1 cycle: 1 kill -9 and restart, 1 partition \\(${mode}\\), 1 healed by autoheal \\(\\S+ rebooted ${minority.join(', ')} \\(coordinator ${l}\\)\\); \\d+ leader and \\d+ quorum locks taken; \\d+ job results`), 'the summary', after)
}

test('--no-ui runs the whole script: cluster, jobs, locks, kill -9, monitors, restart, rejoin, a partition healed by autoheal; exit 0, no process left', async () => {
  const base = await ports.freePortRange(4)
  const demo = startDemo(['--no-ui', '--base-port', String(base)])
  const exit = await exitWithin(demo, 120_000)
  const out = demo.output('stdout')
  const lines = out.split('\n')
  assert.is(exit.code, 0, `exit code\n${demo.output()}`)
  assert.not.ok(lines.some((l) => /^\+[\d.]+s\s+error /.test(l)), `an error line\n${out}`)

  // Three nodes up, then a fourth start: the restart.
  const ups = lines.map((l) => NODE.exec(l)).filter((m): m is RegExpExecArray => m !== null)
  assert.equal([...new Set(ups.slice(0, 3).map((m) => m[1]))].sort(), NAMES, out)
  // How partitions are made here is said before anything starts: iptables as root, else the injector, with why.
  const how = find(lines, /^\+[\d.]+s\s+partition partitions by (iptables DROP rules|an in-process link-drop fault injector)/, 'how partitions are made')
  const mode = lines[how].includes('iptables DROP') ? 'iptables' : 'inject'
  if (process.getuid?.() !== 0) assert.is(mode, 'inject', `not root: the injector\n${lines[how]}`)
  assert.is(ups.length, 4, `three starts and one restart\n${out}`)
  const pids = ups.map((m) => Number(m[2]))

  const formed = find(lines, /^\+[\d.]+s\s+cluster\s+formed: .*all up; leader (demo\d@127\.0\.0\.5\d)/, 'one cluster with a leader')
  const leader = /leader (demo\d@127\.0\.0\.5\d)/.exec(lines[formed])![1]
  for (const n of ['demo1', 'demo2', 'demo3']) find(lines, new RegExp(`^\\+[\\d.]+s\\s+job\\s+demo\\d: first result from ${n}'s worker`), `a job result from ${n}'s worker`)
  find(lines, /^\+[\d.]+s\s+lock\s+demo\d: leader lock demo\/leader-task taken by <.+>, in the leader (demo\d)'s table; token \d+/, 'a leader lock')
  find(lines, /^\+[\d.]+s\s+lock\s+demo\d: quorum lock demo\/quorum-task taken by <.+>, granted by demo\d and demo\d .*; token \d+/, 'a quorum lock')
  find(lines, /^\+[\d.]+s\s+worker\s+demo\d: worker "jobs" crashed \(poison job .*\); jobs_sup restarted it/, 'a supervised restart')

  const killed = find(lines, /^\+[\d.]+s\s+kill\s+kill -9 (demo\d@127\.0\.0\.5\d) \(pid (\d+)\)/, 'the kill', formed)
  const [, victim, victimPid] = /kill -9 (\S+) \(pid (\d+)\)/.exec(lines[killed])!
  assert.is.not(victim, leader, 'the leader is not the one killed')
  assert.ok(pids.includes(Number(victimPid)), 'the killed pid is one of the nodes')
  const v = victim.replace(/@.*/, '')
  find(lines, new RegExp(`^\\+[\\d.]+s\\s+exit\\s+${victim} \\(pid ${victimPid}\\) killed by SIGKILL`), 'the killed process exits', killed)
  for (const other of ['demo1', 'demo2', 'demo3'].filter((n) => n !== v)) {
    find(lines, new RegExp(`^\\+[\\d.]+s\\s+nodedown\\s+${other}: saw ${v} go down: connection_closed`), `${other} sees the nodedown`, killed)
  }
  find(lines, new RegExp(`^\\+[\\d.]+s\\s+monitor\\s+demo\\d: DOWN from \\{jobs, ${v}\\}: noconnection \\(jobs_producer's monitor`), "a producer's monitor fires", killed)
  find(lines, new RegExp(`^\\+[\\d.]+s\\s+monitor\\s+controller: DOWN from \\{jobs, ${v}\\}: noconnection`), "the controller's monitor fires", killed)

  const restarted = find(lines, new RegExp(`^\\+[\\d.]+s\\s+restart\\s+${victim} \\(pid (\\d+)\\)`), 'the restart', killed)
  find(lines, new RegExp(`^\\+[\\d.]+s\\s+node-up\\s+${victim} pid \\d+`), 'the restarted node is up', restarted)
  const rejoined = find(lines, new RegExp(`^\\+[\\d.]+s\\s+rejoined\\s+${victim} is a member again as a new incarnation .*; 3 members all up; leader ${leader}`), 'the rejoin', restarted)
  const rejobs = find(lines, new RegExp(`^\\+[\\d.]+s\\s+job\\s+${v}'s new worker runs jobs again, for demo\\d`), 'jobs flow through the restarted node', rejoined)
  const summary = checkPartition(lines, mode, leader, rejobs)
  find(lines, /^\+[\d.]+s\s+done\s+all nodes stopped; 0 of the 4 tekka processes started are left; exit 0/, 'a clean stop', summary)
  // A phase line for each phase, in order.
  const phases = lines.filter((x) => /^\+[\d.]+s\s+phase /.test(x)).map((x) => x.replace(/^\+[\d.]+s\s+phase\s+/, ''))
  assert.equal(phases, ['1/9 start the nodes', '2/9 form the cluster', '3/9 jobs and locks run', '4/9 kill -9 a node that is not the leader', '5/9 restart it; it rejoins', '6/9 cut the cluster in two', '7/9 heal the network; autoheal decides', '8/9 one cluster again; jobs and locks go on', '9/9 stop every node'])

  await gone(pids, 2000)
})

test('--ui redraws the view in place; SIGINT stops every node and exits 0', async () => {
  const base = await ports.freePortRange(4)
  const demo = startDemo(['--ui', '--base-port', String(base), '--run', '60'])
  const pids: number[] = []
  // Wait for a frame that shows all three nodes up, with their pids.
  const deadline = Date.now() + 60_000
  let frame = ''
  for (;;) {
    const text = demo.output('stdout').replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')
    const last = text.lastIndexOf('tekka cluster demo')
    frame = last >= 0 ? text.slice(last) : ''
    // A row: name (* for the leader), status, pid, creation, view.
    const rows = [...frame.matchAll(/^(demo\d@127\.0\.0\.5\d)\*?\s+up\s+(\d+)\s+\d+\s+3\/3 up\s/gm)]
    if (rows.length === 3) {
      for (const m of rows) pids.push(Number(m[2]))
      break
    }
    assert.ok(Date.now() < deadline && demo.running, `no frame with three nodes up, each seeing 3/3 up\n${demo.output()}`)
    await sleep(200)
  }
  nodePids.push(...pids)
  assert.match(frame, /members 3\/3 up/)
  assert.match(frame, /leader demo\d@127\.0\.0\.5\d/)
  assert.match(frame, /3 nodes on 127\.0\.0\.51-53 · static discovery · autoheal on · partitions: (iptables|link fault injector \(no iptables\))/)
  // A progress line per phase: the first two done (with their time), the third running, the rest to come.
  assert.match(frame, /^progress\n {2}✓ start the nodes\s+[\d.]+ s\n {2}✓ form the cluster\s+[\d.]+ s\n {2}▶ jobs and locks run\s+[\d.]+ s\n {2}· kill -9 a node that is not the leader\s*\n(?: {2}· .+\n){4}/m)
  assert.match(frame, /partitions none/)
  assert.match(frame, /MSGS\/S/)
  const raw = demo.output('stdout')
  assert.ok(raw.includes('\x1b[?25l') && raw.includes('\x1b[H') && raw.includes('\x1b[K'), 'hides the cursor and redraws in place')

  demo.kill('SIGINT')
  const exit = await exitWithin(demo, 30_000)
  assert.is(exit.code, 0, `exit code after SIGINT\n${demo.output()}`)
  assert.ok(demo.output('stdout').endsWith('\x1b[?25h'), 'the cursor is shown again at the end')
  assert.match(demo.output('stdout').replace(/\x1b\[[0-9;?]*[A-Za-z]/g, ''), /all nodes stopped; 0 of the 3 tekka processes started are left/)
  await gone(pids, 2000)
})

test('nodes exit by themselves when the controller is killed with SIGKILL', async () => {
  const base = await ports.freePortRange(4)
  const demo = startDemo(['--no-ui', '--cycles', '0', '--base-port', String(base)])
  await demo.waitForLine(/^\+[\d.]+s\s+cluster\s+formed/, 60_000)
  const pids = demo.output('stdout').split('\n').map((l) => NODE.exec(l)).filter((m) => m !== null).map((m) => Number(m[2]))
  nodePids.push(...pids)
  assert.is(pids.length, 3)
  assert.equal(pids.filter(alive), pids, 'the nodes run')
  demo.kill('SIGKILL')
  await demo.exited
  await gone(pids, 8000, 'nodes still running 8 s after their controller died')
})

test('a node that cannot start (its port is taken) fails the run at once: error line, the others stopped, exit 1', async () => {
  const base = await ports.freePortRange(4)
  const squatter: Server = createServer()
  await new Promise<void>((resolve) => { squatter.listen(base + 2, '127.0.0.52', resolve) })
  try {
    const demo = startDemo(['--no-ui', '--base-port', String(base)])
    const exit = await exitWithin(demo, 60_000)
    const out = demo.output('stdout')
    const pids = out.split('\n').map((l) => /^\+[\d.]+s\s+exit\s+demo\d@127\.0\.0\.5\d \(pid (\d+)\)/.exec(l)).filter((m) => m !== null).map((m) => Number(m[1]))
    nodePids.push(...pids)
    assert.is(exit.code, 1, out)
    assert.match(out, new RegExp(`error\\s+demo2@127\\.0\\.0\\.52 exited while starting \\(code 1\\): .*ERR_PORT_IN_USE: port ${base + 2}`))
    assert.match(out, /done\s+all nodes stopped; 0 of the 3 tekka processes started are left; exit 1/)
    assert.is(pids.length, 3, 'every node started is accounted for')
    assert.equal(pids.filter(alive), [])
  } finally {
    squatter.close()
  }
})

test('--partition inject (the fallback without iptables, forced): the same partition, said on screen, healed by autoheal; exit 0', async () => {
  const base = await ports.freePortRange(4)
  const demo = startDemo(['--no-ui', '--partition', 'inject', '--base-port', String(base)])
  const exit = await exitWithin(demo, 120_000)
  const lines = demo.output('stdout').split('\n')
  assert.is(exit.code, 0, `exit code\n${demo.output()}`)
  find(lines, /^\+[\d.]+s\s+partition partitions by an in-process link-drop fault injector in each node: asked for \(--partition inject\)/, 'the fallback, said on screen')
  const formed = find(lines, /^\+[\d.]+s\s+cluster\s+formed: /, 'one cluster')
  const leader = /leader (demo\d@127\.0\.0\.5\d)/.exec(lines[formed])![1]
  const rejobs = find(lines, /^\+[\d.]+s\s+job\s+demo\d's new worker runs jobs again/, 'the kill / restart cycle first', formed)
  const summary = checkPartition(lines, 'inject', leader, rejobs)
  find(lines, /^\+[\d.]+s\s+done\s+all nodes stopped; 0 of the 4 tekka processes started are left; exit 0/, 'a clean stop', summary)
})

test('--partition iptables where iptables cannot work: refused before any node starts, saying why (exit 1); auto falls back to the injector and says why', async () => {
  // TEKKA_IPTABLES names the only binary the iptables helper may use: one that does not exist cannot work, root or not.
  const env = { TEKKA_IPTABLES: '/nonexistent/iptables' }
  const demo = startDemo(['--no-ui', '--partition', 'iptables'], env)
  const exit = await exitWithin(demo, 30_000)
  assert.is(exit.code, 1, demo.output())
  assert.match(demo.output('stderr'), /^demo: --partition iptables: no working iptables here \(.+\)$/m)
  assert.not.match(demo.output('stdout'), /node-up/, 'no node started')
  if (process.getuid?.() === 0) assert.match(demo.output('stderr'), /\/nonexistent\/iptables: not installed/)

  const auto = startDemo(['--no-ui', '--cycles', '0'], env)
  await auto.waitForLine(/^\+[\d.]+s\s+partition\s+partitions by an in-process link-drop fault injector in each node: no iptables partitions here \(.+\): an in-process link-drop fault injector in each node instead/, 30_000)
  auto.kill('SIGINT')
  assert.is((await exitWithin(auto, 30_000)).code, 0, auto.output())
})

test('bad options exit 2 with the usage', async () => {
  for (const args of [['--nodes', '12'], ['--ui', '--no-ui'], ['--log', 'loud'], ['--frobnicate'], ['--partition', 'scissors']]) {
    const demo = startDemo(args)
    const exit = await exitWithin(demo, 20_000)
    assert.is(exit.code, 2, `${args.join(' ')}\n${demo.output()}`)
    assert.match(demo.output('stderr'), /^demo: .+\nusage: node examples\/build\/cluster-demo\/main\.js/m)
  }
})

test('messages from nodes are checked: malformed ones are refused with what is wrong; stale stats are ignored', () => {
  assert.is(messageProblem('hello'), 'not an object')
  assert.is(messageProblem({ t: 'demo_exploit' }), 'unknown message type "demo_exploit"')
  assert.is(messageProblem({ t: 'demo_event', node: 'demo1@127.0.0.1', creation: 1, at: 1, kind: 'job' }), 'an event needs kind, text and data')
  assert.is(messageProblem({ t: 'demo_stats', node: 'demo1@127.0.0.1', creation: 1, at: 1, osPid: 1, msgsPerSec: 1, jobs: {}, locks: [], lockCounts: {}, status: { members: [{ node: 1 }], partitions: [] } }), 'a member without node or status')
  assert.is(messageProblem({ t: 'demo_event', node: 'demo1@127.0.0.1', creation: 1, at: 1, kind: 'job', text: 'x', data: {} }), undefined)

  const model = new DemoModel(['a@h', 'b@h'], [4371, 4372], { cluster: 'c', basePort: 4370, dataDir: '/tmp/x' })
  const stats = (node: string, creation: number, up: string[]): DemoStats => ({
    t: 'demo_stats', node, creation, osPid: 1, at: Date.now(), msgsPerSec: 0,
    jobs: { submitted: 0, done: 0, byWorker: {}, worked: 0, workerStarts: 1, requeued: 0, failed: 0, late: 0, inFlight: 0, queued: 0 },
    locks: [], lockCounts: { leader: { taken: 0, refused: 0, lost: 0 }, quorum: { taken: 0, refused: 0, lost: 0 } },
    status: { node, cluster: 'c', leader: 'a@h', coordinator: 'a@h', members: ['a@h', 'b@h'].map((n) => ({ node: n, guid: n, status: up.includes(n) ? 'up' : 'down', ring: 0 })), running: up, stopped: [], partitions: [] }
  })
  for (const [n, c] of [['a@h', 1], ['b@h', 2]] as const) { const e = model.entry(n); e.state = 'running'; e.creation = c }
  model.onStats(stats('a@h', 1, ['a@h', 'b@h']))
  assert.not.ok(model.formed(), 'b has not reported yet')
  model.onStats(stats('b@h', 99, ['a@h', 'b@h']))
  assert.not.ok(model.formed(), 'stats of another incarnation of b are ignored')
  model.onStats(stats('b@h', 2, ['a@h', 'b@h']))
  assert.ok(model.formed())
  assert.is(model.leader(), 'a@h')
  model.onStats(stats('b@h', 2, ['b@h']))
  assert.not.ok(model.formed(), 'b sees a down')
})

test("a node's lines come from its event stream: each source's events become the lines the script reads; debug events, hidden nodes and itself do not", () => {
  const self = 'demo1@127.0.0.1'
  const peer = 'demo2@127.0.0.1'
  const events = new EventStream(self, new SimulatedClock(1000))
  const lines: DemoLine[] = []
  // What node-app.ts does: one subscription to everything the node publishes.
  const off = events.subscribe((e: TekkaEvent) => {
    const l = demoLine(e, self)
    if (l !== undefined) lines.push(l)
  })
  const only = (publish: () => void): DemoLine | undefined => {
    lines.length = 0
    publish()
    assert.ok(lines.length <= 1, `one line at most: ${JSON.stringify(lines)}`)
    return lines[0]
  }
  const owner = new Pid(peer, 7, 42)

  // links (dist): a peer's, not a hidden node's
  assert.equal(only(() => { events.publish('dist.nodedown', { peer, reason: 'connection_closed', hidden: false }, 'warn') }),
    { kind: 'nodedown', text: 'saw demo2 go down: connection_closed', data: { peer, reason: 'connection_closed' } })
  assert.equal(only(() => { events.publish('dist.nodeup', { peer, creation: 5, hidden: false }) }),
    { kind: 'nodeup', text: 'link to demo2 up (creation 5)', data: { peer, creation: 5 } })
  assert.is(only(() => { events.publish('dist.nodeup', { peer: 'demo-ctl-1@127.0.0.1', creation: 1, hidden: true }) }), undefined, 'hidden nodes are not part of the story')
  assert.is(only(() => { events.publish('dist.unreachable', { peer }, 'debug') }), undefined, 'debug events are not lines')
  // membership: another member's status, not this node's, not `joining`
  assert.equal(only(() => { events.publish('membership.change', { member: peer, status: 'down' }, 'warn') }),
    { kind: 'member', text: 'member demo2 is down', data: { event: 'down', peer } })
  assert.is(only(() => { events.publish('membership.change', { member: self, status: 'up' }) }), undefined)
  assert.is(only(() => { events.publish('membership.change', { member: peer, status: 'joining' }) }), undefined)
  assert.equal(only(() => { events.publish('membership.partition', { peer, event: 'occurred' }, 'warn') })?.text, 'partition occurred with demo2')
  // supervisors: jobs_sup's worker restarts are the jobs service's lines; any other supervisor's are its own
  assert.is(only(() => { events.publish('supervisor.child', { supervisor: 'jobs_sup', id: 'worker', event: 'restarted', pid: '<x>' }) }), undefined)
  assert.equal(only(() => { events.publish('supervisor.child', { supervisor: 'other_sup', id: 'w', event: 'intensity', reason: 'boom', intensity: 5, period: 10 }, 'error') }),
    { kind: 'sup', text: 'supervisor other_sup: child w intensity (boom)', data: { supervisor: 'other_sup', id: 'w', event: 'intensity' } })
  // locks
  const lost = only(() => { events.publish('lock.lost', { locker: 'tekka_locker', resource: 'demo/quorum-task', owner, lockType: 'quorum', reason: 'nodedown', grants: [self], need: 2 }, 'warn') })
  assert.equal(lost?.data, { action: 'lost', type: 'quorum', resource: 'demo/quorum-task' })
  assert.match(lost?.text ?? '', /^quorum lock demo\/quorum-task of <demo2@127\.0\.0\.1\.7\.42> lost too many of its grants \(1 left, 2 needed: nodedown\): the owner is killed$/)
  assert.equal(only(() => { events.publish('lock.orphaned', { locker: 'tekka_locker', owner, reason: 'noconnection' }) })?.data, { action: 'orphaned', owner: String(owner) })
  assert.equal(only(() => { events.publish('lock.lease_kill', { locker: 'tekka_locker', resource: 'r', owner, lockType: 'leader', age: 11_000 }, 'error') })?.data, { action: 'lease_kill', type: 'leader', resource: 'r' })
  // the jobs service: a worker's first result, a restart by jobs_sup, a producer's monitor
  assert.equal(only(() => { events.publish('jobs.result', { id: `${self}#2`, worker: peer, value: 2262, ms: 1.04, first: true }) }),
    { kind: 'job', text: `first result from demo2's worker: job ${self}#2 -> 2262 primes (1.0 ms)`, data: { worker: peer, id: `${self}#2` } })
  assert.is(only(() => { events.publish('jobs.result', { id: `${self}#3`, worker: peer, value: 2262, ms: 1, first: false }, 'debug') }), undefined)
  assert.equal(only(() => { events.publish('jobs.worker_started', { incarnation: 2, after: `poison job ${self}#25` }) }),
    { kind: 'worker', text: `worker "jobs" crashed (poison job ${self}#25); jobs_sup restarted it (incarnation 2)`, data: { incarnation: 2 } })
  assert.equal(only(() => { events.publish('jobs.worker_down', { worker: peer, reason: 'noconnection', requeued: ['a'], failed: [] }, 'warn') }),
    { kind: 'monitor', text: "DOWN from {jobs, demo2}: noconnection (jobs_producer's monitor; 1 job requeued)", data: { worker: peer, reason: 'noconnection', by: 'producer', requeued: 1 } })
  assert.is(only(() => { events.publish('jobs.worker_down', { worker: peer, reason: 'Error: poison job x', requeued: [], failed: [] }, 'warn') }), undefined, "another producer's poison job: reported by that producer")
  // the lock loop
  assert.equal(only(() => { events.publish('demo.lock', { action: 'taken', lockType: 'leader', resource: 'demo/leader-task', holder: String(owner), token: 9, nodes: [peer] }) }),
    { kind: 'lock', text: `leader lock demo/leader-task taken by ${String(owner)}, in the leader demo2's table; token 9`, data: { action: 'taken', type: 'leader', resource: 'demo/leader-task', token: 9, nodes: [peer] } })
  assert.is(only(() => { events.publish('demo.lock', { action: 'refused', lockType: 'quorum', resource: 'demo/quorum-task', reason: 'held', nodes: [] }, 'debug') }), undefined, 'contention is not a line')
  assert.equal(only(() => { events.publish('demo.lock', { action: 'refused', lockType: 'quorum', resource: 'demo/quorum-task', reason: 'unreachable', nodes: [peer] }, 'warn') })?.text,
    'quorum lock demo/quorum-task refused: unreachable (demo2)')
  // autoheal: a partition recorded, the leader's decision with its inputs (every node's view) and its plan, a reboot
  const third = 'demo3@127.0.0.1'
  assert.equal(only(() => { events.publish('heal.partition', { peer, event: 'occurred', reason: 'it came back with the same incarnation' }, 'warn') }),
    { kind: 'partition', text: 'partition with demo2 recorded: it came back with the same incarnation', data: { event: 'occurred', peer } })
  const views = [
    { node: self, creation: 1, running: [self, third], partitioned: [peer], down: [], quietFor: 3000, healing: undefined },
    { node: third, creation: 3, running: [third, self], partitioned: [peer], down: [], quietFor: 3000, healing: undefined },
    { node: peer, creation: 2, running: [peer], partitioned: [self, third], down: [], quietFor: 3000, healing: undefined }
  ]
  const plan = { id: 'h/1', leader: self, coordinator: self, survivors: [self, third], victims: [peer], tainted: [], splitView: { participants: [self, third, peer], down: [], groups: [{ nodes: [self, third], seenBy: [self, third] }, { nodes: [peer], seenBy: [peer] }] } }
  const decision = only(() => { events.publish('heal.decision', { id: 'h/1', decision: 'heal', views, plan }) })
  assert.is(decision?.kind, 'decision')
  assert.is(decision?.text, 'autoheal h/1: heal. Inputs: demo1 runs with demo1, demo3, partitioned from demo2; demo3 runs with demo3, demo1, partitioned from demo2; demo2 runs with demo2, partitioned from demo1, demo3. ' +
    'Decision: survivors demo1, demo3 (the majority side); reboot demo2; coordinator demo1; split view {demo1, demo3} seen by demo1, demo3 | {demo2} seen by demo2')
  assert.equal([decision?.data.decision, decision?.data.victims, decision?.data.coordinator], ['heal', [peer], self])
  assert.match(only(() => { events.publish('heal.decision', { id: 'h/0', decision: 'wait', reason: 'links changed 100 ms ago', retryIn: 2900, views }) })?.text ?? '', /^autoheal h\/0: wait \(links changed 100 ms ago\), again in 2\.9 s\. Inputs: demo1 runs with /)
  assert.equal(only(() => { events.publish('heal.reboot', { id: 'h/1', phase: 'rebooted', coordinator: self }) }),
    { kind: 'heal', text: "rebooted by h/1: rejoined demo1's cluster and started its applications again", data: { id: 'h/1', phase: 'rebooted' } })
  assert.is(only(() => { events.publish('heal.probe', { peer, result: 'down', answers: [] }, 'debug') }), undefined)
  // discovery; and a type without a line of its own (heal.autoclean, a plugin's new event): its fields
  assert.equal(only(() => { events.publish('autocluster.joined', { strategy: 'static', target: peer, reason: 'oldest', round: 3, members: [self, peer] }) }),
    { kind: 'discovery', text: 'static discovery joined demo2 (oldest)', data: { target: peer } })
  const round = { round: 2, at: 0, duration: 3, discovered: [peer], skipped: [], alive: [peer], dead: [], pending: [], registered: false, complete: true, strategy: 'static' }
  assert.is(only(() => { events.publish('autocluster.round', round) }), undefined, 'a round that worked: its joins and completion are the lines')
  assert.equal(only(() => { events.publish('autocluster.round', { ...round, complete: false, error: 'EtcdUnreachableError: down' }, 'warn') })?.text, 'static discovery round 2 failed: EtcdUnreachableError: down')
  assert.equal(only(() => { events.publish('autocluster.strategy_failed', { strategy: 'static', call: 'unlock', error: 'Error: gone', round: 4 }, 'warn') }),
    { kind: 'discovery', text: 'autocluster.strategy_failed strategy=static call=unlock error=Error: gone round=4', data: { type: 'autocluster.strategy_failed' } })
  // applications, as dist reports them (autoheal's reboot of a node stops and starts them); the app module's the controller reads from the node's output
  assert.equal(only(() => { events.publish('node.application', { app: 'lock:tekka_locker', event: 'stopped' }) }), { kind: 'app', text: 'lock:tekka_locker stopped', data: { app: 'lock:tekka_locker', event: 'stopped' } })
  assert.is(only(() => { events.publish('node.application', { app: 'app:/x/examples/build/cluster-demo/node-app.js', event: 'started' }) }), undefined)
  off()
})

test.run()
