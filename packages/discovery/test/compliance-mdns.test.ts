// The mdns strategy passes the strategy compliance suite, on real multicast,
// over IPv4 and over IPv6. The suite starts its nodes in this process, and
// their strategies open mDNS sockets: so this file re-runs itself inside
// the one host namespace of a private network with both families, where
// the nodes multicast among themselves and nowhere else; the suite runs
// with nodes on its IPv4 address (10.77.0.11), then on its IPv6 one
// (fd77::11: the default family, auto, is ipv6 there). Not on `lo`: Linux
// does not loop IPv6 multicast back on it. The inner run's uvu summary is
// what the test runner reads; a failure or a hang inside (killed after 4
// minutes) fails this file.
import { fileURLToPath } from 'node:url'
import { mdnsStrategy } from '../src/index.js'
import { strategyCompliance } from '@tekka/testing/compliance/strategy'
import { createNetwork, netnsProblem, relayInNetns, type NetHost } from '@tekka/testing/netns'

const INNER = 'TEKKA_TEST_MDNS_COMPLIANCE_HOST'
const inner = process.env[INNER]

if (inner !== undefined) {
  const host = JSON.parse(inner) as NetHost
  // Nodes become known by registering (announcing); a short window keeps the suite quick.
  const init = (): { browseWindow: number } => ({ browseWindow: 300 })
  strategyCompliance({ name: 'mdns', title: 'mdns over IPv4', factory: mdnsStrategy, nodeName: (i) => `s${i + 1}@${host.ip}`, init })
  strategyCompliance({ name: 'mdns', title: 'mdns over IPv6', factory: mdnsStrategy, nodeName: (i) => `s${i + 1}@${host.ip6 ?? '(no IPv6 address)'}`, init })
} else {
  const problem = netnsProblem()
  if (problem !== undefined) throw new Error(`the mdns compliance suite needs a network namespace: ${problem}`)
  const net = createNetwork({ hosts: 1, family: 'both' })
  try {
    process.exitCode = await relayInNetns(net.hosts[0].ns, fileURLToPath(import.meta.url), { env: { [INNER]: JSON.stringify(net.hosts[0]) } })
  } finally {
    net.destroy()
  }
}
