// A failed leader / quorum / all acquire gives back what it took: the nodes
// that granted it release it, and so do the ones that answered too late.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { eventually, sleep } from '@tekka/testing/wait'
import { acquire, buildRing, findNodes, lockerInfo } from '../src/index.js'
import { inProcess, owner, startCluster, stopAll, type TestNode } from './helpers/cluster.js'

let nodes: TestNode[]

/** The calls of the slow piggyback on c3: whether c3's table held the lock when it began (a grant comes before its piggyback), and when it returned. */
const slowCalls: Array<{ resource: string, grantedFirst: boolean, returned: Promise<void> }> = []

test.before(async () => {
  nodes = await startCluster()
  // Slow on c3 only: its grant's answer comes after the caller gave up.
  for (const n of nodes) {
    n.node.register('pf.slow', async (resource: string) => {
      if (!n.name.startsWith('c3')) return n.name
      let returned!: () => void
      slowCalls.push({ resource, grantedFirst: tableHas(n, resource), returned: new Promise<void>((resolve) => { returned = resolve }) })
      try {
        await sleep(1500)
      } finally {
        returned()
      }
      return n.name
    })
  }
})
test.after(async () => { await stopAll() })

const tableHas = (n: TestNode, resource: string): boolean => lockerInfo(n.node)?.locks.some((l) => l.resource === resource) === true
const byName = (name: string): TestNode => nodes.find((n) => n.name === name)!
const slowCall = async (resource: string): Promise<typeof slowCalls[number]> =>
  await eventually(() => slowCalls.find((x) => x.resource === resource) ?? false, { timeout: 3000, message: `c3 runs the piggyback of ${resource}` })

test('quorum: one replica refuses (held there), the other\'s grant is given back', async () => {
  const ring = buildRing(nodes.map((n) => n.name))
  const resource = 'pf-quorum'
  const [x, y] = findNodes(resource, ring).map(byName)
  // Another owner holds the resource in x's table (a local lock: the same table, as in ekka).
  const blocker = owner(x)
  assert.is((await blocker.acquire(resource, 'local')).ok, true)
  const asker = nodes.find((n) => n !== x && n !== y) ?? y
  const r = await inProcess(asker, async (ctx) => await acquire(ctx, resource, 'quorum'))
  assert.is(r.ok, false)
  assert.is(r.reason, 'held')
  assert.ok(r.nodes.includes(x.name))
  await eventually(() => !tableHas(y, resource), { timeout: 3000, message: `${y.name} gave its grant back` })
  assert.ok(tableHas(x, resource), 'the blocker keeps its lock')
  await blocker.exit()
})

test('all: one node refuses, every other node releases', async () => {
  const blocker = owner(nodes[2])
  assert.is((await blocker.acquire('pf-all', 'local')).ok, true)
  const r = await inProcess(nodes[0], async (ctx) => await acquire(ctx, 'pf-all', 'all'))
  assert.is(r.ok, false)
  assert.equal(r.nodes, [nodes[2].name])
  await eventually(() => !tableHas(nodes[0], 'pf-all') && !tableHas(nodes[1], 'pf-all'), { timeout: 3000, message: 'released on a1 and b2' })
  await blocker.exit()
})

test('a replica that answers after the timeout: the acquire fails and its late grant is released too', async () => {
  const c3 = nodes[2]
  // The owner stays alive: its death would free its locks anyway.
  const o = owner(nodes[0])
  const r = await o.acquireWith('pf-late', 'all', { fn: 'pf.slow', args: ['pf-late'] }, 500)
  assert.is(r.ok, false)
  assert.is(r.reason, 'timeout')
  assert.equal(r.nodes, [c3.name])
  const late = await slowCall('pf-late')
  assert.ok(late.grantedFirst, 'c3 had granted the lock (its answer was what came late)')
  // The asker does not wait for c3's answer to give its grant back.
  await eventually(() => !tableHas(c3, 'pf-late'), { timeout: 3000, message: 'c3 released its late grant' })
  // c3's answer comes once its piggyback returns; nothing is taken again then.
  await late.returned
  for (const n of nodes) assert.not.ok(tableHas(n, 'pf-late'), `${n.name}: nothing left behind`)
  assert.is(lockerInfo(nodes[0].node)!.holdings.length, 0, 'the asker holds nothing')
  const again = await inProcess(nodes[1], async (ctx) => await acquire(ctx, 'pf-late', 'all'))
  assert.is(again.ok, true, 'another owner gets it on every node')
  assert.equal([...again.nodes].sort(), nodes.map((n) => n.name).sort())
  assert.ok(o.alive)
  await o.exit()
})

test('a failed re-acquire releases the lock (as ekka): the caller no longer holds it anywhere', async () => {
  const o = owner(nodes[0])
  assert.is((await o.acquire('pf-re', 'all')).ok, true)
  assert.ok(nodes.every((n) => tableHas(n, 'pf-re')))
  const r = await o.acquire('pf-re', 'all')
  assert.is(r.ok, true, 'a plain re-acquire succeeds')
  // This re-acquire fails: c3 answers too late ...
  const failed = await o.acquireWith('pf-re', 'all', { fn: 'pf.slow', args: ['pf-re'] }, 500)
  assert.is(failed.ok, false)
  assert.is(failed.reason, 'timeout')
  // ... so the lock is given back everywhere, c3's late grant included, and the owner holds nothing.
  assert.is(lockerInfo(nodes[0].node)!.holdings.length, 0)
  await eventually(() => nodes.every((n) => !tableHas(n, 'pf-re')), { timeout: 3000, message: 'released on every node' })
  await (await slowCall('pf-re')).returned
  for (const n of nodes) assert.not.ok(tableHas(n, 'pf-re'), `${n.name}: released`)
  assert.ok(o.alive, 'the owner lives: a failed acquire is not a lost lock')
  const other = owner(nodes[1])
  const taken = await other.acquire('pf-re', 'all')
  assert.is(taken.ok, true, 'another owner gets it on every node')
  await other.exit()
  await o.exit()
})

test.run()
