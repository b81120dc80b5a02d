// The mdns strategy passes the strategy compliance suite, on real multicast.
// The suite starts its nodes in this process on 127.0.0.1, and their
// strategies open mDNS sockets: so this file re-runs itself inside a
// namespace of its own with only `lo` (up, multicast-capable), where the
// nodes multicast among themselves and nowhere else. The inner run's uvu
// summary is what the test runner reads; a failure or a hang inside (killed
// after 4 minutes) fails this file.
import { fileURLToPath } from 'node:url'
import { mdnsStrategy } from '../src/index.js'
import { strategyCompliance } from '@tekka/testing/compliance/strategy'
import { createNamespace, netnsProblem, relayInNetns } from '@tekka/testing/netns'

const INNER = 'TEKKA_TEST_MDNS_COMPLIANCE_INNER'

if (process.env[INNER] === '1') {
  strategyCompliance({
    name: 'mdns',
    factory: mdnsStrategy,
    // Nodes become known by registering (announcing); a short window keeps the suite quick.
    init: () => ({ browseWindow: 300 })
  })
} else {
  const problem = netnsProblem()
  if (problem !== undefined) throw new Error(`the mdns compliance suite needs a network namespace: ${problem}`)
  const ns = createNamespace()
  try {
    process.exitCode = await relayInNetns(ns.ns, fileURLToPath(import.meta.url), { env: { [INNER]: '1' } })
  } finally {
    ns.destroy()
  }
}
