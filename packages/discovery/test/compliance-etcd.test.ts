// The etcd strategy passes the strategy compliance suite against a real etcd
// (one member on loopback, started for this file).
import { etcdStrategy } from '../src/index.js'
import { strategyCompliance } from '@tekka/testing/compliance/strategy'
import { EtcdServer } from '@tekka/testing/etcd-server'

let etcd: EtcdServer | undefined

strategyCompliance({
  name: 'etcd',
  factory: etcdStrategy,
  // Nodes become known by registering: every node gets the same server and prefix.
  // A short lock wait: the suite's lock() calls that answer false wait it out.
  init: () => ({ server: [etcd?.url ?? 'http://127.0.0.1:1'], prefix: 'compliance', nodeTtl: 5000, lockWait: 300 }),
  async setup () { etcd = await EtcdServer.start() },
  async teardown () { await etcd?.destroy() }
})
