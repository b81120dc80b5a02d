// The plugin the `tekka` command loads: it owns the discovery keys, builds
// the strategy cluster.discovery names and runs the autocluster actor with
// cluster.autocluster_interval; a strategy it does not have is refused
// at start, naming the key and the value. Also through the real command.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { silentLogger } from '@tekka/actors'
import { ConfigError, KNOWN_PLUGINS, isTekkaPlugin, loadConfig, startNode, type DistNode } from '@tekka/dist'
import { plugin } from '../src/index.js'
import { TEKKA_BIN as BIN } from '@tekka/testing/procs'
import * as ports from '@tekka/testing/ports'

const base = await ports.freePortRange(4)
let node: DistNode
test.before(async () => { node = await startNode({ name: 'p1@127.0.0.1', cookie: 'plugin', basePort: base, logger: silentLogger() }) })
test.after(async () => { await node.stop() })

const config = (over: Record<string, unknown>) => loadConfig({ env: {}, overrides: { 'node.name': 'p1@127.0.0.1', ...over } })

test('a tekka plugin owning the keys the command gives it', () => {
  assert.ok(isTekkaPlugin(plugin))
  assert.is(plugin.name, '@tekka/discovery')
  assert.equal(plugin.configKeys, KNOWN_PLUGINS.find((p) => p.name === '@tekka/discovery')?.configKeys)
})

test('static: the seeds and the interval of the config; ctl commands while it runs', async () => {
  const inst = await plugin.start(node, config({ 'cluster.discovery': 'static', 'cluster.static.seeds': 'p1@127.0.0.1,p2@127.0.0.1,not a node', 'cluster.autocluster_interval': '250ms' }))
  try {
    assert.is(inst.autocluster.strategy.name, 'static')
    assert.is(inst.autocluster.interval, 250)
    assert.equal(await inst.autocluster.strategy.discover(), ['p2@127.0.0.1'])
    const st = await node.ctl.run(['autocluster', 'status'], { json: true })
    assert.ok(st.ok)
    assert.is((st.json as { strategy: string }).strategy, 'static')
  } finally {
    await inst.stop()
    await inst.stop()
  }
  const gone = await node.ctl.run(['autocluster', 'status'], { json: false })
  assert.not.ok(gone.ok, 'commands unregistered on stop')
})

test('manual: nothing to discover, done at once', async () => {
  const inst = await plugin.start(node, config({}))
  try {
    assert.is(inst.autocluster.strategy.name, 'manual')
    await new Promise<void>((resolve) => { if (inst.autocluster.state === 'complete') resolve(); else inst.autocluster.once('complete', () => { resolve() }) })
    assert.equal(node.membership.nodelist(), [node.name])
  } finally {
    await inst.stop()
  }
})

test('a strategy this version does not have: refused at start, naming the key and the value', async () => {
  // Every value the config accepts has a strategy now; one it could not know of still gets a clear refusal.
  for (const kind of ['consul']) {
    try {
      const c = config({})
      await plugin.start(node, { ...c, cluster: { ...c.cluster, discovery: kind as 'manual' } })
      assert.unreachable(kind)
    } catch (err) {
      assert.instance(err, ConfigError)
      assert.is((err as ConfigError).key, 'cluster.discovery')
      assert.match((err as Error).message, `cluster.discovery = ${kind} is not a discovery strategy (manual, static, dns, etcd, k8s or mdns)`)
    }
  }
  const r = await node.ctl.run(['autocluster', 'status'], { json: false })
  assert.not.ok(r.ok, 'nothing left behind')
})

test('the tekka command refuses an unknown cluster.discovery, naming the key, the value and what is allowed, exit code 1', () => {
  const r = spawnSync(process.execPath, [BIN, '--name', 'p3@127.0.0.1', '--cookie', 'c', '--set', `node.dist_base_port=${base}`, '--set', 'cluster.discovery=consul'],
    { encoding: 'utf8', timeout: 20_000, env: { ...process.env, TEKKA_LOG: 'error' } })
  assert.is(r.status, 1, r.stdout + r.stderr)
  assert.match(r.stderr, 'cluster.discovery: "consul" is not allowed (manual | static | dns | etcd | k8s | mdns)')
})

test.run()
