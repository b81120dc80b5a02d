// The plugin through its contract, on real nodes in this process (TCP on
// loopback): its config section (keys, defaults, bad values refused naming
// the key), start and stop with `plugin.start(node.components, settings)`
// (both safe twice, stop undoes everything), the errors it brings across
// the wire, supervision of the node monitor, option checks, one heal end to
// end over real sockets (links dropped with disconnect, not iptables), and
// the `tekka` command running it in a real process.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { BadArgError, nextEvent, silentLogger } from '@tekka/actors'
import { BadRpcError, ConfigError, distConfig, loadConfig, startNode, type DistNode } from '@tekka/dist'
import { HEAL_ERRORS, HealOptionError, HealRequestError, HealService, MONITOR_NAME, RPC, SUPERVISOR_NAME, heal, healConfig, healOptions, plugin } from '../src/index.js'
import * as ports from '@tekka/testing/ports'
import * as procs from '@tekka/testing/procs'
import * as wait from '@tekka/testing/wait'

const started: DistNode[] = []
async function node (name: string, base: number, hidden = false): Promise<DistNode> {
  const n = await startNode({ name, cookie: 'hc', basePort: base, hidden, tickTime: 1000, logger: silentLogger(), membership: { antiEntropy: 500, reconnect: 300 } })
  started.push(n)
  return n
}
test.after.each(async () => {
  await Promise.all(started.splice(0).map(async (n) => await n.stop()))
  await procs.stopAll()
})

const load = (overrides: Record<string, unknown> = {}): ReturnType<typeof loadConfig> =>
  loadConfig({ sections: [distConfig, healConfig], env: {}, overrides })

test('the plugin: name, description, its errors, and a config section that owns the three heal keys', () => {
  assert.is(plugin.name, '@tekka/heal')
  assert.is(plugin.description, 'autoheal and autoclean')
  assert.is(plugin.config, healConfig)
  assert.is(plugin.errors, HEAL_ERRORS)
  assert.is(HEAL_ERRORS.ERR_HEAL_BAD_REQUEST, HealRequestError)
  assert.is(healConfig.owner, '@tekka/heal')
  assert.equal(healConfig.keys.map((k) => k.key), ['cluster.autoheal', 'cluster.autoheal_delay', 'cluster.autoclean'])
  // dist's own section does not know them: they come with this package.
  assert.throws(() => loadConfig({ sections: [distConfig], env: {}, overrides: { 'cluster.autoheal': 'on' } }), (e: unknown) => e instanceof ConfigError && /cluster\.autoheal/.test(e.message))
})

test('the config section: defaults as ekka, values read as settings, bad values refused naming the key', () => {
  assert.equal(healConfig.read(load()), { autoheal: true, delay: 15_000, autoclean: 300_000 })
  assert.equal(healConfig.read(load({ 'cluster.autoheal': 'off', 'cluster.autoheal_delay': '2s', 'cluster.autoclean': 'off' })), { autoheal: false, delay: 2000, autoclean: 0 })
  assert.equal(healConfig.read(load({ 'cluster.autoheal_delay': 0, 'cluster.autoclean': '10m' })), { autoheal: true, delay: 0, autoclean: 600_000 })
  for (const [key, value] of [['cluster.autoheal', 'maybe'], ['cluster.autoheal_delay', '2h'], ['cluster.autoheal_delay', 'soon'], ['cluster.autoclean', '-5s']] as const) {
    assert.throws(() => load({ [key]: value }), (e: unknown) => e instanceof ConfigError && e.key === key && e.message.startsWith(`${key}:`), `${key} = ${value} refused`)
  }
})

test('options: defaults as ekka; bad values are refused with a HealOptionError naming the option', () => {
  const o = healOptions()
  assert.equal(o, { autoheal: true, delay: 15_000, autoclean: 300_000, reconnect: 1000, probeDelay: 1000, rpcTimeout: 5000, healTimeout: 30_000 })
  const refused = (init: Parameters<typeof healOptions>[0], option: string): void => {
    assert.throws(() => healOptions(init), (e: unknown) => e instanceof HealOptionError && e instanceof BadArgError && e.code === 'ERR_BAD_ARG' && e.argument === option && e.message.includes(option), option)
  }
  refused({ delay: -1 }, 'delay')
  refused({ rpcTimeout: 0 }, 'rpcTimeout')
  refused({ autoclean: Number.NaN }, 'autoclean')
  refused({ autoheal: 'yes' as unknown as boolean }, 'autoheal')
})

test('start and stop through the contract: RPCs, monitor and supervisor come and go; both are safe twice; settings are used', async () => {
  const base = await ports.freePortRange(2)
  const n = await node('a1@127.0.0.1', base)
  const settings = healConfig.read(load({ 'node.name': n.name, 'cluster.autoheal': 'off', 'cluster.autoheal_delay': '2s', 'cluster.autoclean': '0' }))
  const inst = await plugin.start(n.components, settings)
  assert.instance(inst, HealService)
  assert.equal({ autoheal: inst.status().autoheal, delay: inst.status().delay, autoclean: inst.status().autoclean }, { autoheal: false, delay: 2000, autoclean: 0 })
  for (const fn of Object.values(RPC)) assert.ok(n.rpc.registered().includes(fn), `${fn} registered`)
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
  // The factory does the same; start twice is one start.
  const s = heal({ autoheal: false, delay: 2000, autoclean: 0 })(n.components)
  await s.start()
  await s.start()
  const monitor = n.runtime.whereis(MONITOR_NAME)
  assert.ok(monitor !== undefined && s.running)
  await s.stop()
  assert.not.ok(s.running)
  assert.is(n.runtime.whereis(MONITOR_NAME), undefined)
})

test('a malformed request from a peer is refused with a HealRequestError that arrives as itself', async () => {
  const base = await ports.freePortRange(3)
  const a = await node('a1@127.0.0.1', base)
  const b = await node('b2@127.0.0.1', base)
  const s = heal({ reconnect: 200 })(a.components)
  await s.start()
  try {
    const bad = { id: 'x/1/1', leader: b.name, coordinator: a.name, survivors: [a.name], victims: [a.name], tainted: [], splitView: { participants: [], down: [], groups: [] } }
    const err = await wait.rejects(b.call(a.name, RPC.run, [bad]), BadRpcError)
    assert.is(err.code, 'ERR_RPC_EXCEPTION')
    assert.instance(err.remote, HealRequestError)
    assert.is((err.remote as HealRequestError).code, 'ERR_HEAL_BAD_REQUEST')
    assert.match(err.remote!.message, /both survivor and victim/)
    const err2 = await wait.rejects(b.call(a.name, RPC.shutdown, [42, b.name]), BadRpcError)
    assert.instance(err2.remote, HealRequestError)
    assert.equal(a.applications.list().filter((x) => !x.running), [], 'nothing was stopped')
  } finally {
    await s.stop()
  }
})

test('the node monitor is supervised: killed, it is restarted and keeps what it knew', async () => {
  const base = await ports.freePortRange(3)
  const a = await node('a1@127.0.0.1', base)
  const b = await node('b2@127.0.0.1', base)
  await b.membership.join(a.name)
  const s = heal({ autoheal: false, reconnect: 200 })(a.components)
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
  const settings = { ...healConfig.read(load({ 'cluster.autoheal_delay': '500ms' })), reconnect: 200, probeDelay: 100 }
  const services: HealService[] = []
  for (const [i, n] of nodes.entries()) {
    n.applications.register({ name: `app${i}`, start: () => {}, stop: () => {} }, true)
    services.push(await plugin.start(n.components, settings))
  }
  try {
    const decided = nextEvent(a.events, 'heal.decision', { match: (e) => e.decision === 'heal', timeout: 15_000 })
    const rebooted = nextEvent(c.events, 'heal.reboot', { match: (e) => e.phase === 'rebooted', timeout: 15_000 })
    // Awaited below; a heal that never comes must fail the test, not end the process first.
    decided.catch(() => {})
    rebooted.catch(() => {})
    // c loses both its links (each side sees the link go), then they come back with the same incarnations.
    c.disconnect(a.name)
    c.disconnect(b.name)
    await wait.eventually(() => a.membership.status().partitions.includes(c.name) && c.membership.status().partitions.length === 2,
      { timeout: 5000, message: 'the partition is recorded on both sides' })
    await wait.eventually(() => nodes.every((n) => n.membership.status().partitions.length === 0) && c.applications.list()[0].starts === 2,
      { timeout: 10_000, message: 'healed' })
    assert.is(a.applications.list()[0].starts, 1)
    assert.is(b.applications.list()[0].starts, 1)
    assert.is(c.applications.list()[0].stops, 1)
    assert.equal(c.membership.members().map((m) => m.status), ['up', 'up', 'up'])
    const d = await decided
    assert.is(d.node, a.name, 'the leader decided')
    assert.equal(d.plan?.victims, [c.name])
    assert.is((await rebooted).coordinator, a.name)
  } finally {
    for (const s of services) await s.stop()
  }
})

test('the tekka command runs the plugin with its keys, and refuses a bad heal value naming the key', async () => {
  const base = await ports.freePortRange(3)
  const name = 'p1@127.0.0.1'
  const p = procs.spawnNode({
    entry: procs.TEKKA_BIN,
    args: ['--name', name, '--cookie', 'hc', '--set', `node.dist_base_port=${base}`, '--set', 'cluster.autoheal_delay=2s', '--set', 'cluster.autoclean=off'],
    env: { TEKKA_LOG: 'info' },
    name
  })
  await p.waitForLine(/tekka:heal heal started autoheal=true delay=2000 autoclean=0/, 20_000)
  const t = await node('t0@127.0.0.1', base, true)
  const view = await t.call<{ node: string, running: string[] }>(name, RPC.view, [], { timeout: 5000 })
  assert.is(view.node, name, 'the heal service answers on the tekka node')
  await p.stop('SIGTERM', 5000)
  const bad = procs.spawnNode({
    entry: procs.TEKKA_BIN,
    args: ['--name', 'p2@127.0.0.1', '--cookie', 'hc', '--set', `node.dist_base_port=${base}`, '--set', 'cluster.autoheal_delay=2h'],
    name: 'p2'
  })
  const exit = await bad.exited
  assert.is(exit.code, 1)
  assert.match(bad.output(), /cluster\.autoheal_delay: .*2h/)
})

test.run()
