// Static discovery across real OS processes, as an operator runs it: five
// nodes given the same seeds form one cluster and agree on it; a sixth comes
// later and is taken in; a node that leaves is gone everywhere (and does not
// come back by itself); a node killed with kill -9 is down everywhere and,
// restarted with its data dir and no seeds at all, is back by its stored
// member list; force-leave of a down node removes it everywhere.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as ports from '@tekka/testing/ports'
import * as wait from '@tekka/testing/wait'
import { ProcCluster, agreed, autoclusterComplete, oneCluster, operatorSees, type View } from './support/cluster.js'

const base = await ports.freePortRange(8)
const c = new ProcCluster(base)
const name = (i: number): string => `n${i}@127.0.0.1`
const five = [1, 2, 3, 4, 5].map(name)
const seeds = five

test.after(async () => { await c.stop() })

test('five nodes with the same static seeds form one cluster; every node reports the same status', async () => {
  await Promise.all(five.map(async (n) => await c.start({ name: n, seeds })))
  // What the operator sees: `tekka ctl cluster status --json` on each node, the same everywhere.
  const first = await oneCluster(c, five)
  assert.ok(first.members.every((m) => /^[0-9a-f]{32}$/.test(m.guid)))
  assert.is(first.leader, first.members[0].node, 'the leader is the oldest member')
  assert.equal(first.stopped, [])
  const ac = await c.ctl(name(3), ['autocluster', 'status', '--json'])
  assert.is(ac.code, 0)
  const acs = JSON.parse(ac.out) as { strategy: string, enabled: boolean, state: string }
  assert.is(acs.strategy, 'static')
  assert.ok(acs.enabled)
  await autoclusterComplete(c, name(3))
})

test('a sixth node with the same seeds joins later; every node shows six', async () => {
  await c.start({ name: name(6), seeds })
  const six = [...five, name(6)]
  const v = await wait.eventually(async () => await agreed(c, six), { timeout: 45_000, interval: 200, message: 'six nodes agree' })
  assert.is(v.members.length, 6)
  await operatorSees(c, [name(6), ...five], v)
})

test('a node that runs cluster leave disappears from every member list, and stays out', async () => {
  const r = await c.ctl(name(3), ['cluster', 'leave'])
  assert.is(r.code, 0, r.out + r.err)
  const rest = [1, 2, 4, 5, 6].map(name)
  await wait.eventually(async () => await agreed(c, rest), { timeout: 30_000, interval: 200, message: 'n3 gone from the five others' })
  const alone = await c.ctlStatus(name(3))
  assert.equal(alone.members.map((m) => m.node), [name(3)])
  const ac = JSON.parse((await c.ctl(name(3), ['autocluster', 'status', '--json'])).out) as { state: string }
  assert.is(ac.state, 'left', 'the autocluster of a node that left stops')
  // Two autocluster intervals later, nobody has pulled it back in.
  await wait.sleep(2500)
  await agreed(c, rest)
  assert.equal((await c.ctlStatus(name(3))).members.map((m) => m.node), [name(3)])
})

test('a node killed with kill -9 is down everywhere; restarted with its data dir and no seeds, it is up again everywhere', async () => {
  const rest = [1, 4, 5, 6].map(name)
  const n2 = c.procs.get(name(2))!
  n2.kill('SIGKILL')
  await n2.exited
  await wait.eventually(async () => await agreed(c, rest, { down: [name(2)] }), { timeout: 30_000, interval: 200, message: 'n2 down everywhere' })
  // No seeds, no discovery: only the member list stored in its data dir can bring it back.
  await c.start({ name: name(2), discovery: 'manual' })
  const all = [1, 2, 4, 5, 6].map(name)
  const v: View = await wait.eventually(async () => await agreed(c, all), { timeout: 45_000, interval: 200, message: 'n2 up everywhere again' })
  assert.ok(v.members.every((m) => m.status === 'up'))
})

test('cluster force-leave of a down node removes it everywhere', async () => {
  const n4 = c.procs.get(name(4))!
  n4.kill('SIGKILL')
  await n4.exited
  const rest = [1, 2, 5, 6].map(name)
  await wait.eventually(async () => await agreed(c, rest, { down: [name(4)] }), { timeout: 30_000, interval: 200, message: 'n4 down everywhere' })
  const r = await c.ctl(name(1), ['cluster', 'force-leave', name(4)])
  assert.is(r.code, 0, r.out + r.err)
  const v = await wait.eventually(async () => await agreed(c, rest), { timeout: 30_000, interval: 200, message: 'n4 removed everywhere' })
  assert.not.ok(v.members.some((m) => m.node === name(4)), 'no node lists n4')
  await operatorSees(c, rest, v)
})

test.run()
