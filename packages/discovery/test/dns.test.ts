// The dns strategy against a real DNS server (dnsmasq on a loopback port,
// no upstream): A, AAAA and SRV answers make the right node names; a CNAME
// is followed; an answer too big for UDP comes over TCP; NXDOMAIN and "no
// records" are an empty list, logged; SRV records with target ".", port 0
// or a target without an address are skipped, and only such records are a
// DnsBadAnswerError; REFUSED, an unreachable server and a
// server that never answers are rejections with named errors that say
// which server did what; records added later are found; stop() and an
// abort end a lookup at once; bad init is refused.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createSocket, type Socket } from 'node:dgram'
import { getEventListeners } from 'node:events'
import { getServers, setServers } from 'node:dns'
import { BadArgError, memoryLogger, systemClock, type LogRecord } from '@tekka/actors'
import { distConfig, loadConfig } from '@tekka/dist'
import { DnsBadAnswerError, DnsLookupError, DnsStoppedError, DnsTimeoutError, dnsStrategy, plugin, strategyFromConfig, type DnsInit, type StrategyComponents } from '../src/index.js'
import { Dnsmasq, type DnsZone } from '@tekka/testing/dnsmasq'
import * as ports from '@tekka/testing/ports'
import * as wait from '@tekka/testing/wait'

const D = 'tekka.test'
const zone: DnsZone = {
  a: {
    [`nodes.${D}`]: ['127.0.0.2', '127.0.0.3', '127.0.0.4'],
    [`n1.${D}`]: ['127.0.0.2'],
    [`n2.${D}`]: ['127.0.0.3'],
    [`many.${D}`]: Array.from({ length: 60 }, (_, i) => `127.0.1.${i + 1}`)
  },
  aaaa: { [`nodes6.${D}`]: ['::1', 'fd00::2', '2001:db8::7'] },
  srv: {
    [`_tekka._tcp.${D}`]: [{ target: `n1.${D}`, port: 4370 }, { target: `n2.${D}`, port: 4370, priority: 1 }],
    [`_none._tcp.${D}`]: [{ target: '.', port: 0 }],
    // The config's name pattern has no `_`: an SRV name an operator can give as cluster.dns.name.
    [`srv.${D}`]: [{ target: `n1.${D}`, port: 4370 }, { target: `n2.${D}`, port: 4370 }],
    [`_mixed._tcp.${D}`]: [{ target: `n1.${D}`, port: 4370 }, { target: `n2.${D}`, port: 0 }, { target: `gone.${D}`, port: 4370 }],
    [`_bad._tcp.${D}`]: [{ target: `n2.${D}`, port: 0 }, { target: `gone.${D}`, port: 4370 }],
    [`_six._tcp.${D}`]: [{ target: `nodes6.${D}`, port: 4370 }]
  },
  cname: { [`alias.${D}`]: `nodes.${D}`, [`_alias._tcp.${D}`]: `_tekka._tcp.${D}` }
}

let dns: Dnsmasq
const cleanups: Array<() => void | Promise<void>> = []
test.before(async () => { dns = await Dnsmasq.start(zone) })
test.after.each(async () => { for (const c of cleanups.splice(0).reverse()) await c() })
test.after(async () => { await dns.destroy() })

function components (node = 'tekka@127.0.0.2'): StrategyComponents & { records: LogRecord[], abort: AbortController } {
  const logger = memoryLogger('tekka:discovery:dns')
  const abort = new AbortController()
  return { node, cluster: 'tekka', port: undefined, clock: systemClock(), logger, signal: abort.signal, records: logger.records, abort }
}

/** A dns strategy asking the test's dnsmasq, with short timeouts. */
function make (init: DnsInit, c = components()): ReturnType<ReturnType<typeof dnsStrategy>> & { c: typeof c } {
  const s = dnsStrategy({ servers: [dns.host], port: dns.port, timeout: 1500, attemptTimeout: 500, ...init })(c)
  cleanups.push(async () => { await s.stop?.() })
  return Object.assign(s, { c })
}

const lines = (records: LogRecord[]): string[] => records.filter((r) => r.level !== 'debug').map((r) => `${r.level} ${r.msg}`)

/** A UDP socket on loopback that reads queries and never answers. */
async function blackHole (): Promise<Socket> {
  const s = createSocket('udp4')
  await new Promise<void>((resolve) => { s.bind(0, '127.0.0.1', resolve) })
  cleanups.push(() => { s.close() })
  return s
}

test('dnsmasq answers only from its records and forwards nothing: another domain is REFUSED (an answer, not a timeout), an unknown name of its own NXDOMAIN', async () => {
  const err = await wait.rejects(wait.withTimeout(make({ name: 'example.com' }).discover(), 5000, 'discover'))
  assert.instance(err, DnsLookupError)
  assert.is((err as DnsLookupError).code, 'ERR_DNS_LOOKUP')
  assert.equal((err as DnsLookupError).failures.map((f) => f.problem), ['answered REFUSED (it refuses to answer this name, or this client)', 'answered REFUSED (it refuses to answer this name, or this client)'])
  assert.match(err.message, `dns: A lookup of example.com failed: 127.0.0.1:${dns.port} answered REFUSED`)
  const s = make({ name: `nope.${D}` })
  assert.equal(await s.discover(), [])
  assert.equal(lines(s.c.records), [`info dns: nothing discovered at nope.${D}: the name does not exist (NXDOMAIN), answered by 127.0.0.1:${dns.port}`])
})

test('lookups leave no listener behind on the node\'s signal or the caller\'s, whether they succeed or fail', async () => {
  const c = components()
  const caller = new AbortController()
  const s = make({ name: `nodes.${D}` }, c)
  const bad = make({ name: 'example.com' }, c)
  for (let i = 0; i < 5; i++) {
    await s.discover({ signal: caller.signal })
    await bad.discover({ signal: caller.signal }).catch(() => undefined)
  }
  assert.is(getEventListeners(c.signal, 'abort').length, 0)
  assert.is(getEventListeners(caller.signal, 'abort').length, 0)
})

test('A: app@address for each address, this node among them', async () => {
  const s = make({ name: `nodes.${D}`, app: 'tekka' })
  assert.equal((await s.discover()).sort(), ['tekka@127.0.0.2', 'tekka@127.0.0.3', 'tekka@127.0.0.4'])
  assert.equal(lines(s.c.records), [])
  assert.is(s.name, 'dns')
  assert.is(s.lock, undefined, 'no lock (ekka: ignore)')
  assert.is(s.register, undefined, 'no registry (ekka: ignore)')
  // app defaults to this node's own short name, as in ekka.
  assert.equal((await make({ name: `n1.${D}` }, components('emqx@127.0.0.9')).discover()), ['emqx@127.0.0.2'])
})

test('AAAA: app@address as RFC 5952 text', async () => {
  const s = make({ name: `nodes6.${D}`, type: 'aaaa', app: 'tekka' })
  assert.equal((await s.discover()).sort(), ['tekka@2001:db8::7', 'tekka@::1', 'tekka@fd00::2'])
})

test('SRV: app@target for each target (no trailing dot); only a "no such service" target: DnsBadAnswerError naming it', async () => {
  const s = make({ name: `_tekka._tcp.${D}`, type: 'srv', app: 'tekka' })
  assert.equal((await s.discover()).sort(), [`tekka@n1.${D}`, `tekka@n2.${D}`])
  assert.equal(lines(s.c.records), [])
  const none = make({ name: `_none._tcp.${D}`, type: 'srv', app: 'tekka' })
  const err = await wait.rejects(wait.withTimeout(none.discover(), 5000, 'discover'))
  assert.instance(err, DnsBadAnswerError)
  assert.match(err.message, new RegExp(`^dns: the SRV answer for _none\\._tcp\\.tekka\\.test from 127\\.0\\.0\\.1:${dns.port} has no node in it: SRV record of _none\\._tcp\\.tekka\\.test \\(target \\., port \\d+\\): target "\\." means there is no such service$`))
  assert.equal(lines(none.c.records), [], 'not logged by the strategy: the autocluster actor logs the failed round')
})

test('SRV from dnsmasq: port 0 and a target without an address are skipped and named; only such records: DnsBadAnswerError; a CNAME to an SRV name is followed', async () => {
  const s = make({ name: `_mixed._tcp.${D}`, type: 'srv', app: 'tekka' })
  assert.equal(await s.discover(), [`tekka@n1.${D}`])
  const logged = lines(s.c.records)
  assert.is(logged.length, 1)
  assert.match(logged[0], `warn dns: 2 records of _mixed._tcp.${D} skipped: `)
  assert.match(logged[0], `SRV record of _mixed._tcp.${D} (target n2.${D}, port 0): port 0 is no service's port`)
  assert.match(logged[0], `SRV record of _mixed._tcp.${D} (target gone.${D}, port 4370): the target has no address: gone.${D} does not exist (NXDOMAIN), answered by 127.0.0.1:${dns.port}`)
  const bad = make({ name: `_bad._tcp.${D}`, type: 'srv', app: 'tekka' })
  const err = await wait.rejects(wait.withTimeout(bad.discover(), 5000, 'discover'))
  assert.instance(err, DnsBadAnswerError)
  assert.equal([...(err as DnsBadAnswerError).problems].sort(), [
    `SRV record of _bad._tcp.${D} (target gone.${D}, port 4370): the target has no address: gone.${D} does not exist (NXDOMAIN), answered by 127.0.0.1:${dns.port}`,
    `SRV record of _bad._tcp.${D} (target n2.${D}, port 0): port 0 is no service's port`
  ])
  // An AAAA-only target has an address too.
  assert.equal(await make({ name: `_six._tcp.${D}`, type: 'srv', app: 'tekka' }).discover(), [`tekka@nodes6.${D}`])
  assert.equal((await make({ name: `_alias._tcp.${D}`, type: 'srv', app: 'tekka' }).discover()).sort(), [`tekka@n1.${D}`, `tekka@n2.${D}`])
})

test('no records of the type asked (NODATA): empty, logged at info', async () => {
  const s = make({ name: `nodes.${D}`, type: 'aaaa' })
  assert.equal(await s.discover(), [])
  assert.equal(lines(s.c.records), [`info dns: nothing discovered at nodes.${D}: no AAAA records, answered by 127.0.0.1:${dns.port}`])
})

test('a CNAME is followed to its records', async () => {
  const s = make({ name: `alias.${D}`, app: 'tekka' })
  assert.equal((await s.discover()).sort(), ['tekka@127.0.0.2', 'tekka@127.0.0.3', 'tekka@127.0.0.4'])
  assert.ok(s.c.records.some((r) => r.msg.includes(`(via CNAME nodes.${D})`)), 'the chain is in the debug log')
})

test('an answer too big for UDP (TC) is asked again over TCP: all 60 nodes', async () => {
  const s = make({ name: `many.${D}`, app: 'tekka' })
  const found = await s.discover()
  assert.is(found.length, 60)
  assert.equal(new Set(found), new Set(Array.from({ length: 60 }, (_, i) => `tekka@127.0.1.${i + 1}`)))
})

test('records added later are found (A: SIGHUP re-read; SRV: dnsmasq restarted); removed ones are gone', async () => {
  const s = make({ name: `nodes.${D}`, app: 'tekka' })
  await dns.update({ ...zone, a: { ...zone.a, [`nodes.${D}`]: ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'] } })
  assert.ok((await s.discover()).includes('tekka@127.0.0.5'))
  await dns.update(zone)
  assert.not.ok((await s.discover()).includes('tekka@127.0.0.5'))
  // An SRV record added later (dnsmasq restarted on the same port).
  const srv = make({ name: `_tekka._tcp.${D}`, type: 'srv', app: 'tekka' })
  await dns.update({ ...zone, srv: { ...zone.srv, [`_tekka._tcp.${D}`]: [...(zone.srv?.[`_tekka._tcp.${D}`] ?? []), { target: `nodes.${D}`, port: 4370 }] } })
  assert.equal((await srv.discover()).sort(), [`tekka@n1.${D}`, `tekka@n2.${D}`, `tekka@nodes.${D}`])
  await dns.update(zone)
  assert.equal((await srv.discover()).sort(), [`tekka@n1.${D}`, `tekka@n2.${D}`])
})

test('a port nobody listens on: a DnsLookupError naming the server, within the timeout', async () => {
  const dead = await ports.freePort()
  const s = make({ name: `nodes.${D}`, servers: ['127.0.0.1'], port: dead })
  const err = await wait.rejects(wait.withTimeout(s.discover(), 1500 + 3000, 'discover'))
  assert.instance(err, DnsLookupError)
  assert.match(err.message, `127.0.0.1:${dead} refused the packet: nothing listens on that UDP port`)
})

test('a server that never answers: a DnsTimeoutError naming the server and the timeout', async () => {
  const hole = await blackHole()
  const at = `127.0.0.1:${hole.address().port}`
  const s = make({ name: `nodes.${D}`, servers: [at], timeout: 800, attemptTimeout: 300, tries: 2 })
  const err = await wait.rejects(wait.withTimeout(s.discover(), 800 + 3000, 'discover'))
  assert.instance(err, DnsTimeoutError)
  assert.is((err as DnsTimeoutError).code, 'ERR_DNS_TIMEOUT')
  assert.match(err.message, `dns: no answer to the A query for nodes.${D} from ${at} (2 attempts within 800 ms`)
})

test('servers are asked in order: a dead one first, then the one that answers', async () => {
  const hole = await blackHole()
  const s = make({ name: `nodes.${D}`, app: 'tekka', servers: [`127.0.0.1:${hole.address().port}`, `127.0.0.1:${dns.port}`], attemptTimeout: 300 })
  assert.equal((await s.discover()).sort(), ['tekka@127.0.0.2', 'tekka@127.0.0.3', 'tekka@127.0.0.4'])
})

test('no servers given: the system\'s resolvers, as node:dns has them (pointed at dnsmasq here), each on its own port', async () => {
  const before = getServers()
  setServers([`127.0.0.1:${dns.port}`])
  cleanups.push(() => { setServers(before) })
  const c = components()
  const s = make({ name: `nodes.${D}`, app: 'tekka', servers: [], port: 5353 }, c)
  assert.equal((await s.discover()).length, 3)
  assert.equal(lines(c.records), ['warn dns port 5353 is not used: it is the port of the servers given, and none are (the system\'s resolvers are asked, each on its own port)'])
})

test('stop() ends a lookup in flight at once (DnsStoppedError); calls on a stopped strategy reject; start() again works', async () => {
  const hole = await blackHole()
  const s = make({ name: `nodes.${D}`, servers: [`127.0.0.1:${hole.address().port}`], timeout: 60_000, attemptTimeout: 60_000 })
  await s.start?.()
  const p = s.discover()
  await new Promise((resolve) => { hole.once('message', resolve) })
  await s.stop?.()
  const err = await wait.rejects(wait.withTimeout(p, 2000, 'discover'))
  assert.instance(err, DnsStoppedError)
  assert.is((err as DnsStoppedError).code, 'ERR_DNS_STOPPED')
  assert.instance(await wait.rejects(wait.withTimeout(s.discover(), 2000, 'discover')), DnsStoppedError)
  await s.start?.()
  const q = s.discover()
  await new Promise((resolve) => { hole.once('message', resolve) })
  // The caller's signal, and the components' signal, end it too, with their reasons.
  const ac = new AbortController()
  const r = s.discover({ signal: ac.signal })
  await new Promise((resolve) => { hole.once('message', resolve) })
  ac.abort(new Error('caller gave up'))
  assert.match((await wait.rejects(wait.withTimeout(r, 2000, 'discover'))).message, 'caller gave up')
  s.c.abort.abort(new Error('discovery stopped'))
  assert.match((await wait.rejects(wait.withTimeout(q, 2000, 'discover'))).message, 'discovery stopped')
})

test('from the config (cluster.discovery = dns, cluster.dns.*), as the plugin builds it: SRV and A', async () => {
  const conf = (over: Record<string, unknown>) => loadConfig({ sections: [distConfig, plugin.config], env: {}, overrides: { 'node.name': 'tekka@127.0.0.2', 'cluster.discovery': 'dns', 'cluster.dns.servers': '127.0.0.1', 'cluster.dns.port': String(dns.port), ...over } })
  const srv = strategyFromConfig(conf({ 'cluster.dns.name': `srv.${D}`, 'cluster.dns.type': 'srv', 'cluster.dns.app': 'emqx' }), components())
  cleanups.push(async () => { await srv.stop?.() })
  assert.is(srv.name, 'dns')
  assert.equal((await srv.discover()).sort(), [`emqx@n1.${D}`, `emqx@n2.${D}`])
  const a = strategyFromConfig(conf({ 'cluster.dns.name': `nodes.${D}` }), components())
  cleanups.push(async () => { await a.stop?.() })
  assert.equal((await a.discover()).sort(), ['tekka@127.0.0.2', 'tekka@127.0.0.3', 'tekka@127.0.0.4'], 'app and type default to tekka and a')
})

test('init: nonsense is refused with BadArgError naming it', () => {
  const bad: Array<[DnsInit, RegExp]> = [
    [{ name: '127.0.0.1' }, /name must be a DNS name, got "127\.0\.0\.1"/],
    [{ name: 'a b.test' }, /name must be a DNS name/],
    [{ name: 42 as unknown as string }, /name must be a DNS name, got 42/],
    [{ app: 'te@kka' }, /app must be a node short name/],
    [{ type: 'mx' as 'a' }, /type must be a, aaaa or srv, got "mx"/],
    [{ port: 0 }, /port must be an integer in 1\.\.65535/],
    [{ servers: ['dns.example.com'] }, /server "dns\.example\.com" is not an IP address/],
    [{ servers: 42 as unknown as string[] }, /servers must be a list/],
    [{ timeout: -1 }, /timeout must be a positive number/],
    [{ attemptTimeout: 0 }, /attemptTimeout must be a positive number/],
    [{ tries: 0 }, /tries must be an integer in 1\.\.10/]
  ]
  for (const [init, re] of bad) {
    assert.throws(() => dnsStrategy(init), (e: unknown) => e instanceof BadArgError && re.test((e as Error).message), JSON.stringify(init))
  }
  // Accepted forms: a comma-separated string, ip:port, [v6]:port, an SRV name with underscores, a trailing dot.
  dnsStrategy({ name: '_tekka._tcp.example.com.', servers: '10.0.0.1, 10.0.0.2:5353,[fd00::1]:53, ::1' })
})

test.run()
