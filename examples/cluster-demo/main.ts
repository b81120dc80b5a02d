/**
 * The cluster demo (`npm run demo`): three `tekka` nodes as separate OS
 * processes on 127.0.0.1, static discovery, autoheal on, each running the
 * jobs service and taking leader and quorum locks; a controller that shows
 * the cluster live, kills a node with SIGKILL, shows it go down and the
 * monitors fire, restarts it and shows it rejoin.
 *
 *   node examples/build/cluster-demo/main.js [--no-ui | --ui] [--nodes 3] [--base-port 4370]
 *                                           [--cycles N] [--run S] [--down S] [--log error|warn|info|debug]
 *
 * - With a terminal (and without --no-ui): a live view redrawn in place
 *   (members, status, leader, partitions, msgs/s per node, locks, recent
 *   events); the kill / restart cycle repeats until Ctrl-C.
 * - `--no-ui` (or when stdout is not a terminal): one line per event,
 *   `<time> <event> <details>`; one cycle, then it stops every node and
 *   exits 0, or 1 if a step did not happen in time (the line says which).
 * - `--cycles N`: kill / restart cycles before stopping (0: until Ctrl-C);
 *   `--run S`: seconds the example runs before each kill; `--down S`:
 *   seconds a killed node stays down; `--nodes N`: 2 to 9 nodes;
 *   `--base-port N`: node.dist_base_port (default 4370, or free ports if
 *   4371... are taken); `--log LEVEL`: the nodes' TEKKA_LOG.
 *
 * Ctrl-C (SIGINT) or SIGTERM: every node is stopped (SIGTERM, SIGKILL after
 * 5 s), the data directory removed, exit 0. Nodes never outlive the
 * controller, even one killed with SIGKILL (see ../lib/stdin-guard.ts).
 */
import { fileURLToPath } from 'node:url'
import { Launcher, processAlive as alive, readFlags, UsageError } from '../lib/launcher.js'
import { chooseBasePort, portsOf } from '../lib/ports.js'
import { Controller } from './controller.js'
import { DemoModel, type DemoLogEvent } from './model.js'
import { short } from './protocol.js'
import { runScript, ScriptStepError } from './script.js'
import { Screen } from './ui.js'

const APP = fileURLToPath(new URL('./node-app.js', import.meta.url))
const CLUSTER = 'tekka-demo'
const TICK = '2s'

const USAGE = `usage: node examples/build/cluster-demo/main.js [--no-ui | --ui] [--nodes 3] [--base-port 4370]
       [--cycles N] [--run SECONDS] [--down SECONDS] [--log error|warn|info|debug]

  --no-ui        one line per event (the default when stdout is not a terminal); one kill/restart cycle, then exit
  --ui           the live terminal view even when stdout is not a terminal
  --cycles N     kill/restart cycles before stopping; 0: until Ctrl-C (default: 1 with --no-ui, 0 with the view)
  --run S        seconds the example runs before each kill (default 3 with --no-ui, 15 with the view)
  --down S       seconds a killed node stays down (default 1 with --no-ui, 5 with the view)
  --nodes N      2 to 9 nodes (default 3)
  --base-port N  node.dist_base_port (default 4370, or free ports if those are taken)
  --log LEVEL    TEKKA_LOG of the nodes (default error)`

const LEVELS = ['debug', 'info', 'warn', 'error'] as const

async function main (argv: string[]): Promise<number> {
  if (argv.includes('-h') || argv.includes('--help')) { process.stdout.write(USAGE + '\n'); return 0 }
  const f = readFlags(argv, { 'no-ui': 'boolean', ui: 'boolean', nodes: 'number', 'base-port': 'number', cycles: 'number', run: 'number', down: 'number', log: 'string' })
  if (f['no-ui'] === true && f.ui === true) throw new UsageError('--ui and --no-ui together')
  const ui = f.ui === true || (f['no-ui'] !== true && process.stdout.isTTY === true)
  const count = (f.nodes as number | undefined) ?? 3
  if (!Number.isInteger(count) || count < 2 || count > 9) throw new UsageError('--nodes must be 2 to 9')
  const log = (f.log as string | undefined) ?? 'error'
  if (!(LEVELS as readonly string[]).includes(log)) throw new UsageError(`--log must be one of ${LEVELS.join(', ')}`)
  const cycles = (f.cycles as number | undefined) ?? (ui ? 0 : 1)
  if (!Number.isInteger(cycles)) throw new UsageError('--cycles must be a whole number')

  const names = Array.from({ length: count }, (_, i) => `demo${i + 1}@127.0.0.1`)
  const basePort = (f['base-port'] as number | undefined) ?? await chooseBasePort(names)
  const ports = portsOf(names, basePort)
  const launcher = new Launcher('tekka-demo-')
  const model = new DemoModel(names, ports, { cluster: CLUSTER, basePort, dataDir: launcher.dataDir })
  const ctl = new Controller(model, {
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

  model.add('start', `${count} nodes ${names.map(short).join(', ')} on 127.0.0.1 ports ${ports.join(', ')}; cluster ${CLUSTER}, static discovery, autoheal on, tick_time ${TICK}; data in ${launcher.dataDir}`)
  let code = 0
  try {
    await ctl.start()
    await runScript(model, ctl, {
      cycles,
      runMs: ((f.run as number | undefined) ?? (ui ? 15 : 3)) * 1000,
      downMs: ((f.down as number | undefined) ?? (ui ? 5 : 1)) * 1000,
      signal: launcher.signal
    })
  } catch (err) {
    code = 1
    model.add('error', err instanceof ScriptStepError ? err.message : `${(err as Error).stack ?? String(err)}`)
  }
  if (launcher.interruptedBy !== undefined) {
    model.add('stop', `${launcher.interruptedBy}: stopping`)
    code = 0
  }

  model.phase = 'stopping every node'
  const running = [...model.nodes.values()].filter((n) => n.proc?.running === true).length
  model.add('stop', `stopping ${running} node${running === 1 ? '' : 's'} (SIGTERM, then SIGKILL after 5 s)`)
  await ctl.stopNodes(5000)
  await ctl.close()
  clearInterval(statsTimer)
  launcher.removeData()
  const left = ctl.pids.filter(alive)
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

main(process.argv.slice(2)).then((code) => { process.exitCode = code }, (err: unknown) => {
  if (err instanceof UsageError) {
    process.stderr.write(`demo: ${err.message}\n${USAGE}\n`)
    process.exitCode = 2
    return
  }
  process.stderr.write(`demo: ${(err as Error).stack ?? String(err)}\n`)
  process.exitCode = 1
})
