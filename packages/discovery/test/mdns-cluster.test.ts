// mdns discovery across real OS processes on a real (private) network: six
// host namespaces on one bridge (support/netns.ts), one `tekka` node in
// each, named for its address (n1@10.77.0.11 ...), with
// `cluster.discovery = mdns` and nothing else to go on. Five started
// together form one cluster and every node reports the same status; a sixth
// started later is taken in.
//
// The nodes multicast on their veths only. To reach them over TCP (status
// polls, `tekka ctl`) this file re-runs itself inside the bridge namespace,
// which has an address on the network (10.77.0.1); the inner run's uvu
// summary is the one the runner reads, and a hang inside is killed and fails.
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ProcCluster, autoclusterComplete, oneCluster, type NodeSpec } from './support/cluster.js'
import { createNetwork, netnsProblem, relayInNetns, spawnInNetns, type NetHost } from '@tekka/testing/netns'

const INNER = 'TEKKA_TEST_MDNS_CLUSTER_HOSTS'
const inner = process.env[INNER]

if (inner === undefined) {
  const problem = netnsProblem()
  if (problem !== undefined) throw new Error(`the mdns cluster test needs network namespaces: ${problem}`)
  const net = createNetwork({ hosts: 6 })
  try {
    process.exitCode = await relayInNetns(net.bridge, fileURLToPath(import.meta.url), { env: { [INNER]: JSON.stringify(net.hosts) } })
  } finally {
    net.destroy()
  }
} else {
  const hosts = JSON.parse(inner) as NetHost[]
  // Every node has a namespace of its own: the default ports cannot clash.
  const c = new ProcCluster(4370)
  const name = (i: number): string => `n${i}@${hosts[i - 1].ip}`
  const spec = (i: number): NodeSpec => ({
    name: name(i),
    launch: (o) => spawnInNetns(hosts[i - 1].ns, o),
    discovery: 'mdns',
    interval: '1s',
    extra: { 'cluster.mdns.browse_window': '500ms' }
  })
  const five = [1, 2, 3, 4, 5].map(name)

  test.after(async () => { await c.stop() })

  test('five nodes in five namespaces find each other by mdns and form one cluster; every node reports the same status', async () => {
    await Promise.all([1, 2, 3, 4, 5].map(async (i) => await c.start(spec(i))))
    // What the operator sees: `tekka ctl cluster status --json` on each node, the same everywhere.
    await oneCluster(c, five, { interval: 300 })
    await autoclusterComplete(c, name(4), { strategy: 'mdns' })
  })

  test('a sixth node started later is taken in; every node shows six', async () => {
    await c.start(spec(6))
    const six = [...five, name(6)]
    const first = await oneCluster(c, six, { timeout: 45_000, interval: 300 })
    assert.is(first.members.length, 6)
  })

  test.run()
}
