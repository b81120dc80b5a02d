// The dns strategy passes the strategy compliance suite, against a real DNS
// server: dnsmasq on a loopback port with an A record for each running node
// (`tekka@127.0.0.2` .. `tekka@127.0.0.4` listen on those addresses).
import { dnsStrategy } from '../src/index.js'
import { strategyCompliance } from '@tekka/testing/compliance/strategy'
import { Dnsmasq } from '@tekka/testing/dnsmasq'

const NAME = 'nodes.tekka.test'
let dns: Dnsmasq | undefined

strategyCompliance({
  name: 'dns',
  factory: dnsStrategy,
  nodeName: (i) => `tekka@127.0.0.${i + 2}`,
  async setup (nodes) {
    dns = await Dnsmasq.start({ a: { [NAME]: nodes.map((n) => n.slice(n.indexOf('@') + 1)) } })
  },
  async teardown () { await dns?.destroy() },
  init: () => ({ name: NAME, app: 'tekka', type: 'a' as const, servers: ['127.0.0.1'], port: dns?.port ?? 53, timeout: 2000, attemptTimeout: 500 })
})
