// The management endpoint of a node started by the `tekka` command (a real
// process): `--http-port 0` prints where it listens and the four GETs
// answer; the graceful leave of a Kubernetes pod: with
// management.leave_on_stop, SIGTERM makes the node leave its cluster, then
// exit 0, and its peer no longer lists it; without it, the peer keeps it
// as a member that is down (a failure, not a leave).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import parse from 'parse-prometheus-text-format'
import { spawnNode, stopAll, TEKKA_BIN, type NodeProcess } from '@tekka/testing/procs'
import { freePortRange } from '@tekka/testing/ports'
import { eventually } from '@tekka/testing/wait'
import { request } from './helpers/managed.js'

test.after(async () => { await stopAll('SIGKILL') })

async function startNodeProcess (name: string, base: number, extra: string[] = []): Promise<{ p: NodeProcess, url: string }> {
  const p = spawnNode({
    entry: TEKKA_BIN,
    env: { TEKKA_LOG: 'info' },
    args: ['--name', name, '--cookie', 'c', '--http-port', '0', '--set', `node.dist_base_port=${base}`, '--set', `node.data_dir=${mkdtempSync(join(tmpdir(), 'tekka-mgmt-cli-'))}`, ...extra]
  })
  const m = await p.waitForLine(/tekka: management endpoint (http:\/\/127\.0\.0\.1:\d+)$/, 15_000)
  return { p, url: m[1] }
}

const members = async (url: string): Promise<Array<[string, string]>> =>
  ((await request(url, '/cluster')).json.status.members as Array<{ node: string, status: string }>).map((m) => [m.node, m.status])

test('--http-port 0: the command prints the endpoint, and the four GETs answer', async () => {
  const base = await freePortRange(2)
  const { p, url } = await startNodeProcess('h1@127.0.0.1', base)
  try {
    const alive = await request(url, '/health/alive')
    assert.equal([alive.status, alive.json], [200, { alive: true, node: 'h1@127.0.0.1' }])
    // Manual discovery expects nobody else: ready once its first round is done.
    await eventually(async () => (await request(url, '/health/ready')).status === 200, { timeout: 10_000 })
    const cluster = await request(url, '/cluster')
    assert.is(cluster.status, 200)
    assert.equal(await members(url), [['h1@127.0.0.1', 'up']])
    const metrics = await request(url, '/metrics')
    assert.is(metrics.status, 200)
    const names = parse(metrics.text).map((f) => f.name)
    for (const n of ['tekka_cluster_members', 'tekka_dist_nodeup_total', 'tekka_processes', 'tekka_event_loop_lag_seconds']) assert.ok(names.includes(n), n)
  } finally {
    p.kill('SIGTERM')
    await p.exited
  }
})

for (const leave of [true, false]) {
  test(`SIGTERM with management.leave_on_stop=${leave ? 'on: the node leaves, exits 0, and its peer no longer lists it' : 'off: the peer keeps it as a member that is down'}`, async () => {
    const base = await freePortRange(3)
    const seeds = 'k1@127.0.0.1,k2@127.0.0.1'
    const opts = ['--set', 'cluster.discovery=static', '--set', `cluster.static.seeds=${seeds}`, '--set', 'cluster.autocluster_interval=300ms', '--set', `management.leave_on_stop=${leave ? 'on' : 'off'}`]
    const n1 = await startNodeProcess('k1@127.0.0.1', base, opts)
    const n2 = await startNodeProcess('k2@127.0.0.1', base, opts)
    for (const n of [n1, n2]) await eventually(async () => (await request(n.url, '/health/ready')).status === 200, { timeout: 20_000, message: 'both ready' })
    assert.equal((await members(n1.url)).sort(), [['k1@127.0.0.1', 'up'], ['k2@127.0.0.1', 'up']])
    n2.p.kill('SIGTERM')
    const exit = await n2.p.exited
    assert.equal(exit, { code: 0, signal: null }, n2.p.output())
    if (leave) {
      assert.match(n2.p.output('stderr'), /left the cluster before stopping/)
      assert.equal(await members(n1.url), [['k1@127.0.0.1', 'up']], 'k2 left: k1 no longer lists it')
      assert.is((await request(n1.url, '/health/ready')).status, 200, 'k1 stays ready')
    } else {
      await eventually(async () => JSON.stringify((await members(n1.url)).sort()) === JSON.stringify([['k1@127.0.0.1', 'up'], ['k2@127.0.0.1', 'down']]), { timeout: 10_000, message: 'k1 keeps k2 as down' })
    }
    n1.p.kill('SIGTERM')
    assert.is((await n1.p.exited).code, 0)
  })
}

test.run()
