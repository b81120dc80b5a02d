// DNS SRV (and AAAA) discovery end to end, as an operator runs it: real
// `tekka` processes with `cluster.discovery = dns` and a real DNS server
// (dnsmasq, no upstream) that holds SRV records whose targets are host
// names, and the A / AAAA records of those names.
//
// SRV targets are host names (`tekka@n1.tekka.test`): a node dials its
// peers by name, through the system resolver (each binds the address of its
// A record, `node.listen_host`, as they share one port here; a node named
// by a host name would otherwise listen on 0.0.0.0). So this file re-runs itself in a network namespace of its own
// (lo only: 127.0.0.0/8, ::1, two fd00:7e:: addresses and 10.78.0.1) whose
// resolv.conf says `nameserver 127.0.0.1`, where dnsmasq serves on port 53:
// the nodes' getaddrinfo, and their dns strategy with no
// `cluster.dns.servers` (the system's resolvers), ask that dnsmasq.
//
// - SRV: three nodes named for the SRV targets find each other and form one
//   cluster; `autocluster status` shows the names discovered; the SRV port
//   is the one the nodes listen on (the port rule's: tekka dials by name).
// - Bad SRV answers from the real server (port 0, a target that does not
//   exist, only "."): every round fails with the reason in `autocluster
//   status`, the actor keeps polling, and once the records are fixed the
//   nodes form their cluster.
// - AAAA: two nodes named for IPv6 addresses (tekka@fd00:7e::2, ...) form
//   one cluster.
import { connect } from 'node:net'
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as wait from '@tekka/testing/wait'
import { Dnsmasq, type DnsZone, type SrvTarget } from '@tekka/testing/dnsmasq'
import { createNamespace, netnsProblem, relayInNetns } from '@tekka/testing/netns'
import { ProcCluster, autoclusterComplete, oneCluster, type AutoclusterStatus, type NodeSpec } from './support/cluster.js'

const INNER = 'TEKKA_TEST_DNS_SRV_CLUSTER'
const V6 = ['fd00:7e::2', 'fd00:7e::3']

if (process.env[INNER] === undefined) {
  const problem = netnsProblem()
  if (problem !== undefined) throw new Error(`the dns srv cluster test needs network namespaces: ${problem}`)
  // With a global IPv6 address and only loopback IPv4, getaddrinfo's AI_ADDRCONFIG (node's default
  // for connect) would ask AAAA only: one non-loopback IPv4 address makes it ask A too, as on a real host.
  const net = createNamespace({ resolver: '127.0.0.1', addresses: [...V6.map((a) => `${a}/128`), '10.78.0.1/32'] })
  try {
    process.exitCode = await relayInNetns(net.ns, fileURLToPath(import.meta.url), { env: { [INNER]: '1' } })
  } finally {
    net.destroy()
  }
} else {
  const D = 'tekka.test'
  // The namespace is ours: the base port is free on every address.
  const BASE = 4500
  const c = new ProcCluster(BASE)
  const host = (n: string): string => `${n}.${D}`
  const node = (n: string): string => `tekka@${host(n)}`
  const srv = (...targets: Array<string | [string, number]>): SrvTarget[] => targets.map((t) => typeof t === 'string' ? { target: host(t), port: BASE } : { target: host(t[0]), port: t[1] })
  const three = ['n1', 'n2', 'n3']
  const late = ['m1', 'm2']
  const base: DnsZone = {
    a: { [host('n1')]: ['127.0.0.2'], [host('n2')]: ['127.0.0.3'], [host('n3')]: ['127.0.0.4'], [host('m1')]: ['127.0.0.5'], [host('m2')]: ['127.0.0.6'] },
    aaaa: { [host('six')]: V6 },
    srv: {
      [`_tekka._tcp.${D}`]: srv('n1', 'n2', 'n3'),
      // m1's record has port 0, the other target does not exist.
      [`_late._tcp.${D}`]: srv(['m1', 0], 'gone')
    }
  }
  const dns = await Dnsmasq.start(base, { port: 53 })

  const spec = (name: string, extra: Record<string, string>): NodeSpec => ({
    name,
    discovery: 'dns',
    // No cluster.dns.servers: the system's resolvers (resolv.conf: this namespace's dnsmasq).
    extra: { 'cluster.dns.app': 'tekka', ...extra }
  })
  const addressOf = (n: string): string => (base.a ?? {})[host(n)][0]
  const srvSpec = (n: string, srvName: string): NodeSpec => spec(node(n), { 'node.listen_host': addressOf(n), 'cluster.dns.type': 'srv', 'cluster.dns.name': srvName })

  /** Resolves once a TCP connection to host:port opens (something listens there). */
  const reachable = async (h: string, port: number): Promise<void> => {
    await new Promise<void>((resolve, reject) => {
      const sock = connect({ host: h, port }, () => { sock.destroy(); resolve() })
      sock.once('error', (err) => { reject(new Error(`nothing listens on ${h}:${port}: ${err.message}`)) })
    })
  }

  const acStatus = async (n: string): Promise<AutoclusterStatus | undefined> => await c.autoclusterStatus(n)

  test.after(async () => {
    await c.stop()
    await dns.destroy()
  })

  test('SRV: three nodes named for the SRV targets discover each other by name and form one cluster', async () => {
    const names = three.map(node)
    await Promise.all(three.map(async (n) => await c.start(srvSpec(n, `_tekka._tcp.${D}`))))
    // Each listens on its target's address and on the SRV record's port.
    for (const n of three) await reachable(addressOf(n), BASE)
    const view = await oneCluster(c, names)
    assert.equal(view.members.map((m) => m.node).sort(), names)
    await wait.eventually(async () => {
      const st = await acStatus(node('n2'))
      assert.ok(st !== undefined, 'n2 answers')
      assert.is(st.strategy, 'dns')
      assert.is(st.state, 'complete')
      assert.equal([...(st.last?.discovered ?? [])].sort(), [node('n1'), node('n3')], 'the others, by their SRV target names')
    }, { timeout: 30_000, interval: 300, message: 'autocluster of n2 complete, having discovered n1 and n3' })
  })

  test('bad SRV answers (port 0, a target that does not exist, only "."): each round fails saying why, polling goes on, and the fixed records are picked up', async () => {
    const names = late.map(node)
    await Promise.all(late.map(async (n) => await c.start(srvSpec(n, `_late._tcp.${D}`))))
    const failing = async (n: string, ...what: string[]): Promise<void> => {
      await wait.eventually(async () => {
        const st = await acStatus(n)
        assert.ok(st !== undefined, `${n} answers`)
        assert.is(st.state, 'running', 'still polling')
        const err = st.last?.error ?? ''
        for (const w of what) assert.match(err, w)
      }, { timeout: 30_000, interval: 300, message: `the last round of ${n} failed with ${what.join(', ')}` })
    }
    await failing(node('m1'),
      `dns: the SRV answer for _late._tcp.${D} from 127.0.0.1:53 has no node in it`,
      `SRV record of _late._tcp.${D} (target ${host('m1')}, port 0): port 0 is no service's port`,
      `SRV record of _late._tcp.${D} (target ${host('gone')}, port ${BASE}): the target has no address: ${host('gone')} does not exist (NXDOMAIN)`)
    // Only "no such service".
    await dns.update({ ...base, srv: { ...base.srv, [`_late._tcp.${D}`]: [{ target: '.', port: 0 }] } })
    for (const n of late) await failing(node(n), `SRV record of _late._tcp.${D} (target ., port `, 'target "." means there is no such service')
    // Fixed: the next rounds find both, and they form one cluster.
    await dns.update({ ...base, srv: { ...base.srv, [`_late._tcp.${D}`]: srv('m1', 'm2') } })
    await oneCluster(c, names)
    await autoclusterComplete(c, node('m1'))
    // The first cluster is untouched: the groups are apart in DNS.
    await oneCluster(c, three.map(node))
  })

  test('AAAA: two nodes named for IPv6 addresses form one cluster', async () => {
    const names = V6.map((a) => `tekka@${a}`)
    await Promise.all(names.map(async (n) => await c.start(spec(n, { 'cluster.dns.type': 'aaaa', 'cluster.dns.name': host('six') }))))
    await oneCluster(c, names)
    await wait.eventually(async () => {
      const st = await acStatus(names[1])
      assert.is(st?.state, 'complete')
      assert.equal(st?.last?.discovered, [names[0]])
    }, { timeout: 30_000, interval: 300, message: `autocluster of ${names[1]} complete, having discovered ${names[0]}` })
  })

  test.run()
}
