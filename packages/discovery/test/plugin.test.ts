// The plugin through its contract (dist's TekkaPlugin): its name, what it
// is for, its error table (every code rebuilt as its class), and start /
// stop on real nodes: the strategy cluster.discovery names, run by the
// autocluster actor with cluster.autocluster_interval, its ctl commands
// while it runs and gone after; a strategy it does not have, or mdns on a
// node that listens on no port, refused at start naming the key, with
// nothing left behind. Also the real `tekka` command refusing an unknown
// strategy. (The section's keys, defaults and values: config.test.ts.)
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { errorClassOf, nextEvent, silentLogger } from '@tekka/actors'
import { ConfigError, distConfig, loadConfig, startNode, type DistNode } from '@tekka/dist'
import { DISCOVERY_ERRORS, plugin, type DiscoverySettings } from '../src/index.js'
import { TEKKA_BIN as BIN } from '@tekka/testing/procs'
import * as ports from '@tekka/testing/ports'
import * as wait from '@tekka/testing/wait'

const base = await ports.freePortRange(4)
let node: DistNode
test.before(async () => { node = await startNode({ name: 'p1@127.0.0.1', cookie: 'plugin', basePort: base, logger: silentLogger() }) })
test.after(async () => { await node.stop() })

const settings = (over: Record<string, unknown>): DiscoverySettings =>
  plugin.config.read(loadConfig({ sections: [distConfig, plugin.config], env: {}, overrides: { 'node.name': 'p1@127.0.0.1', ...over } }))

test('the contract: name, description, its section, its errors (each code rebuilt as its class)', () => {
  assert.is(plugin.name, '@tekka/discovery')
  assert.is(plugin.description, 'cluster discovery')
  assert.is(plugin.config.owner, '@tekka/discovery')
  assert.type(plugin.start, 'function')
  assert.is(plugin.errors, DISCOVERY_ERRORS)
  const codes = Object.keys(DISCOVERY_ERRORS)
  assert.ok(codes.length >= 18, 'every discovery error is in the table')
  for (const [code, Class] of Object.entries(DISCOVERY_ERRORS)) {
    assert.is(errorClassOf(code), Class, `${code} is registered as ${Class.name}`)
    assert.match(code, /^ERR_[A-Z0-9_]+$/)
  }
})

test('static: the seeds and the interval of the config; ctl commands while it runs, gone after; stop twice', async () => {
  const started = nextEvent(node.events, 'autocluster.started', { timeout: 5000 })
  const inst = await plugin.start(node.components, settings({ 'cluster.discovery': 'static', 'cluster.static.seeds': 'p1@127.0.0.1,p2@127.0.0.1,not a node', 'cluster.autocluster_interval': '250ms' }))
  try {
    assert.is(inst.autocluster.strategy.name, 'static')
    assert.is(inst.autocluster.interval, 250)
    const e = await started
    assert.equal([e.strategy, e.interval, e.enabled], ['static', 250, true])
    assert.equal(await inst.autocluster.strategy.discover(), ['p2@127.0.0.1'])
    const st = await node.ctl.run(['autocluster', 'status'], { json: true })
    assert.ok(st.ok)
    assert.is((st.json as { strategy: string }).strategy, 'static')
  } finally {
    await inst.stop()
    await inst.stop()
  }
  assert.is(inst.autocluster.state, 'stopped')
  const gone = await node.ctl.run(['autocluster', 'status'], { json: false })
  assert.not.ok(gone.ok, 'commands unregistered on stop')
})

test('manual: nothing to discover, done at once (autocluster.complete)', async () => {
  const complete = nextEvent(node.events, 'autocluster.complete', { timeout: 5000 })
  const inst = await plugin.start(node.components, settings({}))
  try {
    assert.is(inst.autocluster.strategy.name, 'manual')
    const e = await complete
    assert.equal(e.members, [node.name])
    assert.is(inst.autocluster.state, 'complete')
    assert.equal(node.membership.nodelist(), [node.name])
  } finally {
    await inst.stop()
  }
})

test('a strategy the plugin does not have: refused at start, naming the key, the value and the strategies there are; nothing left behind', async () => {
  const e = await wait.rejects(Promise.resolve().then(async () => await plugin.start(node.components, { discovery: 'consul', interval: 1000, init: {} })), ConfigError,
    'cluster.discovery = consul is not a discovery strategy (manual, static, dns, etcd, k8s or mdns)')
  assert.is(e.key, 'cluster.discovery')
  const r = await node.ctl.run(['autocluster', 'status'], { json: false })
  assert.not.ok(r.ok, 'nothing left behind')
})

test('mdns on a node that listens on no port: refused at start, naming cluster.discovery', async () => {
  const client = await startNode({ name: 'p2@127.0.0.1', cookie: 'plugin', basePort: base, listen: false, logger: silentLogger() })
  try {
    const s = settings({ 'cluster.discovery': 'mdns' })
    const e = await wait.rejects(Promise.resolve().then(async () => await plugin.start(client.components, s)), ConfigError, 'cluster.discovery = mdns needs a node that listens on a port: p2@127.0.0.1 is client-only')
    assert.is(e.key, 'cluster.discovery')
    assert.not.ok((await client.ctl.run(['autocluster', 'status'], { json: false })).ok, 'nothing left behind')
  } finally {
    await client.stop()
  }
})

test('the tekka command refuses an unknown cluster.discovery, naming the key, the value and what is allowed, exit code 1', () => {
  const r = spawnSync(process.execPath, [BIN, '--name', 'p3@127.0.0.1', '--cookie', 'c', '--set', `node.dist_base_port=${base}`, '--set', 'cluster.discovery=consul'],
    { encoding: 'utf8', timeout: 20_000, env: { ...process.env, TEKKA_LOG: 'error' } })
  assert.is(r.status, 1, r.stdout + r.stderr)
  assert.match(r.stderr, 'cluster.discovery: "consul" is not allowed (manual | static | dns | etcd | k8s | mdns)')
})

test.run()
