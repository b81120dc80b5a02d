// The lock types across nodes in one process (real sockets): where each
// lock lives, conflicts across nodes, release, and what happens with nodes
// down: quorum needs a majority of the resource's replica set (computed over
// every member, up or down), leader needs the oldest member, all takes the
// members that are up.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { buildRing, findNodes, lockerInfo, type LockType } from '../src/index.js'
import { eventually } from '@tekka/testing/wait'
import { owner, startCluster, stopAll, stopNode, type TestNode } from './helpers/cluster.js'

test.after.each(async () => { await stopAll() })

const tableHas = (n: TestNode, resource: string): boolean => lockerInfo(n.node)?.locks.some((l) => l.resource === resource) === true

test('leader: in the table of the oldest member only; conflicts across nodes; release', async () => {
  const [a, b, c] = await startCluster()
  assert.is(b.node.membership.leader(), a.name)
  const ob = owner(b)
  const oc = owner(c)
  const r = await ob.acquire('job', 'leader')
  assert.is(r.ok, true, JSON.stringify(r))
  assert.equal(r.nodes, [a.name])
  assert.ok(tableHas(a, 'job'))
  assert.not.ok(tableHas(b, 'job'))
  const r2 = await oc.acquire('job', 'leader')
  assert.is(r2.ok, false)
  assert.is(r2.reason, 'held')
  assert.equal(r2.nodes, [a.name])
  assert.equal(await ob.release('job', 'leader'), { ok: true, nodes: [a.name] })
  const r3 = await oc.acquire('job', 'leader')
  assert.is(r3.ok, true)
  assert.ok(r3.token! > r.token!)
})

test('quorum: in the tables of the resource\'s replica set; conflicts from any node', async () => {
  const nodes = await startCluster()
  const all = nodes.map((n) => n.name)
  const set = findNodes('orders/42', buildRing(all))
  assert.is(set.length, 2, 'three members: a replica set of two')
  const o1 = owner(nodes[0])
  const r = await o1.acquire('orders/42', 'quorum')
  assert.is(r.ok, true, JSON.stringify(r))
  assert.equal([...r.nodes].sort(), [...set].sort())
  for (const n of nodes) assert.is(tableHas(n, 'orders/42'), set.includes(n.name), `${n.name} table`)
  for (const n of nodes) {
    const o = owner(n)
    const x = await o.acquire('orders/42', 'quorum')
    assert.is(x.ok, false, `${n.name} cannot take it`)
    assert.is(x.reason, 'held')
    await o.exit()
  }
  assert.is((await o1.release('orders/42', 'quorum')).ok, true)
  for (const n of nodes) assert.not.ok(tableHas(n, 'orders/42'))
})

test('all: every member that is up; then without a stopped member', async () => {
  const [a, b, c] = await startCluster()
  const oa = owner(a)
  const r = await oa.acquire('everywhere', 'all')
  assert.is(r.ok, true)
  assert.equal([...r.nodes].sort(), [a.name, b.name, c.name].sort())
  const ob = owner(b)
  assert.is((await ob.acquire('everywhere', 'all')).ok, false)
  assert.is((await oa.release('everywhere', 'all')).ok, true)
  await stopNode(c)
  await eventually(() => !a.node.membership.nodelist('up').includes(c.name) && !b.node.membership.nodelist('up').includes(c.name), { timeout: 5000, message: 'c3 seen down' })
  const r2 = await ob.acquire('everywhere', 'all')
  assert.is(r2.ok, true, 'all: only the members up are asked (not partition-safe)')
  assert.equal([...r2.nodes].sort(), [a.name, b.name].sort())
})

test('quorum with five members: a majority of the replica set is enough; two replicas down is not', async () => {
  const nodes = await startCluster({ names: ['a1', 'b2', 'c3', 'd4', 'e5'] })
  const names = nodes.map((n) => n.name)
  const ring = buildRing(names)
  // Stop one member; find a resource that has it as a replica, and one that has it and another stopped member.
  const victim = nodes[4]
  await stopNode(victim)
  const survivor = nodes[0]
  let one: string | undefined
  for (let i = 0; one === undefined; i++) {
    const set = findNodes(`r${i}`, ring)
    if (set.includes(victim.name) && !set.includes(survivor.name)) one = `r${i}`
  }
  const o = owner(survivor)
  const r = await o.acquire(one, 'quorum')
  assert.is(r.ok, true, `2 of 3 replicas: ${JSON.stringify(r)}`)
  assert.is(r.nodes.length, 2)
  assert.not.ok(r.nodes.includes(victim.name))
  assert.is((await o.release(one, 'quorum')).ok, false, 'release: the stopped replica did not answer')

  const second = nodes[3]
  await stopNode(second)
  let two: string | undefined
  for (let i = 0; two === undefined; i++) {
    const set = findNodes(`s${i}`, ring)
    if (set.includes(victim.name) && set.includes(second.name)) two = `s${i}`
  }
  const r2 = await o.acquire(two, 'quorum')
  assert.is(r2.ok, false)
  assert.is(r2.reason, 'unreachable')
  assert.ok(r2.nodes.includes(victim.name) && r2.nodes.includes(second.name))
  for (const n of nodes.slice(0, 3)) assert.not.ok(tableHas(n, two), `${n.name}: a failed acquire leaves nothing behind`)
})

test('leader down: no other member takes over (the leader is the oldest of all members, up or down)', async () => {
  const [a, b] = await startCluster()
  await stopNode(a)
  const ob = owner(b)
  const r = await ob.acquire('job', 'leader')
  assert.is(r.ok, false)
  assert.is(r.reason, 'unreachable')
  assert.equal(r.nodes, [a.name])
  assert.is(b.node.membership.leader(), a.name)
})

test('every type, re-acquired by its owner, succeeds with a larger token', async () => {
  const [a] = await startCluster()
  const o = owner(a)
  for (const type of ['local', 'leader', 'quorum', 'all'] as LockType[]) {
    const r1 = await o.acquire(`re-${type}`, type)
    const r2 = await o.acquire(`re-${type}`, type)
    assert.is(r1.ok && r2.ok, true, type)
    assert.ok(r2.token! > r1.token!, `${type}: ${r2.token} > ${r1.token}`)
    assert.is((await o.release(`re-${type}`, type)).ok, true)
  }
})

test.run()
