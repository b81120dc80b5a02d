// A lock dies with its owner, wherever the owner is; a lost owner node is
// waited for `grace` ms; and the owner side of rule 1: an owner whose
// leader / quorum lock has fewer live grants than it needs is killed.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { KILL, nextEvent } from '@tekka/actors'
import { eventually } from '@tekka/testing/wait'
import { buildRing, findNodes, lockerInfo } from '../src/index.js'
import { lockerSettled, owner, startCluster, stopAll, stopNode, type TestNode } from './helpers/cluster.js'

test.after.each(async () => { await stopAll() })

const tableHas = (n: TestNode, resource: string): boolean => lockerInfo(n.node)?.locks.some((l) => l.resource === resource) === true

test('a remote owner that dies frees its leader and quorum locks everywhere at once', async () => {
  const nodes = await startCluster()
  const [a, b] = nodes
  const ob = owner(b)
  assert.is((await ob.acquire('L', 'leader')).ok, true)
  assert.is((await ob.acquire('Q', 'quorum')).ok, true)
  assert.ok(tableHas(a, 'L'))
  await ob.exit('crash')
  await eventually(() => nodes.every((n) => !tableHas(n, 'L') && !tableHas(n, 'Q')), { timeout: 5000, message: 'freed everywhere' })
  const oc = owner(nodes[2])
  assert.is((await oc.acquire('L', 'leader')).ok, true)
  assert.is((await oc.acquire('Q', 'quorum')).ok, true)
})

test('the owner\'s node goes away: its locks are kept for grace ms, then freed', async () => {
  // Long enough that the first ask lands inside it even on a loaded machine.
  const GRACE = 2500
  const nodes = await startCluster({ lock: { grace: GRACE } })
  const [a, b, c] = nodes
  const oc = owner(c)
  assert.is((await oc.acquire('L', 'leader')).ok, true)
  const stopped = Date.now()
  await stopNode(c)
  await eventually(() => a.events.some((e) => e.type === 'lock.orphaned'), { timeout: 5000, message: 'orphaned on the leader' })
  const ob = owner(b)
  const refused: string[] = []
  await eventually(async () => {
    const r = await ob.acquire('L', 'leader')
    if (!r.ok) refused.push(`${r.reason} at ${Date.now() - stopped} ms`)
    return r.ok
  }, { timeout: 10_000, interval: 100, message: 'freed after the grace period' })
  assert.ok(refused.length > 0, 'refused at least once inside the grace period')
  assert.equal(refused.filter((r) => !r.startsWith('held ')), [], 'every refusal is held (the orphan keeps it)')
  assert.ok(Date.now() - stopped >= GRACE * 0.9, `not before grace (${Date.now() - stopped} ms)`)
  assert.ok(a.events.some((e) => e.type === 'lock.owner_down' && e.resource === 'L'))
})

test('rule 1: the locker that granted a leader lock dies: the owner is killed (lost)', async () => {
  const [a, b] = await startCluster()
  const ob = owner(b)
  assert.is((await ob.acquire('L', 'leader')).ok, true)
  const leaderLocker = lockerInfo(a.node)!.pid
  a.node.runtime.exit(leaderLocker, KILL)
  await eventually(() => !ob.alive, { timeout: 5000, message: 'owner killed' })
  assert.ok(b.events.some((e) => e.type === 'lock.lost' && e.resource === 'L' && e.lockType === 'leader'), 'lost published on the owner\'s node')
  // The leader's locker came back (supervised), with an empty table.
  await eventually(() => lockerInfo(a.node) !== undefined && !lockerInfo(a.node)!.pid.equals(leaderLocker), { timeout: 5000, message: 'leader locker restarted' })
})

test('rule 1 with five members: losing one of three quorum grants is fine, losing two kills the owner', async () => {
  const nodes = await startCluster({ names: ['a1', 'b2', 'c3', 'd4', 'e5'] })
  const ring = buildRing(nodes.map((n) => n.name))
  const home = nodes[0]
  // A resource whose three replicas are all other nodes.
  let resource: string | undefined
  for (let i = 0; resource === undefined; i++) if (!findNodes(`q${i}`, ring).includes(home.name)) resource = `q${i}`
  const o = owner(home)
  assert.is((await o.acquire(resource, 'quorum')).ok, true)
  // Two grants were enough to answer; the third, arriving later, is added to the lock.
  await eventually(() => lockerInfo(home.node)!.holdings[0]?.grants.length === 3, { timeout: 3000, message: 'three grants recorded' })
  const granted = lockerInfo(home.node)!.holdings[0].grants
  const byName = new Map(nodes.map((n) => [n.name, n]))
  const lost = (): boolean => home.events.some((e) => e.type === 'lock.lost' && e.resource === resource)
  const first = nextEvent(home.node.events, 'dist.nodedown', { match: (e) => e.peer === granted[0], timeout: 5000 })
  await stopNode(byName.get(granted[0])!)
  await first
  await eventually(() => lockerInfo(home.node)!.holdings[0]?.grants.length === 2, { timeout: 5000, message: 'the lost grant is dropped' })
  // Everything the loss of that node sent the locker (the DOWN of its locker, the nodedown) is handled by now.
  await lockerSettled(home)
  assert.ok(o.alive, 'two grants of three left: still a majority')
  assert.not.ok(lost(), 'no lost event')
  assert.equal(lockerInfo(home.node)!.holdings.map((h) => [h.resource, h.grants.length, h.need]), [[resource, 2, 2]])
  await stopNode(byName.get(granted[1])!)
  await eventually(() => !o.alive, { timeout: 5000, message: 'owner killed once the majority is gone' })
  assert.ok(lost(), 'lost published on the owner\'s node')
  assert.is(lockerInfo(home.node)!.holdings.length, 0)
})

test('the owner\'s own locker restarts: remote grants are taken over, the owner lives and can release', async () => {
  const nodes = await startCluster({ names: ['a1', 'b2', 'c3', 'd4', 'e5'] })
  const ring = buildRing(nodes.map((n) => n.name))
  const home = nodes[0]
  // Two resources whose replicas are all other nodes: one to release after the restart, one whose grants the new incarnation must watch.
  const away: string[] = []
  for (let i = 0; away.length < 2; i++) if (!findNodes(`k${i}`, ring).includes(home.name)) away.push(`k${i}`)
  const [released, watched] = away as [string, string]
  const o = owner(home)
  assert.is((await o.acquire(released, 'quorum')).ok, true)
  assert.is((await o.acquire(watched, 'quorum')).ok, true)
  const grantsOf = (resource: string): string[] => lockerInfo(home.node)?.holdings.find((h) => h.resource === resource)?.grants ?? []
  await eventually(() => grantsOf(watched).length === 3, { timeout: 3000, message: 'three grants recorded' })
  const old = lockerInfo(home.node)!.pid
  home.node.runtime.exit(old, KILL)
  await eventually(() => lockerInfo(home.node) !== undefined && !lockerInfo(home.node)!.pid.equals(old), { timeout: 5000, message: 'locker restarted' })
  // The new incarnation took the holdings over in its init, and has handled what it was sent since.
  await lockerSettled(home)
  assert.ok(o.alive, 'the owner keeps its quorum locks')
  assert.not.ok(home.events.some((e) => e.type === 'lock.lost'), 'no lost event')
  assert.equal(lockerInfo(home.node)!.holdings.map((h) => h.resource).sort(), [released, watched].sort(), 'the holdings were taken over')
  const rel = await o.release(released, 'quorum')
  assert.is(rel.ok, true, JSON.stringify(rel))
  for (const n of nodes) assert.not.ok(tableHas(n, released))
  // Taken over means watched again: losing two of the three grants kills the owner (rule 1).
  const byName = new Map(nodes.map((n) => [n.name, n]))
  const [g1, g2] = grantsOf(watched)
  await stopNode(byName.get(g1)!)
  await stopNode(byName.get(g2)!)
  await eventually(() => !o.alive, { timeout: 5000, message: 'owner killed: the new incarnation watched the grants it took over' })
  assert.ok(home.events.some((e) => e.type === 'lock.lost' && e.resource === watched))
})

test.run()
