/**
 * The cluster demo (`npm run demo`): three `tekka` nodes as separate OS
 * processes, each on a loopback address of its own (demo1@127.0.0.51 ...),
 * static discovery, autoheal on, each running the jobs service and taking
 * leader and quorum locks; a controller that shows the cluster live, kills
 * a node with SIGKILL, shows it go down and the monitors fire, restarts it
 * and shows it rejoin; then cuts the cluster in two with a real partition
 * (iptables DROP rules as root, else each node's link fault injector, said
 * on screen), shows both sides' views, removes the cut, and shows
 * autoheal's decision with its inputs and the healed cluster, jobs and
 * locks going on; a summary line, then exit 0.
 *
 *   node examples/build/cluster-demo/main.js [--no-ui | --ui] [--nodes 3] [--base-port 4370]
 *                                           [--cycles N] [--run S] [--down S] [--cut S]
 *                                           [--partition auto|iptables|inject] [--log error|warn|info|debug]
 *
 * - With a terminal (and without --no-ui): a live view redrawn in place
 *   (members, status, leader, partitions, msgs/s per node, locks, recent
 *   events); the kill / restart cycle repeats until Ctrl-C.
 * - `--no-ui` (or when stdout is not a terminal): one line per event,
 *   `<time> <event> <details>`; one cycle, then it stops every node and
 *   exits 0, or 1 if a step did not happen in time (the line says which).
 * - `--cycles N`: kill / restart cycles before stopping (0: until Ctrl-C);
 *   `--run S`: seconds the example runs before each kill; `--down S`:
 *   seconds a killed node stays down; `--cut S`: seconds the cluster stays
 *   cut once each side sees the other down; `--partition`: how to cut
 *   (see partition.ts); `--nodes N`: 2 to 9 nodes;
 *   `--base-port N`: node.dist_base_port (default 4370, or free ports if
 *   4371... are taken); `--log LEVEL`: the nodes' TEKKA_LOG.
 *
 * Ctrl-C (SIGINT) or SIGTERM: every node is stopped (SIGTERM, SIGKILL after
 * 5 s), the data directory removed, exit 0. Nodes never outlive the
 * controller, even one killed with SIGKILL (see ../lib/stdin-guard.ts).
 */
import { fileURLToPath } from 'node:url'
import { Launcher, processAlive as alive, readFlags, UsageError } from '../lib/launcher.js'
import { DemoPartitionError } from '../lib/errors.js'
import { chooseBasePort, portsOf } from '../lib/ports.js'
import { Controller } from './controller.js'
import { DemoModel, type DemoLogEvent } from './model.js'
import { choosePartitionMode, type PartitionChoice } from './partition.js'
import { short } from './protocol.js'
import { PHASES, runScript, ScriptStepError, type ScriptSummary } from './script.js'
import { Screen } from './ui.js'

const APP = fileURLToPath(new URL('./node-app.js', import.meta.url))
const CLUSTER = 'tekka-demo'
const TICK = '2s'
/** Each node has a loopback address of its own (demoN on 127.0.0.5N), so a partition can cut between them; the controller is 127.0.0.50. */
const NET = '127.0.0'
const CONTROLLER_HOST = `${NET}.50`
const nodeHost = (i: number): string => `${NET}.${50 + i}`

const USAGE = `usage: node examples/build/cluster-demo/main.js [--no-ui | --ui] [--nodes 3] [--base-port 4370]
       [--cycles N] [--run SECONDS] [--down SECONDS] [--cut SECONDS] [--partition auto|iptables|inject]
       [--log error|warn|info|debug]

  --no-ui        one line per event (the default when stdout is not a terminal); one kill/restart cycle, then exit
  --ui           the live terminal view even when stdout is not a terminal
  --cycles N     kill/restart cycles before stopping; 0: until Ctrl-C (default: 1 with --no-ui, 0 with the view)
  --run S        seconds the example runs before each kill (default 3 with --no-ui, 15 with the view)
  --down S       seconds a killed node stays down (default 1 with --no-ui, 5 with the view)
  --cut S        seconds the cluster stays cut once each side sees the other down (default 1 with --no-ui, 8 with the view)
  --partition M  how to cut: iptables (root), inject (each node's link fault injector), auto (iptables if it works here; default)
  --nodes N      2 to 9 nodes (default 3)
  --base-port N  node.dist_base_port (default 4370, or free ports if those are taken)
  --log LEVEL    TEKKA_LOG of the nodes (default error)`

const LEVELS = ['debug', 'info', 'warn', 'error'] as const
const PARTITION_CHOICES: readonly PartitionChoice[] = ['auto', 'iptables', 'inject']

async function main (argv: string[]): Promise<number> {
  if (argv.includes('-h') || argv.includes('--help')) { process.stdout.write(USAGE + '\n'); return 0 }
  const f = readFlags(argv, { 'no-ui': 'boolean', ui: 'boolean', nodes: 'number', 'base-port': 'number', cycles: 'number', run: 'number', down: 'number', cut: 'number', partition: 'string', log: 'string' })
  if (f['no-ui'] === true && f.ui === true) throw new UsageError('--ui and --no-ui together')
  const ui = f.ui === true || (f['no-ui'] !== true && process.stdout.isTTY === true)
  const count = (f.nodes as number | undefined) ?? 3
  if (!Number.isInteger(count) || count < 2 || count > 9) throw new UsageError('--nodes must be 2 to 9')
  const log = (f.log as string | undefined) ?? 'error'
  if (!(LEVELS as readonly string[]).includes(log)) throw new UsageError(`--log must be one of ${LEVELS.join(', ')}`)
  const cycles = (f.cycles as number | undefined) ?? (ui ? 0 : 1)
  if (!Number.isInteger(cycles)) throw new UsageError('--cycles must be a whole number')
  const requested = (f.partition as string | undefined) ?? 'auto'
  if (!(PARTITION_CHOICES as readonly string[]).includes(requested)) throw new UsageError(`--partition must be one of ${PARTITION_CHOICES.join(', ')}`)
  // Before anything starts: `--partition iptables` where it cannot work is refused here, saying why.
  const partition = await choosePartitionMode(requested as PartitionChoice)

  const names = Array.from({ length: count }, (_, i) => `demo${i + 1}@${nodeHost(i + 1)}`)
  const basePort = (f['base-port'] as number | undefined) ?? await chooseBasePort(names)
  const ports = portsOf(names, basePort)
  const launcher = new Launcher('tekka-demo-')
  const model = new DemoModel(names, ports, { cluster: CLUSTER, basePort, dataDir: launcher.dataDir, hosts: `${nodeHost(1)}-${50 + count}`, partition: partition.mode })
  const ctl = new Controller(model, {
    host: CONTROLLER_HOST,
    partition: partition.mode,
    cookie: launcher.cookie,
    cluster: CLUSTER,
    basePort,
    tickTime: TICK,
    tickMs: 2000,
    app: APP,
    dataDirOf: (n) => launcher.dataDirOf(n),
    log: log as typeof LEVELS[number],
    settings: {
      'cluster.discovery': 'static',
      'cluster.static.seeds': names.join(','),
      'cluster.autocluster_interval': '500ms',
      'cluster.autoheal': 'on',
      'cluster.autoheal_delay': '3s',
      'lock.lease': '10s'
    },
    env: { DEMO_JOB_INTERVAL: '200', DEMO_POISON_EVERY: '25', DEMO_LOCK_EVERY: '2500', DEMO_LOCK_HOLD: '800' }
  })

  // Output: the live view, or one line per event.
  const screen = ui ? new Screen(model) : undefined
  let statsTimer: NodeJS.Timeout | undefined
  if (screen !== undefined) {
    process.on('exit', () => { screen.close() })
    screen.start()
  } else {
    const line = (e: DemoLogEvent): void => { process.stdout.write(`${model.elapsed(e.at)}  ${e.kind.padEnd(9)} ${e.text}\n`) }
    model.on('event', line)
    statsTimer = setInterval(() => {
      const parts = model.fresh().map((s) => `${short(s.node)} ${s.msgsPerSec} msg/s, ${s.jobs.worked} jobs run, ${s.jobs.done} results, ${s.lockCounts.leader.taken + s.lockCounts.quorum.taken} lock${s.lockCounts.leader.taken + s.lockCounts.quorum.taken === 1 ? '' : 's'} taken`)
      if (parts.length > 0) model.add('stats', parts.join(' | '))
    }, 5000)
  }

  model.add('start', `${count} nodes ${names.map((n, i) => `${short(n)} ${nodeHost(i + 1)}:${ports[i]}`).join(', ')}; cluster ${CLUSTER}, static discovery, autoheal on (delay 3s), tick_time ${TICK}; data in ${launcher.dataDir}`)
  model.add('partition', `partitions by ${partition.mode === 'iptables' ? 'iptables DROP rules between the nodes\' loopback addresses' : 'an in-process link-drop fault injector in each node'}: ${partition.why}`, undefined, { mode: partition.mode })
  let code = 0
  const summary: ScriptSummary = { cycles: 0, kills: 0, partitions: 0, heals: [] }
  try {
    await ctl.start()
    await runScript(model, ctl, {
      cycles,
      runMs: ((f.run as number | undefined) ?? (ui ? 15 : 3)) * 1000,
      downMs: ((f.down as number | undefined) ?? (ui ? 5 : 1)) * 1000,
      cutMs: ((f.cut as number | undefined) ?? (ui ? 8 : 1)) * 1000,
      signal: launcher.signal
    }, summary)
  } catch (err) {
    code = 1
    model.finish('failed')
    model.add('error', err instanceof ScriptStepError || err instanceof DemoPartitionError ? err.message : `${(err as Error).stack ?? String(err)}`)
  }
  if (launcher.interruptedBy !== undefined) {
    model.add('stop', `${launcher.interruptedBy}: stopping`)
    code = 0
  }
  // A run never ends with its cluster cut (iptables rules are also removed by an exit hook, however the process ends).
  try {
    if (await ctl.healCut()) model.add('partition', 'cut removed')
  } catch (err) {
    model.add('warn', `removing the cut: ${(err as Error).message}`)
  }
  model.add('summary', summaryText(summary, model, partition.mode))

  model.begin(PHASES.stop, 'stopping every node')
  const running = [...model.nodes.values()].filter((n) => n.proc?.running === true).length
  model.add('stop', `stopping ${running} node${running === 1 ? '' : 's'} (SIGTERM, then SIGKILL after 5 s)`)
  await ctl.stopNodes(5000)
  await ctl.close()
  clearInterval(statsTimer)
  launcher.removeData()
  const left = ctl.pids.filter(alive)
  model.finish()
  model.phase = 'stopped'
  model.add('done', `all nodes stopped; ${left.length} of the ${ctl.pids.length} tekka processes started are left${left.length > 0 ? ` (${left.join(', ')})` : ''}; exit ${left.length > 0 ? 1 : code}`)
  if (left.length > 0) code = 1
  if (screen !== undefined) {
    screen.close()
    const errors = model.events.filter((e) => e.kind === 'error')
    for (const e of errors) process.stdout.write(`error: ${e.text}\n`)
  }
  return code
}

/** The run in a line: what was done, and what the heals were. */
function summaryText (s: ScriptSummary, model: DemoModel, mode: string): string {
  const locks = (type: string): number => model.events.filter((e) => e.kind === 'lock' && e.data.action === 'taken' && e.data.type === type).length
  const results = model.fresh().reduce((n, st) => n + st.jobs.done, 0)
  const heals = s.heals.map((h) => `${h.id} rebooted ${h.victims.map(short).join(', ')} (coordinator ${short(h.coordinator)})`).join('; ')
  return `${s.cycles} cycle${s.cycles === 1 ? '' : 's'}: ${s.kills} kill -9 and restart, ${s.partitions} partition${s.partitions === 1 ? '' : 's'} (${mode}), ${s.heals.length} healed by autoheal${heals !== '' ? ` (${heals})` : ''}; ${locks('leader')} leader and ${locks('quorum')} quorum locks taken; ${results} job results since the nodes' last start`
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code }, (err: unknown) => {
  if (err instanceof UsageError) {
    process.stderr.write(`demo: ${err.message}\n${USAGE}\n`)
    process.exitCode = 2
    return
  }
  // A partition that cannot be made as asked: what is missing, without a stack.
  process.stderr.write(`demo: ${err instanceof DemoPartitionError ? err.message : (err as Error).stack ?? String(err)}\n`)
  process.exitCode = 1
})
