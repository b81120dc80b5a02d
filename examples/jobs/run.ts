/**
 * Runs the jobs service on a local cluster, in one command:
 *
 *   node examples/build/jobs/run.js [--nodes 3] [--base-port 4370] [--duration S] [--forever]
 *
 * It starts `jobs1@127.0.0.1` ... `jobsN@127.0.0.1` as separate `tekka`
 * processes with the app module app.js, static discovery (every node lists
 * all of them as seeds) and poison jobs now and then, prints each node's
 * lines prefixed with its name, and stops them all (SIGTERM) once every
 * node's producer has had results from every node's worker and a worker
 * crashed by a poison job has been restarted by its supervisor, and
 * `--duration` seconds have passed. Exit code 0 then; 1 when that did not
 * happen within 60 s (or a node failed to start); 2 for a bad option.
 * `--forever` keeps the cluster running until Ctrl-C.
 */
import { fileURLToPath } from 'node:url'
import { Launcher, pause, readFlags, UsageError } from '../lib/launcher.js'
import { chooseBasePort, portsOf } from '../lib/ports.js'
import { spawnTekka, type TekkaProcess } from '../lib/tekka-process.js'

const APP = fileURLToPath(new URL('./app.js', import.meta.url))
const DEADLINE_MS = 60_000

async function main (): Promise<number> {
  const flags = readFlags(process.argv.slice(2), { nodes: 'number', 'base-port': 'number', duration: 'number', forever: 'boolean' })
  const count = (flags.nodes as number | undefined) ?? 3
  if (!Number.isInteger(count) || count < 2 || count > 9) throw new UsageError('--nodes must be 2 to 9')
  const names = Array.from({ length: count }, (_, i) => `jobs${i + 1}@127.0.0.1`)
  const base = (flags['base-port'] as number | undefined) ?? await chooseBasePort(names)
  const launcher = new Launcher('tekka-jobs-')
  const say = (text: string): void => { process.stdout.write(`${text}\n`) }
  const ports = portsOf(names, base)
  say(`starting ${names.join(', ')} on 127.0.0.1 ports ${ports.join(', ')} (static discovery)`)

  // Every node's producer must hear from every worker: N × N first results.
  const firsts = new Set<string>()
  let restarted = false
  const nodes: TekkaProcess[] = names.map((name) => {
    const p = spawnTekka({
      name,
      cookie: launcher.cookie,
      app: APP,
      settings: {
        'node.dist_base_port': base,
        'node.data_dir': launcher.dataDirOf(name),
        'node.tick_time': '2s',
        'cluster.name': 'tekka-jobs',
        'cluster.discovery': 'static',
        'cluster.static.seeds': names.join(','),
        'cluster.autocluster_interval': '500ms'
      },
      env: { JOBS_INTERVAL: '200', JOBS_POISON_EVERY: '10', JOBS_STATS_EVERY: '3000' }
    })
    p.on('line', (text: string) => {
      say(`[${name.replace(/@.*/, '')}] ${text}`)
      const first = /^jobs: first result from (\S+):/.exec(text)
      if (first !== null) firsts.add(`${name} <- ${first[1]}`)
      if (/^jobs: worker "jobs" restarted by jobs_sup/.test(text)) restarted = true
    })
    say(`started ${name} (pid ${p.pid})`)
    return p
  })

  const started = Date.now()
  let code = 0
  try {
    await Promise.all(nodes.map(async (p) => await p.waitForLine(/^tekka: app .* started/, 30_000, launcher.signal)))
    for (;;) {
      if (launcher.signal.aborted) break
      const done = firsts.size === count * count && restarted
      if (done && flags.forever !== true && Date.now() - started >= ((flags.duration as number | undefined) ?? 0) * 1000) {
        say(`done: each of the ${count} producers got results from all ${count} workers, and a worker crashed by a poison job was restarted by jobs_sup`)
        break
      }
      if (!done && Date.now() - started > DEADLINE_MS) {
        say(`failed: after ${DEADLINE_MS / 1000} s, ${firsts.size} of ${count * count} producer/worker pairs answered; worker restarted: ${restarted}`)
        code = 1
        break
      }
      const gone = nodes.find((p) => !p.running)
      if (gone !== undefined) {
        say(`failed: ${gone.name} exited (${gone.exitInfo?.signal ?? `code ${String(gone.exitInfo?.code)}`})`)
        code = 1
        break
      }
      await pause(200, launcher.signal)
    }
    if (launcher.interruptedBy !== undefined) say(`${launcher.interruptedBy}: stopping`)
  } catch (err) {
    if (!launcher.signal.aborted) {
      say(`failed: ${(err as Error).message}`)
      code = 1
    }
  }
  say('stopping the nodes (SIGTERM)')
  await launcher.shutdown()
  for (const p of nodes) say(`${p.name} (pid ${p.pid}) exited ${p.exitInfo?.signal ?? `with code ${String(p.exitInfo?.code)}`}`)
  return code
}

main().then((code) => { process.exitCode = code }, (err: unknown) => {
  process.stderr.write(`jobs: ${(err as Error).message}\n`)
  process.exitCode = err instanceof UsageError ? 2 : 1
})
