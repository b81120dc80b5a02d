/**
 * The cluster demo's iptables partitions (`--partition iptables`, the
 * default as root): the DROP rules are in place while the cluster is cut,
 * and gone however the run ends: Ctrl-C (SIGINT) or SIGTERM during the
 * cut, and a run that fails during the cut (a node killed from outside).
 * The normal end is checked by cluster-demo.test.ts (as root its default
 * run cuts with iptables), and here by the chain check after each run.
 *
 * Needs root and an iptables whose DROP rules take effect: without them
 * every test here fails, saying what is missing (system tier).
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { chainName, listTekkaChains, requireIptables } from '@tekka/testing/iptables'
import { pidAlive as alive } from '@tekka/testing/procs'
import { killAtExit } from '@tekka/testing/exit-hooks'
import * as ports from '@tekka/testing/ports'
import * as procs from '@tekka/testing/procs'
import type { NodeProcess } from '@tekka/testing/procs'
import { eventually, withTimeout } from '@tekka/testing/wait'

const MAIN = fileURLToPath(new URL('../cluster-demo/main.js', import.meta.url))
const NODE = /^\+[\d.]+s\s+node-up\s+(demo\d@127\.0\.0\.5\d) pid (\d+) listening on/
const nodePids: number[] = []
killAtExit(nodePids)

let bin = ''
test.before(async () => { bin = await requireIptables("the cluster demo's iptables partitions") })

async function startCut (args: string[] = []): Promise<{ demo: NodeProcess, pids: number[] }> {
  const base = await ports.freePortRange(4)
  const demo = procs.spawnNode({ entry: MAIN, args: ['--no-ui', '--partition', 'iptables', '--cut', '60', '--base-port', String(base), ...args], name: 'cluster-demo', env: { NO_COLOR: '1' } })
  await demo.waitForLine(/^\+[\d.]+s\s+partition cut demo\d.* iptables DROP rules between /, 90_000)
  const pids = demo.output('stdout').split('\n').map((l) => NODE.exec(l)).filter((m) => m !== null).map((m) => Number(m[2]))
  nodePids.push(...pids)
  return { demo, pids }
}

/** The demo's chain (the iptables helper's, named for the demo's pid), and its DROP rules between the nodes' addresses. */
function rulesOf (pid: number): string[] {
  const r = spawnSync(bin, ['-w', '10', '-S', chainName(pid)], { encoding: 'utf8' })
  return r.status === 0 ? r.stdout.split('\n').filter((l) => l.startsWith('-A ')) : []
}

async function noChainOf (pid: number): Promise<void> {
  await eventually(() => { assert.equal(listTekkaChains().filter((c) => c.pid === pid), [], `the demo's chain is left: ${JSON.stringify(rulesOf(pid))}`) }, { timeout: 5000, interval: 200 })
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  test(`${sig} while the cluster is cut: the rules are removed, every node stopped, exit 0`, async () => {
    const { demo, pids } = await startCut()
    const rules = rulesOf(demo.pid)
    assert.ok(rules.some((r) => /-s 127\.0\.0\.5\d\/32 -d 127\.0\.0\.5\d\/32 .*-j DROP/.test(r)), `DROP rules between the nodes' addresses while cut: ${JSON.stringify(rules)}`)
    demo.kill(sig)
    const exit = await withTimeout(demo.exited, 30_000, 'the demo to exit')
    assert.is(exit.code, 0, demo.output())
    assert.match(demo.output('stdout'), /all nodes stopped; 0 of the 4 tekka processes started are left; exit 0/)
    await noChainOf(demo.pid)
    assert.equal(pids.filter(alive), [])
  })
}

test('a run that fails while the cluster is cut (a node killed from outside) removes the rules and exits 1, saying what happened', async () => {
  const { demo, pids } = await startCut()
  assert.ok(rulesOf(demo.pid).length > 0, 'rules while cut')
  const out = demo.output('stdout')
  const minority = /partition cut .* \| (demo\d)(?:, demo\d)*: /.exec(out)![1]
  // Its last incarnation (it may be the node the script killed and restarted before).
  const pid = Number([...out.matchAll(new RegExp(`node-up\\s+${minority}@\\S+ pid (\\d+)`, 'g'))].at(-1)![1])
  process.kill(pid, 'SIGKILL')
  const exit = await withTimeout(demo.exited, 30_000, 'the demo to exit')
  assert.is(exit.code, 1, demo.output())
  assert.match(demo.output('stdout'), new RegExp(`error\\s+${minority}@127\\.0\\.0\\.5\\d exited while the cluster was cut \\(SIGKILL\\)`))
  assert.match(demo.output('stdout'), /partition cut removed\n/)
  await noChainOf(demo.pid)
  assert.equal(pids.filter(alive), [])
})

test.run()
