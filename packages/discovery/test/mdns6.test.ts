// The mdns strategy over IPv6 (ff02::fb), on real multicast confined to
// private networks of namespaces (@tekka/testing/netns): one network with
// IPv6 only (no IPv4 address, no IPv4 multicast route: nothing but IPv6 can
// carry an answer), and one with both, for `cluster.mdns.family = both`.
// As in mdns.test.ts, each node is an agent process inside its namespace
// (support/mdns-agent.ts); this process only talks to them over stdio.
//
// It shows: nodes named by their IPv6 addresses find each other with the
// default family (auto), and a node named by a host name with family ipv6
// is found too; the answers carry the node's AAAA record; an IPv4 node on
// that network hears nobody; malformed announcements and undecodable
// packets sent to ff02::fb are left out and logged once each with what is
// wrong, and the node goes on discovering; an IPv6 address on no interface
// fails start with the reason and the next call works once it is there;
// with both, a node hears IPv4 and IPv6 nodes, and is heard by each; with
// both where IPv6 cannot be opened (a namespace with only lo), start fails
// naming it and the IPv4 socket opened meanwhile is closed again.
import { spawnSync } from 'node:child_process'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { BadArgError, silentLogger, systemClock } from '@tekka/actors'
import { mdnsStrategy } from '../src/index.js'
import { targetHost } from '../src/mdns-records.js'
import * as wait from '@tekka/testing/wait'
import { createNamespace, createNetwork, ip, netnsProblem, type Network } from '@tekka/testing/netns'
import { AgentCallError, startAgent, type Agent } from './support/mdns-agents.js'

const problem = netnsProblem()
if (problem !== undefined) throw new Error(`mdns tests need network namespaces: ${problem}`)

const WINDOW = 400
let net: Network
let dual: Network
let lo: { ns: string, destroy(): void }
const agents: Agent[] = []
const agent = async (ns: string, spec: Parameters<typeof startAgent>[1]): Promise<Agent> => {
  const a = await startAgent(ns, { browseWindow: WINDOW, ...spec })
  agents.push(a)
  return a
}
let a: Agent, b: Agent

test.before(async () => {
  net = createNetwork({ hosts: 4, family: 'ipv6' })
  dual = createNetwork({ hosts: 3, family: 'both' })
  lo = createNamespace()
  const h = net.hosts
  ;[a, b] = await Promise.all([
    agent(h[0].ns, { node: 'n1@fd77::11' }),
    agent(h[1].ns, { node: 'n2@fd77::12' })
  ])
})

test.after(async () => {
  await Promise.all(agents.map(async (x) => { await x.stop() }))
  lo?.destroy()
  dual?.destroy()
  net?.destroy()
})

test('a bad family, and an IPv6 interface with family ipv4, are refused before any socket is opened', () => {
  const c = { node: 'x1@fd77::99', cluster: 'tekka', port: 4371, clock: systemClock(), logger: silentLogger(), signal: new AbortController().signal }
  assert.throws(() => mdnsStrategy({ family: 'ipv5' as 'ipv4' }), (e: Error) => e instanceof BadArgError && /family must be one of auto, ipv4, ipv6, both, got "ipv5"/.test(e.message))
  assert.throws(() => mdnsStrategy({ family: 'ipv4', interface: 'fd77::11' }), (e: Error) => e instanceof BadArgError && /IPv4 address with family ipv4, got "fd77::11"/.test(e.message))
  assert.is(mdnsStrategy({ family: 'both', interface: 'fd77::11' })(c).name, 'mdns')
})

test('on an IPv6-only network, nodes named by their IPv6 addresses find each other (family auto); a host-named node with family ipv6 too', async () => {
  const c = await agent(net.hosts[2].ns, { node: 'h3@node-three', family: 'ipv6' })
  assert.equal(await a.discover(), [], 'nobody announced yet')
  await Promise.all([a.call('register'), b.call('register'), c.call('register')])
  const all = ['h3@node-three', 'n1@fd77::11', 'n2@fd77::12']
  assert.equal(await a.discover(), all)
  assert.equal(await b.discover(), all)
  assert.equal(await c.discover(), all)
  // Where each one is, as it says: the interface of its address; the host-named one the first with IPv6.
  assert.ok(a.logs().some((l) => /mdns socket open on interface eth0 \(of fd77::11\)/.test(l.msg)), JSON.stringify(a.logs().map((l) => l.msg)))
  assert.ok(c.logs().some((l) => /mdns socket open on interface eth0 \(the first with an IPv6 address\)/.test(l.msg)))
  await c.stop()
})

test('the answers carry the node\'s AAAA record; an IPv4 node on the IPv6-only network hears nobody', async () => {
  const listener = await agent(net.hosts[3].ns, { node: 'l4@fd77::14' })
  const heard = await listener.call<Array<[string, string, string]>>('listen', { for: 600 })
  const aaaa = (node: string, addr: string): boolean => heard.some(([name, type, data]) => name === targetHost(node) && type === 'AAAA' && data === addr)
  assert.ok(aaaa('n1@fd77::11', 'fd77::11'), `n1's AAAA heard: ${JSON.stringify(heard)}`)
  assert.ok(aaaa('n2@fd77::12', 'fd77::12'), 'n2\'s AAAA heard')
  assert.ok(heard.some(([, type, data]) => type === 'TXT' && data === 'node=n1@fd77::11 cluster=tekka'), 'n1\'s TXT names it by its IPv6 address')
  assert.not.ok(heard.some(([, type]) => type === 'A'), 'no A record: the network has no IPv4 address')
  await listener.stop()

  const v4 = await agent(net.hosts[3].ns, { node: 'v4@fd77::14', family: 'ipv4' })
  await v4.call('register')
  assert.equal(await v4.discover(), ['v4@fd77::14'], 'IPv4 hears only itself')
  assert.equal(await a.discover(), ['n1@fd77::11', 'n2@fd77::12'], 'and is not heard over IPv6')
  await v4.stop()
})

const ptr = (instance: string): Record<string, unknown> => ({ name: '_tekka._tcp.local', type: 'PTR', ttl: 120, data: instance })
const txt = (instance: string, data: string[]): Record<string, unknown> => ({ name: instance, type: 'TXT', ttl: 120, data })
const aaaa = (target: string): Record<string, unknown> => ({ name: target, type: 'AAAA', ttl: 120, data: 'fd77::99' })

test('malformed IPv6 answers and undecodable packets on ff02::fb are left out and logged once each with what is wrong; the node goes on', async () => {
  const sender = await agent(net.hosts[3].ns, { node: 'r0@fd77::14' })
  const packets = [
    { answers: [ptr('good._tekka._tcp.local')], additionals: [txt('good._tekka._tcp.local', ['node=r9@fd77::99', 'cluster=tekka']), aaaa('raw.local')] },
    { answers: [ptr('badv6._tekka._tcp.local')], additionals: [txt('badv6._tekka._tcp.local', ['node=r8@fd77:::99', 'cluster=tekka'])] },
    { answers: [ptr('nonode._tekka._tcp.local')], additionals: [txt('nonode._tekka._tcp.local', ['cluster=tekka']), aaaa('raw.local')] },
    { answers: [ptr('notxt._tekka._tcp.local')], additionals: [aaaa('raw.local')] }
  ]
  const sending = [
    await sender.sending('raw', { packets, for: 3 * WINDOW, every: 100 }),
    await sender.sending('garbage', { for: 3 * WINDOW, every: 100 })
  ]
  assert.equal(await a.discover(), ['n1@fd77::11', 'n2@fd77::12', 'r9@fd77::99'])
  for (const s of sending) await s.done
  const warns = a.logs().filter((l) => l.level === 'warn')
  const once = (instance: string, what: RegExp): void => {
    const msgs = warns.filter((l) => l.fields?.instance === instance).map((l) => l.msg)
    assert.is(msgs.length, 1, `${instance} logged once: ${JSON.stringify(msgs)}`)
    assert.match(msgs[0], what)
  }
  once('badv6._tekka._tcp.local', /node="r8@fd77:::99" is not a node name: host "fd77:::99" is neither a hostname nor an IP address/)
  once('nonode._tekka._tcp.local', /no node=/)
  once('notxt._tekka._tcp.local', /no TXT record/)
  const junk = warns.filter((l) => l.msg.includes('malformed packet'))
  assert.is(junk.length, 1, `the undecodable packet logged once: ${JSON.stringify(junk)}`)
  assert.match(junk[0].msg, /on interface eth0 \(of fd77::11\)/)
  // The node goes on: the next round hears the nodes there are, and none of the bad ones.
  assert.equal(await a.discover(), ['n1@fd77::11', 'n2@fd77::12'])
  await sender.stop()
})

test('an IPv6 address on no interface fails start with the reason; once it is there, the next call works', async () => {
  const h = net.hosts[3]
  const e = await agent(h.ns, { node: 'n5@fd77::50' })
  const err = await wait.rejects(e.call('start'), AgentCallError, /cannot listen on UDP port 5353 and join ff02::fb on the interface of fd77::50: no interface has the address fd77::50/)
  assert.is(err.remoteCode, 'ERR_MDNS_SOCKET')
  ip('-n', h.ns, 'addr', 'add', 'fd77::50/64', 'dev', 'eth0', 'nodad')
  await e.call('register')
  assert.equal(await e.discover(), ['n1@fd77::11', 'n2@fd77::12', 'n5@fd77::50'])
  assert.equal(await a.discover(), ['n1@fd77::11', 'n2@fd77::12', 'n5@fd77::50'])
  await e.stop()
})

test('family both: a node hears IPv4 and IPv6 nodes and is heard by each; each single-family node hears its own family only', async () => {
  const [h1, h2, h3] = dual.hosts
  const [v4, v6, both] = await Promise.all([
    agent(h1.ns, { node: 'm1@10.77.0.11', family: 'ipv4' }),
    agent(h2.ns, { node: `m2@${h2.ip6 ?? ''}` }),
    agent(h3.ns, { node: 'm3@10.77.0.13', family: 'both' })
  ])
  await Promise.all([v4.call('register'), v6.call('register'), both.call('register')])
  assert.equal(await both.discover(), ['m1@10.77.0.11', 'm2@fd77::12', 'm3@10.77.0.13'])
  assert.equal(await v4.discover(), ['m1@10.77.0.11', 'm3@10.77.0.13'])
  assert.equal(await v6.discover(), ['m2@fd77::12', 'm3@10.77.0.13'])
  assert.ok(both.logs().some((l) => /mdns socket open on the interface of 10\.77\.0\.13 and interface eth0 \(of 10\.77\.0\.13\)/.test(l.msg)))
  // Withdrawn, it is gone from both families.
  await both.call('unregister')
  assert.equal(await v4.discover(), ['m1@10.77.0.11'])
  assert.equal(await v6.discover(), ['m2@fd77::12'])
  await Promise.all([v4.stop(), v6.stop(), both.stop()])
})

test('family both where IPv6 cannot be opened: start fails naming it, the IPv4 socket is closed again, and every call says so', async () => {
  // Only lo, and ::1 is loopback: no interface to send ff02::fb on. IPv4 opens (on lo's 127.0.0.1).
  const p = await agent(lo.ns, { node: 'p1@host-one', family: 'both' })
  const why = /join ff02::fb on the first interface with an IPv6 address: no interface has an IPv6 address/
  const err = await wait.rejects(p.call('start'), AgentCallError, why)
  assert.is(err.remoteCode, 'ERR_MDNS_SOCKET')
  const ss = spawnSync('ip', ['netns', 'exec', lo.ns, 'ss', '-Hauln', 'sport = :5353'], { encoding: 'utf8' })
  assert.is(ss.status, 0, ss.stderr)
  assert.is(ss.stdout.trim(), '', 'the IPv4 socket opened with it is closed again')
  await wait.rejects(p.call('register'), AgentCallError, why)
  await wait.rejects(p.call('discover'), AgentCallError, why)
  // The same node on IPv4 alone works there.
  await p.call('make', { key: 'v4', node: 'p1@host-one', family: 'ipv4', browseWindow: WINDOW })
  await p.call('register', { key: 'v4' })
  assert.equal(await p.discover('v4'), ['p1@host-one'])
  await p.stop()
})

test.run()
