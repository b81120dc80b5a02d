/**
 * A cluster formed through etcd, in one command:
 *
 *   node examples/build/etcd/run.js [--base-port 4370] [--etcd-port N]
 *
 * 1. Finds `etcd` on PATH (if there is none: says how to install it, exit 1).
 * 2. Starts it: one member on 127.0.0.1, free ports (or `--etcd-port` for
 *    its client port), a temporary data directory.
 * 3. Starts three `tekka` nodes as OS processes, node1..node3@127.0.0.1,
 *    each with `--config examples/etcd/tekka.conf` (etcd discovery), its own
 *    data directory, and the etcd URL of step 2.
 * 4. Runs `tekka ctl cluster status --json` against each node until every
 *    node reports the same three running members; prints what each sees and
 *    one full status.
 * 5. Prints the keys under the prefix in etcd (the v3 gateway, `kv/range`):
 *    one per node, each under its node's lease.
 * 6. Stops the nodes (SIGTERM: each revokes its lease, so the keys go with
 *    it; printed), then etcd, removes the temporary directory, exits 0.
 *
 * Exit 1 when a step fails (with the reason), 2 on a bad option. Ctrl-C (or
 * SIGTERM) at any point stops whatever was started, in the same order, and
 * exits 0; a launcher killed with SIGKILL leaves nothing behind either (the
 * nodes' stdin guard, etcd's watchdog).
 */
import { relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { configValue, nodePort, type ClusterStatus } from '@tekka/dist'
import { loadTekkaConfig } from 'tekka'
import { Launcher, pause, readFlags, UsageError } from '../lib/launcher.js'
import { chooseBasePort } from '../lib/ports.js'
import { killAllSync, spawnTekka, stopAll, type TekkaProcess } from '../lib/tekka-process.js'
import { clusterStatus, ctl, type CtlOptions } from './ctl.js'
import { keysUnder, leaseHex } from './etcd-gateway.js'
import { etcdVersion, findOnPath, killAllEtcdSync, LocalEtcd } from './etcd-process.js'

/** The repository root (this file runs from examples/build/etcd/). */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
/** The shared configuration (in the sources: it is not compiled). */
const CONF = fileURLToPath(new URL('../../etcd/tekka.conf', import.meta.url))
const CONF_SHOWN = relative(ROOT, CONF)
const NODES = ['node1@127.0.0.1', 'node2@127.0.0.1', 'node3@127.0.0.1']
/** How long the nodes may take to form one cluster. */
const CLUSTER_DEADLINE_MS = 60_000

const say = (text: string): void => { process.stdout.write(`${text}\n`) }
const short = (node: string): string => node.replace(/@.*/, '')

async function main (): Promise<number> {
  const flags = readFlags(process.argv.slice(2), { 'base-port': 'number', 'etcd-port': 'number' })
  const etcdPort = flags['etcd-port'] as number | undefined
  if (etcdPort !== undefined && (!Number.isInteger(etcdPort) || etcdPort < 1 || etcdPort > 65535)) throw new UsageError(`--etcd-port: ${etcdPort} is not a port`)
  // The file as the nodes will read it (every plugin's keys): a bad key stops us here, with its line.
  const conf = loadTekkaConfig({ config: { file: CONF, cwd: ROOT } })
  const prefix = `${String(configValue(conf, 'cluster.etcd.prefix'))}/`

  const bin = findOnPath('etcd')
  if (bin === undefined) {
    say('run: etcd is not installed: there is no `etcd` on PATH. Install it, then run this again:')
    say('run:   Debian, Ubuntu: sudo apt-get install etcd-server')
    say('run:   elsewhere: etcd 3.4 or later from https://etcd.io/docs/latest/install/ (put the `etcd` binary on PATH)')
    say('run: failed')
    return 1
  }
  say(`run: etcd ${etcdVersion(bin) ?? '(version unknown)'} found at ${bin}`)

  const base = (flags['base-port'] as number | undefined) ?? await chooseBasePort(NODES)
  const launcher = new Launcher('tekka-etcd-')
  // Nodes first (their stdin guard would end them anyway), then etcd; the Launcher removes the data.
  process.on('exit', () => { killAllSync(); killAllEtcdSync() })
  say(`run: temporary directory ${launcher.dataDir}`)

  let etcd: LocalEtcd | undefined
  const nodes: TekkaProcess[] = []
  let code = 0
  try {
    etcd = await LocalEtcd.start({ bin, dataDir: `${launcher.dataDir}/etcd`, orphanDir: launcher.dataDir, signal: launcher.signal, ...(etcdPort !== undefined ? { clientPort: etcdPort } : {}) })
    say(`run: etcd serving ${etcd.url} (pid ${etcd.pid})`)

    const settings = { 'cluster.etcd.server': etcd.url, 'node.dist_base_port': base }
    const ctlOptions: CtlOptions = { config: CONF, cookie: launcher.cookie, settings, signal: launcher.signal }
    const started = Date.now()
    for (const name of NODES) {
      const p = spawnTekka({
        name,
        cookie: launcher.cookie,
        args: ['--config', CONF],
        settings: { ...settings, 'node.data_dir': launcher.dataDirOf(name) },
        log: 'warn'
      })
      nodes.push(p)
      say(`run: tekka --name ${name} --config ${CONF_SHOWN} (pid ${p.pid}, port ${nodePort(name, base)})`)
      p.on('line', (text: string) => { say(`[${short(name)}] ${text}`) })
    }
    await Promise.all(nodes.map(async (p) => await p.waitForLine(/^tekka: node \S+ listening/, 30_000, launcher.signal)))

    say(`run: waiting for one cluster of ${NODES.length}: tekka ctl --node NODE --config ${CONF_SHOWN} cluster status --json, on each node`)
    const views = await waitForOneCluster(nodes, ctlOptions, launcher.signal)
    for (const [node, s] of views) say(`run: ${node} sees cluster ${s.cluster}: running ${s.running.join(', ')}; leader ${s.leader ?? '-'}`)
    say(`run: one cluster of ${NODES.length} nodes, ${((Date.now() - started) / 1000).toFixed(1)} s after the first node started`)
    const text = await ctl(NODES[0], ['cluster', 'status'], ctlOptions)
    say(`run: tekka ctl --node ${NODES[0]} cluster status:`)
    for (const line of text.stdout.trimEnd().split('\n')) say(`  ${line}`)

    const keys = await keysUnder(etcd.url, prefix, { signal: launcher.signal })
    say(`run: etcd keys under ${prefix} (${keys.length}):`)
    for (const k of keys) say(`  ${k.key} = ${k.value}${k.lease !== '0' ? ` (lease ${leaseHex(k.lease)})` : ''}`)
  } catch (err) {
    if (launcher.signal.aborted) {
      say(`run: ${launcher.interruptedBy ?? 'interrupted'}: stopping`)
    } else {
      say(`run: failed: ${(err as Error).message}`)
      code = 1
    }
  }

  if (nodes.length > 0) {
    say('run: stopping the nodes (SIGTERM)')
    await stopAll(5000)
    for (const p of nodes) {
      const e = p.exitInfo
      say(`run: ${p.name} (pid ${p.pid}) exited ${e?.signal ?? `with code ${String(e?.code)}`}`)
      if (e?.code !== 0 && !launcher.signal.aborted) code = 1
    }
    if (etcd?.running === true && !launcher.signal.aborted) {
      try {
        const left = await keysUnder(etcd.url, prefix)
        say(`run: etcd keys under ${prefix} now: ${left.length === 0 ? 'none (each node revoked its lease as it stopped)' : left.map((k) => k.key).join(', ')}`)
      } catch (err) {
        say(`run: cannot list the keys in etcd: ${(err as Error).message}`)
      }
    }
  }
  if (etcd !== undefined) {
    say('run: stopping etcd (SIGTERM)')
    const e = await etcd.stop()
    say(`run: etcd (pid ${etcd.pid}) exited ${e.signal ?? `with code ${String(e.code)}`}`)
  }
  launcher.removeData()
  say(code === 0 ? 'run: done' : 'run: failed')
  return code
}

/** Polls every node's `cluster status` until each reports all of NODES running; their views. */
async function waitForOneCluster (nodes: readonly TekkaProcess[], opts: CtlOptions, signal: AbortSignal): Promise<Map<string, ClusterStatus>> {
  const want = [...NODES].sort().join(',')
  const deadline = Date.now() + CLUSTER_DEADLINE_MS
  const last = new Map<string, ClusterStatus | string>()
  for (;;) {
    let all = true
    // One node at a time, and only while every earlier one is done: each ctl is a Node process.
    for (const p of nodes) {
      if (!p.running) throw new Error(`${p.name} exited (${p.exitInfo?.signal ?? `code ${String(p.exitInfo?.code)}`})`)
      const s = await clusterStatus(p.name, opts)
      last.set(p.name, s)
      const done = typeof s !== 'string' && [...s.running].sort().join(',') === want &&
        s.members.length === NODES.length && s.members.every((m) => m.status === 'up')
      if (!done) { all = false; break }
    }
    if (all) return last as Map<string, ClusterStatus>
    if (Date.now() > deadline) {
      const views = [...last].map(([n, s]) => `${n}: ${typeof s === 'string' ? s : `running ${s.running.join(', ') || '-'}`}`)
      throw new Error(`no single cluster of ${NODES.length} within ${CLUSTER_DEADLINE_MS / 1000} s; last seen: ${views.join('; ')}`)
    }
    await pause(500, signal)
    signal.throwIfAborted()
  }
}

main().then((code) => { process.exitCode = code }, (err: unknown) => {
  process.stderr.write(`etcd example: ${(err as Error).message}\n`)
  process.exitCode = err instanceof UsageError ? 2 : 1
})
