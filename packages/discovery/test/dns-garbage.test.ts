// The dns strategy against a DNS server that misbehaves: a tiny real UDP
// (and TCP) server on loopback, built on dns-packet, that answers with cut
// packets, wrong ids, answers to other questions, records of other names
// and types, CNAME loops, SRV records with bad targets, ports or targets
// without an address, SERVFAIL, a
// truncated answer with nothing behind it over TCP, or nothing at all.
// Each gives a clear log or a named error saying what was wrong, never a
// crash and never a wrong name; the autocluster actor on a real node keeps
// retrying through all of it, and joins nobody.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createSocket, type Socket } from 'node:dgram'
import { createServer, type Server } from 'node:net'
import { memoryLogger, systemClock, type LogRecord, type TekkaEvent } from '@tekka/actors'
import { startNode, type DistNode } from '@tekka/dist'
import { DnsBadAnswerError, DnsLookupError, DnsTimeoutError, autocluster, dnsStrategy, type DnsInit, type StrategyComponents } from '../src/index.js'
import { dnsPacket, RCODE, type Packet, type PacketAnswer, type PacketQuestion } from '@tekka/testing/dns-packet'
import * as ports from '@tekka/testing/ports'
import * as wait from '@tekka/testing/wait'

type Reply = (query: Packet & { questions: PacketQuestion[] }, raw: Buffer) => Buffer[]

/** A DNS server that answers each query with what `reply` returns (nothing: silence). */
class FakeDns {
  reply: Reply = () => []
  tcpReply: ((raw: Buffer) => Buffer) | undefined
  queries = 0
  readonly udp: Socket
  readonly host: string
  #tcp: Server | undefined
  private constructor (udp: Socket, host: string) { this.udp = udp; this.host = host }

  static async start (host = '127.0.0.1'): Promise<FakeDns> {
    const udp = createSocket(host.includes(':') ? 'udp6' : 'udp4')
    await new Promise<void>((resolve) => { udp.bind(0, host, resolve) })
    const f = new FakeDns(udp, host)
    udp.on('message', (msg, rinfo) => {
      f.queries++
      let q
      try { q = dnsPacket.decode(msg) } catch { return }
      for (const p of f.reply(q, msg)) udp.send(p, rinfo.port, rinfo.address)
    })
    return f
  }

  get port (): number { return this.udp.address().port }
  get at (): string { return this.host.includes(':') ? `[${this.host}]:${this.port}` : `${this.host}:${this.port}` }

  /** Also serve TCP on the same port (for answers truncated over UDP). */
  async listenTcp (answer: (raw: Buffer) => Buffer): Promise<void> {
    this.tcpReply = answer
    const srv = createServer((sock) => {
      let buf = Buffer.alloc(0)
      sock.on('error', () => {})
      sock.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d])
        if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          const out = this.tcpReply?.(buf.subarray(2, 2 + buf.readUInt16BE(0))) ?? Buffer.alloc(0)
          const len = Buffer.alloc(2)
          len.writeUInt16BE(out.length)
          sock.end(Buffer.concat([len, out]))
        }
      })
    })
    await new Promise<void>((resolve, reject) => { srv.once('error', reject); srv.listen(this.port, this.host, resolve) })
    this.#tcp = srv
  }

  async close (): Promise<void> {
    this.udp.close()
    await new Promise<void>((resolve) => { if (this.#tcp === undefined) resolve(); else this.#tcp.close(() => { resolve() }) })
  }
}

/** An answer to `q` with these records (flags: AA, plus `flags`). */
const answer = (q: Packet & { questions: PacketQuestion[] }, answers: PacketAnswer[], flags = 0, over: Partial<Packet> = {}): Buffer =>
  dnsPacket.encode({ type: 'response', id: q.id, flags: dnsPacket.AUTHORITATIVE_ANSWER | flags, questions: q.questions, answers, ...over })

/** SRV queries get `srv`; A queries of a name in `a` get its address; anything else: NOERROR, no records. */
const srvZone = (srv: PacketAnswer[], a: Record<string, string> = {}): Reply => (q) => {
  const { type, name } = q.questions[0]
  if (type === 'SRV') return [answer(q, srv)]
  const ip = a[name.toLowerCase()]
  return [answer(q, type === 'A' && ip !== undefined ? [{ type: 'A', name, data: ip }] : [])]
}
const srvRecord = (target: string, port = 4370): PacketAnswer => ({ type: 'SRV', name: '_tekka._tcp.tekka.test', data: { priority: 0, weight: 0, port, target } })

const servers: FakeDns[] = []
const started: Array<{ stop: () => Promise<void> | void }> = []
test.after.each(async () => { for (const s of started.splice(0).reverse()) await s.stop() })
test.after(async () => { for (const s of servers) await s.close() })

async function fake (host?: string): Promise<FakeDns> {
  const f = await FakeDns.start(host)
  servers.push(f)
  return f
}

function components (): StrategyComponents & { records: LogRecord[] } {
  const logger = memoryLogger('tekka:discovery:dns')
  return { node: 'tekka@127.0.0.2', cluster: 'tekka', port: undefined, clock: systemClock(), logger, signal: new AbortController().signal, records: logger.records }
}

function strategy (f: FakeDns, init: DnsInit = {}): ReturnType<ReturnType<typeof dnsStrategy>> & { records: LogRecord[] } {
  const c = components()
  const s = dnsStrategy({ name: 'nodes.tekka.test', app: 'tekka', servers: [f.at], timeout: 1000, attemptTimeout: 400, tries: 1, ...init })(c)
  started.push({ stop: async () => { await s.stop?.() } })
  return Object.assign(s, { records: c.records })
}

const warns = (records: LogRecord[]): string[] => records.filter((r) => r.level === 'warn' || r.level === 'info').map((r) => `${r.level} ${r.msg}`)

test('a cut packet with the right id: DnsLookupError "malformed answer", saying where it broke', async () => {
  const f = await fake()
  f.reply = (q) => { const b = answer(q, [{ type: 'A', name: 'nodes.tekka.test', data: '127.0.0.9' }]); return [b.subarray(0, b.length - 3)] }
  const err = await wait.rejects(wait.withTimeout(strategy(f).discover(), 5000, 'discover'))
  assert.instance(err, DnsLookupError)
  assert.match(err.message, new RegExp(`^dns: A lookup of nodes\\.tekka\\.test failed: ${f.at} sent a malformed answer \\(\\d+ bytes\\): answer 1 \\(A of nodes\\.tekka\\.test\\): data of 4 bytes: packet ends at byte \\d+, 3 bytes short$`))
  // Three bytes: not even a header.
  f.reply = (q) => { const b = Buffer.alloc(3); b.writeUInt16BE(q.id ?? 0); return [b] }
  assert.match((await wait.rejects(wait.withTimeout(strategy(f).discover(), 5000, 'discover'))).message, 'sent a malformed answer (3 bytes): 3 bytes, shorter than a DNS header (12)')
})

test('answers with wrong ids, to another question, or that are queries are ignored (and said so); the real answer after them counts', async () => {
  const f = await fake()
  const good = (q: Packet & { questions: PacketQuestion[] }): Buffer => answer(q, [{ type: 'A', name: 'nodes.tekka.test', data: '127.0.0.5' }])
  f.reply = (q) => [
    answer(q, [{ type: 'A', name: 'nodes.tekka.test', data: '127.0.0.66' }], 0, { id: ((q.id ?? 0) + 1) & 0xffff }),
    answer(q, [{ type: 'A', name: 'other.test', data: '127.0.0.67' }], 0, { questions: [{ type: 'A', name: 'other.test' }] }),
    dnsPacket.encode({ type: 'query', id: q.id, questions: q.questions }),
    Buffer.from([1]),
    good(q)
  ]
  const s = strategy(f)
  assert.equal(await s.discover(), ['tekka@127.0.0.5'])
  const w = warns(s.records)
  assert.is(w.length, 1)
  assert.match(w[0], `warn dns: ignored in the answers from ${f.at}: an answer from ${f.at} with id`)
  assert.match(w[0], `an answer to another question (other.test/A) from ${f.at}`)
  assert.match(w[0], `a packet that is a query, not an answer from ${f.at}`)
  assert.match(w[0], `a packet of 1 bytes from ${f.at}`)
  // Only wrong ids: nothing counts, the lookup times out, and the error says what was ignored.
  f.reply = (q) => [answer(q, [{ type: 'A', name: 'nodes.tekka.test', data: '127.0.0.66' }], 0, { id: ((q.id ?? 0) + 7) & 0xffff })]
  const err = await wait.rejects(wait.withTimeout(strategy(f).discover(), 5000, 'discover'))
  assert.instance(err, DnsTimeoutError)
  assert.match(err.message, `dns: no answer to the A query for nodes.tekka.test from ${f.at} (1 attempt within 1000 ms; nothing listening there, or the packets are dropped); ignored: an answer from ${f.at} with id`)
})

test('records of another type or of a name not asked are not nodes (ignored, logged): an empty list, never their addresses', async () => {
  const f = await fake()
  f.reply = (q) => [answer(q, [
    { type: 'TXT', name: 'nodes.tekka.test', data: 'tekka@127.0.0.8' },
    { type: 'AAAA', name: 'nodes.tekka.test', data: '::8' },
    { type: 'A', name: 'elsewhere.test', data: '127.0.0.9' },
    { type: 'A', name: 'nodes.tekka.test', class: 'CH', data: '127.0.0.10' }
  ])]
  const s = strategy(f)
  assert.equal(await s.discover(), [])
  assert.equal(warns(s.records), [
    `info dns: nothing discovered at nodes.tekka.test: no A records, answered by ${f.at}`,
    `warn dns: ignored in the answers from ${f.at}: TXT record of nodes.tekka.test (A was asked); AAAA record of nodes.tekka.test (A was asked); A record of elsewhere.test (a name that was not asked); A record of nodes.tekka.test (class 3, not IN)`
  ])
})

test('a CNAME loop is a broken answer: DnsBadAnswerError naming the loop (the round fails, so a fixed zone is asked again)', async () => {
  const f = await fake()
  f.reply = (q) => [answer(q, [
    { type: 'CNAME', name: 'nodes.tekka.test', data: 'b.tekka.test' },
    { type: 'CNAME', name: 'b.tekka.test', data: 'NODES.tekka.test' },
    { type: 'A', name: 'c.tekka.test', data: '127.0.0.9' }
  ])]
  const s = strategy(f)
  const err = await wait.rejects(wait.withTimeout(s.discover(), 5000, 'discover'))
  assert.instance(err, DnsBadAnswerError)
  assert.is((err as DnsBadAnswerError).code, 'ERR_DNS_BAD_ANSWER')
  assert.is(err.message, `dns: the A answer for nodes.tekka.test from ${f.at} has no node in it: CNAME loop nodes.tekka.test -> b.tekka.test -> nodes.tekka.test; ignored: A record of c.tekka.test (a name that was not asked)`)
  assert.equal(warns(s.records), [], 'the error says it all; the autocluster actor logs it')
  // The same for SRV: a loop between SRV names.
  f.reply = (q) => [answer(q, [
    { type: 'CNAME', name: '_tekka._tcp.tekka.test', data: '_b._tcp.tekka.test' },
    { type: 'CNAME', name: '_b._tcp.tekka.test', data: '_tekka._tcp.tekka.test' }
  ])]
  const srvS = strategy(f, { name: '_tekka._tcp.tekka.test', type: 'srv' })
  const srv = await wait.rejects(wait.withTimeout(srvS.discover(), 5000, 'discover'))
  assert.instance(srv, DnsBadAnswerError)
  assert.match(srv.message, 'the SRV answer for _tekka._tcp.tekka.test from ')
  assert.match(srv.message, 'has no node in it: CNAME loop _tekka._tcp.tekka.test -> _b._tcp.tekka.test -> _tekka._tcp.tekka.test')
  // Fixed: the same strategy finds the node at its next call.
  f.reply = srvZone([srvRecord('n1.tekka.test')], { 'n1.tekka.test': '127.0.0.2' })
  assert.equal(await srvS.discover(), ['tekka@n1.tekka.test'])
})

test('SRV records that make no node are skipped, each named with why (not a hostname, ".", port 0, a target without an address); the good one is the only node', async () => {
  const f = await fake()
  f.reply = srvZone([srvRecord('bad_target.test'), srvRecord('has space.test'), srvRecord('.'), srvRecord('zero.tekka.test', 0), srvRecord('nohost.tekka.test'), srvRecord('good.tekka.test'), srvRecord('good.tekka.test.')], { 'zero.tekka.test': '127.0.0.3', 'good.tekka.test': '127.0.0.4' })
  const s = strategy(f, { name: '_tekka._tcp.tekka.test', type: 'srv' })
  assert.equal(await s.discover(), ['tekka@good.tekka.test'])
  const w = warns(s.records)
  assert.is(w.length, 1)
  assert.match(w[0], 'warn dns: 5 records of _tekka._tcp.tekka.test skipped: ')
  assert.match(w[0], 'SRV record of _tekka._tcp.tekka.test (target bad_target.test, port 4370): not a node name: host "bad_target.test" is neither a hostname nor an IP address')
  assert.match(w[0], 'SRV record of _tekka._tcp.tekka.test (target has\\032space.test, port 4370): not a node name')
  assert.match(w[0], 'SRV record of _tekka._tcp.tekka.test (target ., port 4370): target "." means there is no such service')
  assert.match(w[0], 'SRV record of _tekka._tcp.tekka.test (target zero.tekka.test, port 0): port 0 is no service\'s port')
  assert.match(w[0], `SRV record of _tekka._tcp.tekka.test (target nohost.tekka.test, port 4370): the target has no address: no A or AAAA records for nohost.tekka.test, answered by ${f.at}`)
  // Only bad ones: the answer is broken, a DnsBadAnswerError naming each.
  f.reply = srvZone([srvRecord('.'), srvRecord('zero.tekka.test', 0), srvRecord('nohost.tekka.test')], { 'zero.tekka.test': '127.0.0.3' })
  const err = await wait.rejects(wait.withTimeout(strategy(f, { name: '_tekka._tcp.tekka.test', type: 'srv' }).discover(), 5000, 'discover'))
  assert.instance(err, DnsBadAnswerError)
  assert.equal((err as DnsBadAnswerError).problems, [
    'SRV record of _tekka._tcp.tekka.test (target ., port 4370): target "." means there is no such service',
    'SRV record of _tekka._tcp.tekka.test (target zero.tekka.test, port 0): port 0 is no service\'s port',
    `SRV record of _tekka._tcp.tekka.test (target nohost.tekka.test, port 4370): the target has no address: no A or AAAA records for nohost.tekka.test, answered by ${f.at}`
  ])
  assert.match(err.message, `dns: the SRV answer for _tekka._tcp.tekka.test from ${f.at} has no node in it: SRV record of`)
  // A target whose address lookup fails (SERVFAIL): skipped, with the lookup's error.
  f.reply = (q) => q.questions[0].type === 'SRV' ? [answer(q, [srvRecord('n1.tekka.test')])] : [answer(q, [], RCODE.SERVFAIL)]
  const failed = await wait.rejects(wait.withTimeout(strategy(f, { name: '_tekka._tcp.tekka.test', type: 'srv' }).discover(), 5000, 'discover'))
  assert.instance(failed, DnsBadAnswerError)
  assert.match(failed.message, `(target n1.tekka.test, port 4370): the lookup of the target's address failed: dns: A lookup of n1.tekka.test failed: ${f.at} answered SERVFAIL`)
})

test('a dot inside one label of an SRV target does not make a two-label hostname', async () => {
  const f = await fake()
  f.reply = (q) => {
    // Build by hand: question echoed, one SRV whose target is the single label "n1.evil" then "test".
    const head = Buffer.alloc(12)
    head.writeUInt16BE(q.id ?? 0, 0); head.writeUInt16BE(0x8400, 2); head.writeUInt16BE(1, 4); head.writeUInt16BE(1, 6)
    const qsec = dnsPacket.encode({ type: 'query', id: 0, questions: q.questions }).subarray(12)
    const target = Buffer.concat([Buffer.from([7]), Buffer.from('n1.evil'), Buffer.from([4]), Buffer.from('test'), Buffer.from([0])])
    const rdata = Buffer.concat([Buffer.from([0, 0, 0, 0, 0x11, 0x12]), target])
    const rr = Buffer.alloc(12)
    rr.writeUInt16BE(0xc00c, 0); rr.writeUInt16BE(33, 2); rr.writeUInt16BE(1, 4); rr.writeUInt32BE(60, 6); rr.writeUInt16BE(rdata.length, 10)
    return [Buffer.concat([head, qsec, rr, rdata])]
  }
  const err = await wait.rejects(wait.withTimeout(strategy(f, { name: '_tekka._tcp.tekka.test', type: 'srv' }).discover(), 5000, 'discover'))
  assert.instance(err, DnsBadAnswerError)
  assert.match(err.message, '(target n1\\.evil.test, port 4370): not a node name')
})

test('the unspecified address is no node: skipped, logged', async () => {
  const f = await fake()
  f.reply = (q) => [answer(q, [{ type: 'A', name: 'nodes.tekka.test', data: '0.0.0.0' }, { type: 'A', name: 'nodes.tekka.test', data: '127.0.0.4' }])]
  const s = strategy(f)
  assert.equal(await s.discover(), ['tekka@127.0.0.4'])
  assert.equal(warns(s.records), ['warn dns: 1 record of nodes.tekka.test skipped: A record of nodes.tekka.test (0.0.0.0): the unspecified address is no node\'s address'])
})

test('SERVFAIL, REFUSED, NOTIMP: DnsLookupError naming the rcode and what it means', async () => {
  const f = await fake()
  for (const [rc, text] of [[RCODE.SERVFAIL, 'answered SERVFAIL (server failure: it could not get an answer)'], [RCODE.REFUSED, 'answered REFUSED'], [RCODE.NOTIMP, 'answered NOTIMP']] as const) {
    f.reply = (q) => [answer(q, [], rc)]
    const err = await wait.rejects(wait.withTimeout(strategy(f).discover(), 5000, 'discover'))
    assert.instance(err, DnsLookupError)
    assert.match(err.message, `dns: A lookup of nodes.tekka.test failed: ${f.at} ${text}`)
  }
  // An error answer without the question echoed still counts (servers may leave it out).
  f.reply = (q) => [answer(q, [], RCODE.SERVFAIL, { questions: [] })]
  assert.match((await wait.rejects(wait.withTimeout(strategy(f).discover(), 5000, 'discover'))).message, 'answered SERVFAIL')
})

test('truncated over UDP: asked again over TCP; nothing on TCP, or garbage there, is a named failure', async () => {
  const f = await fake()
  f.reply = (q) => [answer(q, [], dnsPacket.TRUNCATED_RESPONSE)]
  const err = await wait.rejects(wait.withTimeout(strategy(f).discover(), 5000, 'discover'))
  assert.instance(err, DnsLookupError)
  assert.match(err.message, `${f.at} sent a truncated answer; over TCP: connection refused`)
  await f.listenTcp((raw) => answer(dnsPacket.decode(raw), [{ type: 'A', name: 'nodes.tekka.test', data: '127.0.0.6' }]))
  assert.equal(await strategy(f).discover(), ['tekka@127.0.0.6'])
  f.tcpReply = (raw) => answer(dnsPacket.decode(raw), [{ type: 'A', name: 'nodes.tekka.test', data: '127.0.0.6' }]).subarray(0, 20)
  assert.match((await wait.rejects(wait.withTimeout(strategy(f).discover(), 5000, 'discover'))).message, `${f.at} sent a truncated answer; over TCP: sent a malformed answer (20 bytes)`)
  f.tcpReply = (raw) => answer(dnsPacket.decode(raw), [], 0, { id: 1 + dnsPacket.decode(raw).id! })
  assert.match((await wait.rejects(wait.withTimeout(strategy(f).discover(), 5000, 'discover'))).message, /over TCP: sent an answer with id \d+ \(the query's is \d+\)/)
})

test('silence: DnsTimeoutError; an IPv6 server ([::1]:port) is asked the same way', async () => {
  const f = await fake()
  f.reply = () => []
  const err = await wait.rejects(wait.withTimeout(strategy(f, { tries: 2, attemptTimeout: 200 }).discover(), 5000, 'discover'))
  assert.instance(err, DnsTimeoutError)
  assert.match(err.message, `from ${f.at} (2 attempts within 1000 ms`)
  assert.ok(f.queries >= 2)
  const six = await fake('::1')
  six.reply = (q) => [answer(q, [{ type: 'AAAA', name: 'nodes.tekka.test', data: 'fd00::5' }])]
  assert.equal(await strategy(six, { type: 'aaaa' }).discover(), ['tekka@fd00::5'])
})

test('the autocluster actor on a real node keeps retrying through all of it: no crash, no join, no wrong name', async () => {
  const f = await fake()
  // Each of these fails the round: the actor logs it and tries again.
  const failing: Reply[] = [
    (q) => { const b = answer(q, [{ type: 'A', name: 'nodes.tekka.test', data: '127.0.0.9' }]); return [b.subarray(0, b.length - 2)] },
    (q) => [answer(q, [{ type: 'A', name: 'nodes.tekka.test', data: '127.0.0.9' }], 0, { id: ((q.id ?? 0) + 1) & 0xffff })],
    (q) => [answer(q, [], RCODE.SERVFAIL)],
    (q) => [answer(q, [], dnsPacket.TRUNCATED_RESPONSE)],
    (q) => [answer(q, [{ type: 'CNAME', name: 'nodes.tekka.test', data: 'nodes.tekka.test' }])],
    () => []
  ]
  let n = 0
  f.reply = (q, raw) => (failing[n++ % failing.length])(q, raw)
  const logger = memoryLogger('tekka')
  const base = await ports.freePortRange(1)
  const node: DistNode = await startNode({ name: 'g1@127.0.0.1', cookie: 'dns-garbage', basePort: base, logger })
  started.push({ stop: async () => { await node.stop() } })
  const stop = new AbortController()
  const s = dnsStrategy({ name: 'nodes.tekka.test', app: 'tekka', servers: [f.at], timeout: 300, attemptTimeout: 300, tries: 1 })({
    node: node.name, cluster: 'tekka', port: node.port, clock: node.runtime.clock, logger: logger.child('discovery').child('dns'), signal: stop.signal
  })
  const ac = autocluster({ interval: 100, callTimeout: 1000, probeTimeout: 500, jitter: 0, ctl: false })({ ...node.components, strategy: s })
  started.push({ stop: async () => { await ac.stop(); stop.abort() } })
  const reports: Array<TekkaEvent<'autocluster.round'>> = []
  node.events.on('autocluster.round', (r) => { reports.push(r) })
  await ac.start()
  const pid = ac.pid
  await wait.eventually(() => reports.length >= 2 * failing.length, { timeout: 20_000, interval: 50, message: 'two rounds of every failing kind of garbage' })
  assert.ok(pid !== undefined && ac.pid?.equals(pid), 'the same actor all along')
  assert.is(ac.state, 'running', 'still trying')
  assert.ok(reports.every((r) => r.error !== undefined && r.discovered.length === 0 && r.joined === undefined), 'every round failed, nothing discovered, nobody joined')
  const errors = reports.map((r) => r.error ?? '').join('\n')
  for (const what of ['sent a malformed answer', 'answered SERVFAIL', 'sent a truncated answer; over TCP: connection refused', 'has no node in it: CNAME loop nodes.tekka.test -> nodes.tekka.test', 'no answer to the A query for nodes.tekka.test']) assert.match(errors, what)
  assert.match(errors, /no answer to the A query for nodes\.tekka\.test .*; ignored: an answer from .* with id/)
  // Records that are no nodes of the name (another name, another type): an empty answer, so the
  // actor is done (ekka: nothing to join, registered), having joined nobody.
  f.reply = (q) => [answer(q, [
    { type: 'A', name: 'elsewhere.test', data: '127.0.0.9' },
    { type: 'TXT', name: 'nodes.tekka.test', data: 'tekka@127.0.0.9' }
  ])]
  await wait.eventually(() => ac.state === 'complete', { timeout: 10_000, interval: 50, message: 'complete on an empty answer' })
  assert.ok(ac.pid === undefined || ac.pid.equals(pid))
  assert.equal(reports[reports.length - 1].discovered, [])
  assert.not.ok(logger.records.some((r) => r.msg === 'process crashed'), 'no process crashed')
  assert.ok(reports.some((r) => r.level === 'warn' && /malformed answer/.test(r.error ?? '')), 'the failed round is published at warn, with its cause')
  const logged = logger.records.map((r) => `${r.name} ${r.level} ${r.msg}`).join('\n')
  assert.match(logged, 'tekka:discovery:dns warn dns: ignored in the answers from')
  assert.match(logged, 'A record of elsewhere.test (a name that was not asked); TXT record of nodes.tekka.test (A was asked)')
  assert.equal(node.membership.members().map((m) => m.node), [node.name], 'still alone')
})

test.run()
