// The k8s strategy passes the strategy compliance suite: three real nodes,
// tekka@127.0.0.2 .. tekka@127.0.0.4, listed as the ready endpoints of a
// service by the fake API server (HTTPS, bearer token, the service
// account's CA), found with address_type ip.
import { k8sStrategy } from '../src/index.js'
import { strategyCompliance } from '@tekka/testing/compliance/strategy'
import { FakeApiServer, ServiceAccountDir } from '@tekka/testing/k8s-apiserver'

const TOKEN = 'compliance-token'
let fake: FakeApiServer | undefined
let sa: ServiceAccountDir | undefined

strategyCompliance({
  name: 'k8s',
  factory: k8sStrategy,
  nodeName: (i) => `tekka@127.0.0.${i + 2}`,
  async setup (nodes) {
    sa = new ServiceAccountDir({ token: TOKEN })
    fake = await new FakeApiServer({ tokens: [TOKEN], sliceSize: 2 }).start()
    fake.setPods('default', 'tekka', nodes.map((n, i) => ({ ip: n.slice(n.indexOf('@') + 1), hostname: `tekka-${i}` })))
  },
  async teardown () {
    await fake?.close()
    sa?.remove()
  },
  init: () => ({
    apiserver: fake!.url,
    serviceAccountDir: sa!.path,
    serviceName: 'tekka',
    namespace: 'default',
    addressType: 'ip' as const,
    appName: 'tekka',
    timeout: 2000
  })
})
