// The plugin and the service's lifecycle on real nodes in this process (TCP on
// loopback): config keys, start and stop (both safe twice, stop undoes
// everything), supervision of the node monitor, option checks, and one heal
// end to end over real sockets (links dropped with disconnect, not iptables).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { silentLogger } from '@tekka/actors'
import { KNOWN_PLUGINS, isTekkaPlugin, loadConfig, loadPlugins, startNode, type DistNode } from '@tekka/dist'
import { HealOptionError, HealService, MONITOR_NAME, RPC, SUPERVISOR_NAME, heal, healOptions, plugin } from '../src/index.js'
import * as ports from '@tekka/testing/ports'
import * as wait from '@tekka/testing/wait'

const started: DistNode[] = []
async function node (name: string, base: number): Promise<DistNode> {
  const n = await startNode({ name, cookie: 'hc', basePort: base, tickTime: 1000, logger: silentLogger(), membership: { antiEntropy: 500, reconnect: 300 } })
  started.push(n)
  return n
}
test.after.each(async () => { await Promise.all(started.splice(0).map(async (n) => await n.stop())) })

test('the plugin: its name and keys are the ones the tekka command knows, and the command loads it', async () => {
  assert.ok(isTekkaPlugin(plugin))
  const known = KNOWN_PLUGINS.find((k) => k.name === '@tekka/heal')!
  assert.equal([...plugin.configKeys], [...known.configKeys])
  assert.is(plugin.name, '@tekka/heal')
  const loaded = await loadPlugins(silentLogger())
  assert.ok(loaded.some((p) => p.name === '@tekka/heal'), 'installed and loaded')
})

test('options: defaults as ekka; bad values are refused', () => {
  const o = healOptions()
  assert.is(o.autoheal, true)
  assert.is(o.delay, 15_000)
  assert.is(o.autoclean, 300_000)
  assert.throws(() => healOptions({ delay: -1 }), (e: unknown) => e instanceof HealOptionError && e.code === 'ERR_HEAL_OPTION' && e.option === 'delay')
  assert.throws(() => healOptions({ rpcTimeout: 0 }), /rpcTimeout/)
  assert.throws(() => healOptions({ autoclean: Number.NaN }), /autoclean/)
})

test('start and stop: RPCs, monitor and supervisor come and go; both are safe twice; config keys are read', async () => {
  const base = await ports.freePortRange(2)
  const n = await node('a1@127.0.0.1', base)
  const config = loadConfig({ env: {}, overrides: { 'node.name': n.name, 'cluster.autoheal': 'off', 'cluster.autoheal_delay': '2s', 'cluster.autoclean': '0' } })
  const inst = await plugin.start(n, config)
  assert.ok(n.rpc.registered().includes(RPC.view))
  assert.ok(n.runtime.whereis(MONITOR_NAME) !== undefined)
  assert.ok(n.runtime.whereis(SUPERVISOR_NAME) !== undefined)
  const view = await n.call<{ node: string, running: string[] }>(n.name, RPC.view)
  assert.is(view.node, n.name)
  assert.equal(view.running, [n.name])
  await inst.stop()
  await inst.stop()
  assert.not.ok(n.rpc.registered().some((f) => f.startsWith('tekka.heal.')), 'RPCs unregistered')
  assert.is(n.runtime.whereis(MONITOR_NAME), undefined)
  assert.is(n.runtime.whereis(SUPERVISOR_NAME), undefined)
  // The factory, with the keys' values.
  const s = heal({ autoheal: config.cluster.autoheal, delay: config.cluster.autoheal_delay, autoclean: config.cluster.autoclean })({ node: n })
  assert.instance(s, HealService)
  assert.equal({ autoheal: s.opts.autoheal, delay: s.opts.delay, autoclean: s.opts.autoclean }, { autoheal: false, delay: 2000, autoclean: 0 })
  await s.start()
  await s.start()
  assert.is(s.status().autoheal, false)
  await s.stop()
})

test('the node monitor is supervised: killed, it is restarted and keeps what it knew', async () => {
  const base = await ports.freePortRange(3)
  const a = await node('a1@127.0.0.1', base)
  const b = await node('b2@127.0.0.1', base)
  await b.membership.join(a.name)
  const s = heal({ autoheal: false, reconnect: 200 })({ node: a })
  await s.start()
  try {
    s.tracker.record(b.name, 'test')
    const before = a.runtime.whereis(MONITOR_NAME)!
    a.runtime.exit(before, 'kill')
    const after = await wait.eventually(() => {
      const p = a.runtime.whereis(MONITOR_NAME)
      return p !== undefined && !p.equals(before) ? p : false
    }, { timeout: 3000, message: 'monitor restarted' })
    assert.ok(a.runtime.isAlive(after))
    assert.equal(s.partitions(), [b.name])
    assert.equal(a.membership.status().partitions, [b.name])
  } finally {
    await s.stop()
  }
})

test('one heal end to end over TCP: links dropped and back, the node outside the majority restarts its application once', async () => {
  const base = await ports.freePortRange(4)
  const nodes = [await node('a1@127.0.0.1', base), await node('b2@127.0.0.1', base), await node('c3@127.0.0.1', base)]
  const [a, b, c] = nodes as [DistNode, DistNode, DistNode]
  for (const n of [b, c]) await n.membership.join(a.name)
  await wait.eventually(() => nodes.every((n) => n.membership.nodelist('up').length === 3), { timeout: 5000 })
  const services = nodes.map((n) => heal({ delay: 500, reconnect: 200, probeDelay: 100 })({ node: n }))
  for (const [i, n] of nodes.entries()) {
    n.applications.register({ name: `app${i}`, start: () => {}, stop: () => {} }, true)
    await services[i]!.start()
  }
  try {
    // c loses both its links (each side sees the link go), then they come back with the same incarnations.
    c.disconnect(a.name)
    c.disconnect(b.name)
    await wait.eventually(() => a.membership.status().partitions.includes(c.name) && c.membership.status().partitions.length === 2,
      { timeout: 5000, message: 'the partition is recorded on both sides' })
    await wait.eventually(() => nodes.every((n) => n.membership.status().partitions.length === 0) && c.applications.list()[0]!.starts === 2,
      { timeout: 10_000, message: 'healed' })
    assert.is(a.applications.list()[0]!.starts, 1)
    assert.is(b.applications.list()[0]!.starts, 1)
    assert.is(c.applications.list()[0]!.stops, 1)
    assert.equal(c.membership.members().map((m) => m.status), ['up', 'up', 'up'])
  } finally {
    for (const s of services) await s.stop()
  }
})

test.run()
