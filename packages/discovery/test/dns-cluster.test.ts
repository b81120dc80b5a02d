// DNS discovery across real OS processes, as an operator runs it: five
// `tekka` nodes named tekka@127.0.0.2 .. tekka@127.0.0.6 (each listening on
// its own address, all on the same port) with `cluster.discovery = dns`
// pointed at a real DNS server (dnsmasq on loopback, no upstream) that has
// an A record per node form one cluster, and every node reports the same
// `cluster status`; a sixth node, tekka@127.0.0.7, joins once its record is
// added. (SRV and AAAA end to end are dns-srv-cluster.test.ts: SRV targets
// are host names, which the nodes resolve through the system resolver, so
// that test runs in a network namespace whose resolv.conf names its dnsmasq.)
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as ports from '@tekka/testing/ports'
import * as wait from '@tekka/testing/wait'
import { ProcCluster, oneCluster, type NodeSpec } from './support/cluster.js'
import { Dnsmasq } from '@tekka/testing/dnsmasq'

const NAME = 'nodes.tekka.test'
const ip = (i: number): string => `127.0.0.${i}`
const node = (i: number): string => `tekka@${ip(i)}`
const five = [2, 3, 4, 5, 6].map(node)

// Names without trailing digits all get the base port: it must be free on every address.
const base = await ports.freePortRange(1, ['127.0.0.1', ...[2, 3, 4, 5, 6, 7].map(ip)])
const c = new ProcCluster(base)
const dns = await Dnsmasq.start({ a: { [NAME]: [2, 3, 4, 5, 6].map(ip) } })

const spec = (name: string): NodeSpec => ({
  name,
  discovery: 'dns',
  extra: {
    'cluster.dns.name': NAME,
    'cluster.dns.app': 'tekka',
    'cluster.dns.type': 'a',
    'cluster.dns.servers': '127.0.0.1',
    'cluster.dns.port': String(dns.port)
  }
})

test.after(async () => {
  await c.stop()
  await dns.destroy()
})

test('five nodes with A records in DNS form one cluster; every node reports the same status', async () => {
  await Promise.all(five.map(async (n) => await c.start(spec(n))))
  // What the operator sees: `tekka ctl cluster status --json` on each node, the same everywhere.
  const first = await oneCluster(c, five)
  assert.is(first.leader, first.members[0].node, 'the leader is the oldest member')
  const ac = await c.ctl(node(4), ['autocluster', 'status', '--json'])
  assert.is(ac.code, 0, ac.out + ac.err)
  const acs = JSON.parse(ac.out) as { strategy: string, enabled: boolean }
  assert.is(acs.strategy, 'dns')
  assert.ok(acs.enabled)
  await wait.eventually(async () => {
    const r = await c.ctlJson<{ state: string, last?: { discovered: string[] } }>(node(4), ['autocluster', 'status'])
    return r?.state === 'complete' && r.last?.discovered.length === 4
  }, { timeout: 30_000, interval: 300, message: 'autocluster of tekka@127.0.0.4 complete, having discovered the four others' })
})

test('a sixth node joins once its A record is added; every node shows six', async () => {
  await dns.update({ a: { [NAME]: [2, 3, 4, 5, 6, 7].map(ip) } })
  await c.start(spec(node(7)))
  const six = [...five, node(7)]
  await oneCluster(c, six, { timeout: 45_000 })
})

test.run()
