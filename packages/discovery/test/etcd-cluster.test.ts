// etcd discovery across real OS processes (`tekka --config FILE`) and a real
// etcd: five nodes form one cluster and agree on it, each registered in etcd;
// a sixth joins later. etcd going away does not disturb the running cluster,
// and when it comes back (with its data, then empty) every node's key is
// there again. A node killed with kill -9 leaves etcd when its lease expires.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as ports from '@tekka/testing/ports'
import * as wait from '@tekka/testing/wait'
import { ProcCluster, agreed, autoclusterComplete, oneCluster, type NodeSpec } from './support/cluster.js'
import { EtcdServer } from '@tekka/testing/etcd-server'

const base = await ports.freePortRange(8)
const c = new ProcCluster(base)
let etcd: EtcdServer
const name = (i: number): string => `n${i}@127.0.0.1`
const five = [1, 2, 3, 4, 5].map(name)
const six = [...five, name(6)]
const TTL_S = 3
const spec = (n: string): NodeSpec => ({
  name: n,
  discovery: 'etcd',
  // n1's warnings and infos are read below: what an operator sees of an etcd outage.
  ...(n === name(1) ? { log: 'info' as const } : {}),
  extra: { 'cluster.etcd.server': etcd.url, 'cluster.etcd.prefix': 'e2e', 'cluster.etcd.node_ttl': `${TTL_S}s` }
})
/** Node names registered in etcd, sorted. */
const registered = async (): Promise<string[]> => (await etcd.keys('e2e/tekka/nodes/')).map((k) => k.value).sort()

test.before(async () => { etcd = await EtcdServer.start() })
test.after(async () => {
  await c.stop()
  await etcd?.destroy()
})

test('five nodes with etcd discovery form one cluster; every node reports the same status and is registered', async () => {
  await Promise.all(five.map(async (n) => await c.start(spec(n))))
  await oneCluster(c, five)
  await wait.eventually(async () => JSON.stringify(await registered()) === JSON.stringify([...five].sort()), { timeout: 10_000, message: 'five keys in etcd' })
  const keys = await etcd.keys('e2e/tekka/nodes/')
  assert.ok(keys.every((k) => k.key === `e2e/tekka/nodes/${k.value}` && k.lease !== '0'), 'each key is the node name, under a lease')
  const ac = JSON.parse((await c.ctl(name(3), ['autocluster', 'status', '--json'])).out) as { strategy: string }
  assert.is(ac.strategy, 'etcd')
  await autoclusterComplete(c, name(3))
  // Nobody holds the autocluster lock once the joins are done: n3's view is complete, another node
  // may still be releasing the lock it joined under (one request to etcd), so the check waits for that.
  await wait.eventually(async () => (await etcd.keys('e2e/tekka/lock/')).length === 0, { timeout: 10_000, interval: 200, message: 'autocluster lock released' })
})

test('a sixth node joins later; every node shows six, six keys in etcd', async () => {
  await c.start(spec(name(6)))
  await wait.eventually(async () => await agreed(c, six), { timeout: 45_000, interval: 200, message: 'six nodes agree' })
  await wait.eventually(async () => JSON.stringify(await registered()) === JSON.stringify([...six].sort()), { timeout: 10_000, message: 'six keys in etcd' })
})

test('etcd stops: the cluster runs on; etcd back with its data, then back empty: every node registered again', async () => {
  await etcd.stop()
  // Longer than the lease TTL: every lease would have expired by now.
  await wait.sleep((TTL_S + 1) * 1000)
  await agreed(c, six)
  for (const n of six) assert.ok(c.procs.get(n)?.running, `${n} still runs`)
  const n1 = c.procs.get(name(1))!
  const mark = n1.mark()
  await etcd.restart()
  // etcd restarted with its data renews every lease once: the keys are there at first either way; a TTL
  // later they are still there only if the nodes kept their leases alive.
  await n1.waitForLine(/info tekka:discovery:etcd etcd reachable again/, 20_000, { since: mark })
  await wait.sleep((TTL_S + 1) * 1000)
  assert.equal(await registered(), [...six].sort(), 'six keys after etcd came back with its data')
  const oldLeases = new Set((await etcd.keys('e2e/')).map((kv) => kv.lease))
  await etcd.stop()
  await etcd.restart({ fresh: true })
  // A new, empty etcd: nothing of the old data is in it. The nodes may already have registered again
  // by the time it answers (their retry runs every second), but only under leases of the new etcd.
  const carried = (await etcd.keys('e2e/')).filter((kv) => oldLeases.has(kv.lease))
  assert.equal(carried, [], 'no key of the old etcd in the new one')
  await wait.eventually(async () => JSON.stringify(await registered()) === JSON.stringify([...six].sort()), { timeout: 20_000, interval: 200, message: 'six keys in the empty etcd' })
  await agreed(c, six)
  // What the operator of n1 read: the outage once, the lost lease, the new registration.
  const out = n1.output()
  assert.match(out, /warn tekka:discovery:etcd etcd: keeping this node registered failed, retrying every 1000 ms: etcd lease\/keepalive: no server could be reached: http:\/\/127\.0\.0\.1:\d+ \(connection refused\)/)
  assert.match(out, /warn tekka:discovery:etcd etcd: this node is no longer registered: its lease [0-9a-f]+ is gone from etcd/)
  assert.match(out, /info tekka:discovery:etcd etcd: registered again under lease [0-9a-f]+/)
})

test('a node killed with kill -9: its key disappears when its lease expires; the others stay', async () => {
  const n4 = c.procs.get(name(4))!
  n4.kill('SIGKILL')
  await n4.exited
  assert.ok((await registered()).includes(name(4)), 'nobody unregistered it: the key is still there')
  await wait.eventually(async () => !(await registered()).includes(name(4)), { timeout: (TTL_S + 5) * 1000, interval: 200, message: 'n4 key expired' })
  assert.equal(await registered(), six.filter((n) => n !== name(4)).sort())
})

test.run()
