// The lock service as a part of a node: supervised (a killed locker comes
// back), registered as an application (autoheal stops and starts it),
// started by the plugin from the config, and stopping it ends the leader /
// quorum locks its node's owners hold.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { KILL, isDownMessage } from '@tekka/actors'
import { distConfig, loadConfig } from '@tekka/dist'
import { freePortRange } from '@tekka/testing/ports'
import { eventually, rejects } from '@tekka/testing/wait'
import { LOCK_ERRORS, LockerNotRunningError, acquire, lockConfig, lockerInfo, plugin, type LockEvent } from '../src/index.js'
import { inProcess, owner, startCluster, startTestNode, stopAll } from './helpers/cluster.js'

test.after.each(async () => { await stopAll() })

test('supervised: a killed locker is restarted under the same name', async () => {
  const n = await startTestNode('v1', await freePortRange(3))
  const first = n.locks.pid!
  n.node.runtime.exit(first, KILL)
  await eventually(() => n.locks.pid !== undefined && !n.locks.pid.equals(first), { timeout: 5000, message: 'restarted' })
  assert.ok(n.locks.running)
  assert.is((await owner(n).acquire('after-restart')).ok, true)
})

test('an application of the node: stopAll / startAll (what autoheal does) stop and start it', async () => {
  const n = await startTestNode('v2', await freePortRange(3))
  assert.ok(n.node.applications.list().some((a) => a.name === 'lock:tekka_locker' && a.running))
  await n.node.applications.stopAll()
  assert.not.ok(n.locks.running)
  await rejects(inProcess(n, async (ctx) => await acquire(ctx, 'x')), LockerNotRunningError)
  await n.node.applications.startAll()
  assert.ok(n.locks.running)
  assert.is((await owner(n).acquire('x')).ok, true)
  const info = n.node.applications.list().find((a) => a.name === 'lock:tekka_locker')!
  assert.equal([info.starts, info.stops], [2, 1])
  await n.locks.stop()
  await n.locks.stop()
  assert.not.ok(n.node.applications.list().some((a) => a.name === 'lock:tekka_locker'), 'unregistered')
})

test('stopping the service kills the owners of leader / quorum locks on its node (nothing would watch their locks)', async () => {
  const [a, b] = await startCluster()
  const ob = owner(b)
  const local = owner(b)
  assert.is((await ob.acquire('S', 'quorum')).ok, true)
  assert.is((await local.acquire('S-local', 'local')).ok, true)
  await b.locks.stop()
  await eventually(() => !ob.alive, { timeout: 5000, message: 'quorum owner killed' })
  assert.ok(local.alive, 'a local lock owner is left alone (its lock went with the table)')
  await eventually(async () => (await owner(a).acquire('S', 'quorum')).ok, { timeout: 5000, message: 'quorum lock freed' })
})

test('the plugin starts the service from the config (lock.lease, lock.lease_check; lease off)', async () => {
  const n = await startTestNode('v3', await freePortRange(4))
  await n.locks.stop()
  assert.is(plugin.name, '@tekka/lock')
  assert.is(plugin.description, 'the lock service')
  assert.is(plugin.config, lockConfig)
  assert.is(plugin.errors, LOCK_ERRORS)
  assert.equal(lockConfig.keys.map((k) => k.key), ['lock.lease', 'lock.lease_check'])
  const load = (overrides: Record<string, string>): ReturnType<typeof loadConfig> =>
    loadConfig({ sections: [distConfig, lockConfig], env: {}, overrides: { 'node.name': n.name, ...overrides } })
  // Lease off: the service runs without lease checks (lockerConfig turns 0 into Infinity).
  const off = lockConfig.read(load({ 'lock.lease': 'off' }))
  assert.equal(off, { lease: 0, leaseCheck: 30_000 })
  const inst = await plugin.start(n.node.components, off)
  assert.is(inst.config.lease, Infinity)
  assert.ok(lockerInfo(n.node) !== undefined)
  assert.is((await owner(n).acquire('p')).ok, true)
  await inst.stop()
  assert.is(lockerInfo(n.node), undefined)
  // lease_check is 2 × lease unless set.
  assert.equal(lockConfig.read(load({ 'lock.lease': '2s' })), { lease: 2000, leaseCheck: 4000 })
  const set = lockConfig.read(load({ 'lock.lease': '2s', 'lock.lease_check': '500ms' }))
  assert.equal(set, { lease: 2000, leaseCheck: 500 })
  const inst2 = await plugin.start(n.node.components, set)
  assert.equal([inst2.config.lease, inst2.config.leaseCheck], [2000, 500])
  await inst2.stop()
  await inst2.stop()
})

test('events go to a subscribed pid too', async () => {
  const n = await startTestNode('v4', await freePortRange(3))
  const got = await n.node.run(async (ctx) => {
    const unsubscribe = n.locks.subscribe(ctx.self)
    const o = owner(n)
    await o.acquire('ev')
    const ref = ctx.monitor(o.pid)
    ctx.exit(o.pid, KILL)
    await ctx.receive((m) => isDownMessage(m) && m.ref.equals(ref))
    const e = await ctx.receive<LockEvent>((m) => (m as LockEvent).type === 'lock.owner_down', { timeout: 5000 })
    unsubscribe()
    return { e: e as LockEvent, owner: o.pid }
  })
  const e = got.e
  assert.is(e.type, 'lock.owner_down')
  if (e.type !== 'lock.owner_down') return
  assert.is(e.resource, 'ev')
  assert.ok(e.owner.equals(got.owner), 'the owner that died')
  assert.is(e.locker, 'tekka_locker')
  assert.is(e.node, n.name)
})

test.run()
