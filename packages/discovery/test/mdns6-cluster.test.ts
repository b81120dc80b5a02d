// mdns discovery over IPv6 across real OS processes: four host namespaces
// on one bridge with IPv6 addresses only (no IPv4 address, so no IPv4
// multicast: only ff02::fb can carry an announcement), one `tekka` node in
// each, named for its IPv6 address (n1@fd77::11 ...), so it listens on and
// is dialled at that address. `cluster.discovery = mdns` and nothing else:
// the family is the default (auto, ipv6 for such names) on three of them,
// and `cluster.mdns.family = ipv6` on the fourth, started later.
//
// As in mdns-cluster.test.ts, this file re-runs itself inside the bridge
// namespace (fd77::1 on the network) to reach the nodes over TCP for status
// polls and `tekka ctl`.
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ProcCluster, autoclusterComplete, oneCluster, type NodeSpec } from './support/cluster.js'
import { createNetwork, netnsProblem, relayInNetns, spawnInNetns, type NetHost } from '@tekka/testing/netns'

const INNER = 'TEKKA_TEST_MDNS6_CLUSTER_HOSTS'
const inner = process.env[INNER]

if (inner === undefined) {
  const problem = netnsProblem()
  if (problem !== undefined) throw new Error(`the mdns IPv6 cluster test needs network namespaces: ${problem}`)
  const net = createNetwork({ hosts: 4, family: 'ipv6' })
  try {
    process.exitCode = await relayInNetns(net.bridge, fileURLToPath(import.meta.url), { env: { [INNER]: JSON.stringify(net.hosts) } })
  } finally {
    net.destroy()
  }
} else {
  const hosts = JSON.parse(inner) as NetHost[]
  const c = new ProcCluster(4370)
  const name = (i: number): string => `n${i}@${hosts[i - 1].ip6 ?? '(no IPv6 address)'}`
  const spec = (i: number, extra: Record<string, string> = {}): NodeSpec => ({
    name: name(i),
    launch: (o) => spawnInNetns(hosts[i - 1].ns, o),
    discovery: 'mdns',
    interval: '1s',
    extra: { 'cluster.mdns.browse_window': '500ms', ...extra }
  })
  const three = [1, 2, 3].map(name)

  test.after(async () => { await c.stop() })

  test('three nodes named by IPv6 addresses find each other over IPv6 only and form one cluster', async () => {
    assert.is(name(1), 'n1@fd77::11')
    await Promise.all([1, 2, 3].map(async (i) => await c.start(spec(i))))
    await oneCluster(c, three, { interval: 300 })
    await autoclusterComplete(c, name(2), { strategy: 'mdns' })
  })

  test('a fourth with cluster.mdns.family = ipv6, started later, is taken in', async () => {
    await c.start(spec(4, { 'cluster.mdns.family': 'ipv6' }))
    const four = [...three, name(4)]
    const view = await oneCluster(c, four, { timeout: 45_000, interval: 300 })
    assert.equal(view.members.map((m) => m.node).sort(), [...four].sort())
  })

  test.run()
}
