/**
 * examples/etcd as its README runs it: `node examples/build/etcd/run.js`
 * starts a real etcd and three `tekka` nodes (OS processes, etcd discovery
 * from examples/etcd/tekka.conf). Checked from its output: each node
 * reports one cluster of the same three running nodes, the keys listed in
 * etcd are the three nodes' (each under a lease of its own) and are gone
 * once the nodes stopped; exit code 0, and no etcd or `tekka` process it
 * started, nor its temporary directory, is left.
 *
 * It needs etcd installed (`requireEtcd()` fails every test here, saying
 * how to get it, when it is not): the example starts its own, so this file
 * imports @tekka/testing/etcd-server for that check alone, which also puts
 * it in the system tier.
 *
 * Also: tekka.conf loads through tekka's own config loader, with every
 * plugin's keys (a misspelt key or a bad value fails here); Ctrl-C during the run stops everything and
 * exits 0; a run.js killed with SIGKILL leaves nothing either; without
 * `etcd` on PATH it says how to install it and exits 1; with etcd's port or
 * a node's port taken it fails with exit 1, naming why, and leaves
 * nothing; an unknown option exits 2.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ConfigError, configValue, nodePort } from '@tekka/dist'
import { requireEtcd } from '@tekka/testing/etcd-server'
import { pidAlive as alive } from '@tekka/testing/procs'
import * as exitHooks from '@tekka/testing/exit-hooks'
import { killAtExit } from '@tekka/testing/exit-hooks'
import * as ports from '@tekka/testing/ports'
import * as procs from '@tekka/testing/procs'
import type { NodeProcess } from '@tekka/testing/procs'
import { eventually } from '@tekka/testing/wait'
import { loadTekkaConfig } from 'tekka'

// run.js starts etcd itself: without it installed, every test here fails with how to get it.
requireEtcd('examples/test/etcd-example.test.ts (the etcd example runs its own etcd)')

// Compiled to examples/build/test/: the sources are two levels up.
const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const SRC = fileURLToPath(new URL('../../etcd/', import.meta.url))
const README = readFileSync(join(SRC, 'README.md'), 'utf8')
const NODES = ['node1@127.0.0.1', 'node2@127.0.0.1', 'node3@127.0.0.1']

/** The README's one command, as a path from the repository root. */
function readmeCommand (): string {
  const m = /^node (examples\/build\/etcd\/run\.js)$/m.exec(README)
  assert.ok(m !== null, 'the README gives `node examples/build/etcd/run.js` on a line of its own')
  return join(ROOT, m[1])
}
const RUN = readmeCommand()

/** Pids of processes whose command line mentions `text`. */
function processesMentioning (text: string): number[] {
  const out: number[] = []
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue
    try {
      if (readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(text)) out.push(Number(e))
    } catch {}
  }
  return out
}

interface Run { proc: NodeProcess, pids: number[] }

/** Starts run.js; every pid it prints (etcd, nodes) is SIGKILLed when this test process ends, however it ends. */
function start (args: string[], env: NodeJS.ProcessEnv = {}): Run {
  const proc = procs.spawnNode({ entry: RUN, args, env, name: 'etcd-example' })
  const pids: number[] = []
  killAtExit(pids)
  proc.child.stdout?.on('data', () => {
    for (const m of proc.output('stdout').matchAll(/\(pid (\d+)/g)) if (!pids.includes(Number(m[1]))) pids.push(Number(m[1]))
  })
  return { proc, pids }
}

async function finish (run: Run, ms = 60_000): Promise<{ code: number | null, out: string }> {
  const timer = setTimeout(() => { run.proc.kill('SIGKILL') }, ms)
  const exit = await run.proc.exited
  clearTimeout(timer)
  const out = run.proc.output('stdout')
  for (const m of out.matchAll(/\(pid (\d+)/g)) if (!run.pids.includes(Number(m[1]))) run.pids.push(Number(m[1]))
  return { code: exit.code, out }
}

/** Nothing the run started is left: no pid it printed, no process mentioning its temporary directory, not the directory. */
function assertNothingLeft (run: Run, out: string): void {
  assert.equal(run.pids.filter(alive), [], `no etcd or tekka process left\n${out}`)
  const dir = /^run: temporary directory (\S+)$/m.exec(out)?.[1]
  if (dir !== undefined) {
    assert.equal(processesMentioning(dir), [], `no process (the etcd watchdog included) mentions ${dir}`)
    assert.not.ok(existsSync(dir), `${dir} removed`)
  }
}

/** A listener holding `port` on 127.0.0.1 until closed (also at exit). */
async function occupy (port: number): Promise<Server> {
  const srv = createServer()
  await new Promise<void>((resolve, reject) => { srv.once('error', reject); srv.listen(port, '127.0.0.1', resolve) })
  const unhook = exitHooks.onExit(() => { srv.close() })
  srv.once('close', unhook)
  return srv
}

test('tekka.conf loads through tekka\'s config loader: etcd discovery with a short TTL and interval', () => {
  const c = loadTekkaConfig({ config: { file: join(SRC, 'tekka.conf'), env: {}, cwd: ROOT } })
  const get = (key: string): unknown => configValue(c, key)
  assert.is(get('cluster.discovery'), 'etcd')
  assert.is(get('cluster.name'), 'etcd-example')
  assert.equal(get('cluster.etcd.server'), ['http://127.0.0.1:2379'])
  assert.is(get('cluster.etcd.prefix'), 'tekka-example')
  const ttl = get('cluster.etcd.node_ttl') as number
  assert.ok(ttl <= 10_000, `node_ttl short: ${ttl} ms`)
  const interval = get('cluster.autocluster_interval') as number
  assert.ok(interval <= 2000, `autocluster interval short: ${interval} ms`)
  // The loader knows the plugins' keys: a misspelt one in this file would fail it, naming the key.
  assert.throws(() => loadTekkaConfig({ config: { overrides: { 'cluster.etcd.prefx': 'x' }, env: {}, cwd: ROOT } }),
    (e: unknown) => e instanceof ConfigError && /cluster\.etcd\.prefx/.test(e.message))
  // The README quotes the file: the settings it shows are the file's.
  for (const line of readFileSync(join(SRC, 'tekka.conf'), 'utf8').split('\n').filter((l) => /^[a-z]/.test(l))) {
    assert.ok(README.includes(line.trim()), `README shows ${line.trim()}`)
  }
})

test('the README\'s command: three tekka nodes form one cluster through etcd; their keys are listed, then gone; nothing is left', async () => {
  const base = await ports.freePortRange(4)
  const run = start(['--base-port', String(base)])
  const { code, out } = await finish(run)
  assert.is(code, 0, `exit code\n${run.proc.output()}`)

  const etcdPid = /^run: etcd serving http:\/\/127\.0\.0\.1:\d+ \(pid (\d+)\)$/m.exec(out)
  assert.ok(etcdPid !== null, `etcd started\n${out}`)
  for (const n of NODES) {
    assert.match(out, new RegExp(`^run: tekka --name ${n} --config examples/etcd/tekka\\.conf \\(pid \\d+, port ${nodePort(n, base)}\\)$`, 'm'))
  }
  // Every node sees the same cluster of the same three running nodes.
  const views = [...out.matchAll(/^run: (\S+) sees cluster (\S+): running (.*); leader (\S+)$/gm)]
  assert.equal(views.map((v) => v[1]), NODES, out)
  for (const v of views) {
    assert.is(v[2], 'etcd-example')
    assert.equal((v[3]).split(', ').sort(), NODES)
    assert.ok(NODES.includes(v[4]), `leader ${v[4]} is one of the nodes`)
  }
  assert.is(new Set(views.map((v) => v[4])).size, 1, 'one leader for all')
  assert.match(out, /^run: one cluster of 3 nodes, [\d.]+ s after the first node started$/m)
  // `tekka ctl cluster status` as an operator reads it: three members, all up.
  assert.is([...out.matchAll(/^ {4}node\d@127\.0\.0\.1 +up +[0-9a-f]{32}$/gm)].length, 3, out)

  // The keys in etcd: one per node, value its name, each under a lease of its own.
  const listed = /^run: etcd keys under tekka-example\/ \((\d+)\):\n((?: {2}.*\n?)*)/m.exec(out)
  assert.ok(listed !== null, `keys listed\n${out}`)
  const keys = (listed[2]).split('\n').filter((l) => l !== '').map((l) => /^ {2}(\S+) = (\S+)(?: \(lease ([0-9a-f]+)\))?$/.exec(l))
  const nodeKeys = keys.filter((k) => k !== null && (k[1]).includes('/nodes/')) as RegExpExecArray[]
  assert.equal(nodeKeys.map((k) => k[1]), NODES.map((n) => `tekka-example/etcd-example/nodes/${n}`))
  assert.equal(nodeKeys.map((k) => k[2]), NODES)
  assert.ok(nodeKeys.every((k) => k[3] !== undefined), 'each key is under a lease')
  assert.is(new Set(nodeKeys.map((k) => k[3])).size, 3, 'three distinct leases')

  for (const n of NODES) assert.match(out, new RegExp(`^run: ${n} \\(pid \\d+\\) exited with code 0$`, 'm'))
  assert.match(out, /^run: etcd keys under tekka-example\/ now: none/m)
  assert.match(out, /^run: etcd \(pid \d+\) exited/m)
  assert.match(out, /^run: done$/m)
  assert.is(run.pids.length, 4, 'etcd and three nodes')
  assertNothingLeft(run, out)
})

test('Ctrl-C while the nodes are clustering: everything started is stopped, exit 0', async () => {
  const base = await ports.freePortRange(4)
  const run = start(['--base-port', String(base)])
  await run.proc.waitForLine(/^run: waiting for one cluster/, 30_000)
  run.proc.kill('SIGINT')
  const { code, out } = await finish(run)
  assert.is(code, 0, run.proc.output())
  assert.match(out, /^run: SIGINT: stopping$/m)
  assert.match(out, /^run: stopping the nodes \(SIGTERM\)[\s\S]*^run: stopping etcd \(SIGTERM\)[\s\S]*^run: done$/m)
  assert.is(run.pids.length, 4, out)
  assertNothingLeft(run, out)
})

test('run.js killed with SIGKILL: the nodes (stdin guard) and etcd (watchdog) end by themselves, the directory goes', async () => {
  const base = await ports.freePortRange(4)
  const run = start(['--base-port', String(base)])
  await run.proc.waitForLine(/^run: waiting for one cluster/, 30_000)
  run.proc.kill('SIGKILL')
  const { out } = await finish(run)
  assert.is(run.pids.length, 4, out)
  // The node guards act at once, the etcd watchdog within a second, and it removes the directory 5 s later.
  await eventually(() => { assertNothingLeft(run, out) }, { timeout: 15_000, interval: 250, message: 'nothing left after run.js was killed' })
})

test('without etcd on PATH: says how to install it, exit 1, nothing started', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'tekka-no-etcd-'))
  const unhook = exitHooks.onExit(() => { rmSync(empty, { recursive: true, force: true }) })
  try {
    const run = start([], { PATH: empty })
    const { code, out } = await finish(run, 30_000)
    assert.is(code, 1, run.proc.output())
    assert.match(out, /^run: etcd is not installed: there is no `etcd` on PATH/m)
    assert.match(out, /^run: {3}Debian, Ubuntu: sudo apt-get install etcd-server$/m)
    assert.match(out, /etcd 3\.4 or later/)
    assert.not.match(out, /temporary directory|tekka --name/)
    assert.equal(run.pids, [])
  } finally {
    rmSync(empty, { recursive: true, force: true })
    unhook()
  }
})

test('etcd\'s port taken: etcd cannot start, exit 1 naming why, no node started, nothing left', async () => {
  const port = await ports.freePort()
  const srv = await occupy(port)
  try {
    const run = start(['--etcd-port', String(port), '--base-port', String(await ports.freePortRange(4))])
    const { code, out } = await finish(run, 40_000)
    assert.is(code, 1, run.proc.output())
    assert.match(out, /^run: failed: etcd exited \(code \d+\) while starting:/m)
    assert.match(out, /address already in use/)
    assert.not.match(out, /tekka --name/)
    assertNothingLeft(run, out)
  } finally {
    srv.close()
  }
})

test('a node\'s port taken: that node exits, the run fails with exit 1, the other nodes and etcd are stopped', async () => {
  const base = await ports.freePortRange(4)
  const srv = await occupy(nodePort('node2@127.0.0.1', base))
  try {
    const run = start(['--base-port', String(base)])
    const { code, out } = await finish(run)
    assert.is(code, 1, run.proc.output())
    assert.match(out, /^run: failed: node2@127\.0\.0\.1 exited \(code 1\)/m)
    assert.match(out, /port \d+ on 127\.0\.0\.1 is in use/)
    for (const n of NODES) assert.match(out, new RegExp(`^run: ${n} \\(pid \\d+\\) exited `, 'm'))
    assert.match(out, /^run: stopping etcd \(SIGTERM\)$/m)
    assert.match(out, /^run: failed$/m)
    assertNothingLeft(run, out)
  } finally {
    srv.close()
  }
})

test('an unknown option: exit 2, nothing started', async () => {
  const run = start(['--bogus'])
  const { code } = await finish(run, 30_000)
  assert.is(code, 2)
  assert.match(run.proc.output('stderr'), /unknown option --bogus/)
  assert.equal(run.pids, [])
})

test.run()
