// The mdns strategy on real multicast, confined to a private network of
// namespaces (support/netns.ts): five host namespaces on one bridge, plus
// one namespace with only lo. Each node is an agent process inside its
// namespace (support/mdns-agent.ts) driving a real strategy; this process
// only talks to them over stdio, so nothing here multicasts on the host.
//
// It shows: announcements cross the veths (a node in one namespace hears
// one in another) and not beyond the network; two clusters, and two service
// types, on one network ignore each other; malformed announcements (raw
// packets) are left out and logged once each, naming what is wrong, and the
// agent lives on; a goodbye heard within a window takes the node out, and a
// withdrawn, stopped or killed node is gone from the next discover (no
// cache); a stopped strategy closes its socket and refuses calls until
// started again; an interface that is not there yet, or the port held by a
// socket that will not share it, fails start with the reason, and the next
// call works once that is mended; a query that cannot be sent fails the
// round and the next one works; an aborted discover rejects.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { BadArgError, silentLogger, systemClock } from '@tekka/actors'
import { ConfigError, distConfig, loadConfig } from '@tekka/dist'
import { mdnsStrategy, plugin, strategyFromConfig } from '../src/index.js'
import * as wait from '@tekka/testing/wait'
import { createNamespace, createNetwork, ip, netnsProblem, type Network } from '@tekka/testing/netns'
import { AgentCallError, startAgent, type Agent } from './support/mdns-agents.js'

const problem = netnsProblem()
if (problem !== undefined) throw new Error(`mdns tests need network namespaces: ${problem}`)

const WINDOW = 400
let net: Network
let lo: { ns: string, destroy(): void }
const agents: Agent[] = []
const agent = async (ns: string, spec: Parameters<typeof startAgent>[1]): Promise<Agent> => {
  const a = await startAgent(ns, { browseWindow: WINDOW, ...spec })
  agents.push(a)
  return a
}
let a: Agent, b: Agent

test.before(async () => {
  net = createNetwork({ hosts: 5 })
  lo = createNamespace()
  const h = net.hosts
  ;[a, b] = await Promise.all([
    agent(h[0].ns, { node: 'n1@10.77.0.11' }),
    agent(h[1].ns, { node: 'n2@10.77.0.12' })
  ])
})

test.after(async () => {
  await Promise.all(agents.map(async (x) => { await x.stop() }))
  lo?.destroy()
  net?.destroy()
})

/** The agent's call failed with an error of `code` (undefined: one without a code), its message matching `text`. */
const failsWith = async (p: Promise<unknown>, code: string | undefined, text?: RegExp): Promise<AgentCallError> => {
  const err = await wait.rejects(p, AgentCallError, ...(text === undefined ? [] : [text]))
  assert.is(err.remoteCode, code, err.message)
  return err
}

test('bad init and a client-only node are refused before any socket is opened', () => {
  const c = { node: 'x1@10.77.0.99', cluster: 'tekka', port: 4371, clock: systemClock(), logger: silentLogger(), signal: new AbortController().signal }
  assert.throws(() => mdnsStrategy({ service: 'Tekka_Nodes' }), (e: Error) => e instanceof BadArgError && /service must be/.test(e.message))
  assert.throws(() => mdnsStrategy({ browseWindow: 0 }), (e: Error) => e instanceof BadArgError && /browseWindow/.test(e.message))
  assert.throws(() => mdnsStrategy({ interface: 'eth0' }), (e: Error) => e instanceof BadArgError && /interface must be an IPv4 or IPv6 address/.test(e.message))
  assert.throws(() => mdnsStrategy()({ ...c, port: undefined }), (e: Error) => e instanceof BadArgError && /client-only/.test(e.message))
  const config = loadConfig({ sections: [distConfig, plugin.config], env: {}, overrides: { 'node.name': 'x1@10.77.0.99', 'cluster.discovery': 'mdns', 'cluster.mdns.browse_window': '250ms' } })
  assert.throws(() => strategyFromConfig(config, { ...c, port: undefined }), (e: Error) => e instanceof ConfigError && e.key === 'cluster.discovery' && /client-only/.test(e.message))
  assert.is(strategyFromConfig(config, c).name, 'mdns')
})

test('a node in one namespace hears a node in another across the veths; its own name once announced', async () => {
  assert.equal(await a.discover(), [], 'nobody announced yet')
  await a.call('register')
  await a.call('register') // idempotent
  await b.call('register')
  assert.equal(await a.discover(), ['n1@10.77.0.11', 'n2@10.77.0.12'])
  assert.equal(await b.discover(), ['n1@10.77.0.11', 'n2@10.77.0.12'])
})

test('a namespace with no link to the network hears only itself, and is not heard', async () => {
  const iso = await agent(lo.ns, { node: 'i1@127.0.0.1' })
  await iso.call('register')
  assert.equal(await iso.discover(), ['i1@127.0.0.1'])
  assert.equal(await a.discover(), ['n1@10.77.0.11', 'n2@10.77.0.12'])
  await iso.stop()
})

test('two clusters, and two service types, on one network ignore each other', async () => {
  const h = net.hosts
  const [other, svc] = await Promise.all([
    agent(h[2].ns, { node: 'n3@10.77.0.13', cluster: 'other' }),
    agent(h[3].ns, { node: 'n4@10.77.0.14', service: 'tekka-two' })
  ])
  await other.call('register')
  await svc.call('register')
  assert.equal(await other.discover(), ['n3@10.77.0.13'], 'cluster other hears only itself')
  assert.equal(await svc.discover(), ['n4@10.77.0.14'], 'service tekka-two hears only itself')
  assert.equal(await a.discover(), ['n1@10.77.0.11', 'n2@10.77.0.12'])
  // Another cluster is not an error: said at debug, never warned about.
  assert.ok(a.logs().some((l) => l.level === 'debug' && l.msg.includes('n3@10.77.0.13, of cluster other')))
  assert.not.ok(a.logs().some((l) => l.level !== 'debug' && l.msg.includes('n3@10.77.0.13')))
  await Promise.all([other.stop(), svc.stop()])
})

const ptr = (instance: string, type = '_tekka._tcp.local'): Record<string, unknown> => ({ name: type, type: 'PTR', ttl: 120, data: instance })
const txt = (instance: string, data: string[]): Record<string, unknown> => ({ name: instance, type: 'TXT', ttl: 120, data })
const srv = (instance: string): Record<string, unknown> => ({ name: instance, type: 'SRV', ttl: 120, data: { port: 4399, target: 'raw.local' } })

test('malformed announcements and undecodable packets are left out and logged once each with what is wrong; a good raw one is heard', async () => {
  const sender = await agent(net.hosts[3].ns, { node: 'r0@10.77.0.14' })
  const packets = [
    { answers: [ptr('good._tekka._tcp.local')], additionals: [srv('good._tekka._tcp.local'), txt('good._tekka._tcp.local', ['node=r9@10.77.0.99', 'cluster=tekka'])] },
    { answers: [ptr('nonode._tekka._tcp.local')], additionals: [txt('nonode._tekka._tcp.local', ['cluster=tekka', 'colour=blue'])] },
    { answers: [ptr('badnode._tekka._tcp.local')], additionals: [txt('badnode._tekka._tcp.local', ['node=not a node', 'cluster=tekka'])] },
    { answers: [ptr('nocluster._tekka._tcp.local')], additionals: [txt('nocluster._tekka._tcp.local', ['node=r8@10.77.0.98'])] },
    { answers: [ptr('notxt._tekka._tcp.local')], additionals: [srv('notxt._tekka._tcp.local')] },
    { answers: [ptr('evil._http._tcp.local')], additionals: [txt('evil._http._tcp.local', ['node=r7@10.77.0.97', 'cluster=tekka'])] },
    // Another service type altogether, even with a TXT that looks like ours: not ours, not read.
    { answers: [ptr('printer._ipp._tcp.local', '_ipp._tcp.local')], additionals: [txt('printer._ipp._tcp.local', ['node=r6@10.77.0.96', 'cluster=tekka'])] }
  ]
  for (let round = 0; round < 2; round++) {
    // Both under way before the window opens, and going on well after it closes.
    const sending = [
      await sender.sending('raw', { packets, for: 3 * WINDOW, every: 100 }),
      await sender.sending('garbage', { for: 3 * WINDOW, every: 100 })
    ]
    assert.equal(await a.discover(), ['n1@10.77.0.11', 'n2@10.77.0.12', 'r9@10.77.0.99'], `round ${round}`)
    for (const s of sending) await s.done
  }
  const warns = a.logs().filter((l) => l.level === 'warn')
  const about = (instance: string): string[] => warns.filter((l) => l.fields?.instance === instance).map((l) => l.msg)
  const once = (instance: string, what: RegExp): void => {
    const msgs = about(instance)
    assert.is(msgs.length, 1, `${instance} logged once: ${JSON.stringify(msgs)}`)
    assert.match(msgs[0], what)
  }
  once('nonode._tekka._tcp.local', /no node=/)
  once('badnode._tekka._tcp.local', /node="not a node" is not a node name/)
  once('nocluster._tekka._tcp.local', /r8@10\.77\.0\.98 has no cluster=/)
  once('notxt._tekka._tcp.local', /no TXT record/)
  once('evil._http._tcp.local', /points outside the service type/)
  assert.equal(about('printer._ipp._tcp.local'), [])
  assert.not.ok(warns.some((l) => l.msg.includes('r9@') || l.msg.includes('r6@')), 'the good one and the foreign type are not warned about')
  const junk = warns.filter((l) => l.msg.includes('malformed packet'))
  assert.is(junk.length, 1, `the undecodable packet logged once: ${JSON.stringify(junk)}`)
  // The agent lives on, and the bad instances never became nodes.
  assert.equal(await a.discover(), ['n1@10.77.0.11', 'n2@10.77.0.12'])
  await sender.stop()
})

test('a goodbye heard within the window takes the node out; withdrawn, it is gone from the next discover; registered again, back', async () => {
  await a.call('make', { key: 'slow', node: 'n1@10.77.0.11', browseWindow: 3000 })
  const since = a.proc.mark()
  const slow = a.call<string[]>('discover', { key: 'slow' })
  // Once the slow window has heard b's answer, b says goodbye, well within the window.
  await a.proc.waitForLine(/"key":"slow","level":"debug","msg":"mdns: heard n2@10-77-0-12-/, 2500, { since })
  await b.call('unregister')
  await b.call('unregister') // idempotent
  assert.equal(await slow, ['n1@10.77.0.11'], 'the goodbye undid the answer heard before it')
  assert.equal(await a.discover(), ['n1@10.77.0.11'])
  await b.call('register')
  assert.equal(await a.discover(), ['n1@10.77.0.11', 'n2@10.77.0.12'])
  await a.call('stop', { key: 'slow' })
})

test('a node killed with SIGKILL (no goodbye) is gone from the next discover: nothing is cached', async () => {
  const k = await agent(net.hosts[2].ns, { node: 'n7@10.77.0.13' })
  await k.call('register')
  assert.equal(await a.discover(), ['n1@10.77.0.11', 'n2@10.77.0.12', 'n7@10.77.0.13'])
  k.proc.kill('SIGKILL')
  await k.proc.exited
  assert.equal(await a.discover(), ['n1@10.77.0.11', 'n2@10.77.0.12'])
})

test('stop withdraws and closes the socket; a stopped strategy refuses calls (a discover in flight too) until started again', async () => {
  const inFlight = failsWith(b.call('discover'), 'ERR_MDNS_STOPPED')
  await wait.sleep(100)
  await b.call('stop')
  await inFlight
  await b.call('stop') // twice
  assert.equal(await a.discover(), ['n1@10.77.0.11'])
  const ss = spawnSync('ip', ['netns', 'exec', net.hosts[1].ns, 'ss', '-Hauln', 'sport = :5353'], { encoding: 'utf8' })
  assert.is(ss.status, 0, ss.stderr)
  assert.is(ss.stdout.trim(), '', 'no mDNS socket left open in b\'s namespace')
  await failsWith(b.call('discover'), 'ERR_MDNS_STOPPED', /discover\(\) refused/)
  await failsWith(b.call('register'), 'ERR_MDNS_STOPPED')
  await b.call('unregister') // nothing to withdraw: settles
  await b.call('start')
  await b.call('register')
  assert.equal(await a.discover(), ['n1@10.77.0.11', 'n2@10.77.0.12'])
})

test('an interface that is not there fails start with the reason; once it is there, the next call works', async () => {
  const h = net.hosts[4]
  const e = await agent(h.ns, { node: 'n5@10.77.0.50' })
  await failsWith(e.call('start'), 'ERR_MDNS_SOCKET', /join 224\.0\.0\.251 on the interface of 10\.77\.0\.50: .*ENODEV/)
  await failsWith(e.call('discover'), 'ERR_MDNS_SOCKET')
  ip('-n', h.ns, 'addr', 'add', '10.77.0.50/24', 'dev', 'eth0')
  await e.call('register')
  assert.equal(await e.discover(), ['n1@10.77.0.11', 'n2@10.77.0.12', 'n5@10.77.0.50'])

  // The address goes away: the query cannot be sent; the round fails with why, and works again once it is back.
  ip('-n', h.ns, 'addr', 'del', '10.77.0.50/24', 'dev', 'eth0')
  await failsWith(e.call('discover'), 'ERR_MDNS_SOCKET', /query for _tekka\._tcp\.local could not be sent on the interface of 10\.77\.0\.50: .*ENETUNREACH/)
  ip('-n', h.ns, 'addr', 'add', '10.77.0.50/24', 'dev', 'eth0')
  await wait.eventually(async () => { assert.equal(await e.discover(), ['n1@10.77.0.11', 'n2@10.77.0.12', 'n5@10.77.0.50']) }, { timeout: 5000, message: 'e discovers again' })
  await e.stop()
})

test('the mDNS port held by a socket that will not share it fails start with EADDRINUSE; released, the next call works', async () => {
  const p = await agent(lo.ns, { node: 'p1@127.0.0.1' })
  await p.call('hold', { port: 5353 })
  await failsWith(p.call('start'), 'ERR_MDNS_SOCKET', /cannot listen on UDP port 5353 .*EADDRINUSE/)
  await failsWith(p.call('register'), 'ERR_MDNS_SOCKET', /EADDRINUSE/)
  await p.call('release')
  await p.call('register')
  assert.equal(await p.discover(), ['p1@127.0.0.1'])
  await p.stop()
})

test('an aborted discover rejects with the reason, and the next one works', async () => {
  await failsWith(a.call('discover', { abortAfter: 50 }), undefined, /test aborted the discover after 50 ms/)
  assert.equal(await a.discover(), ['n1@10.77.0.11', 'n2@10.77.0.12'])
})

test.run()
