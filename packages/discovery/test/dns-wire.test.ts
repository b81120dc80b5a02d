// The DNS wire format of the dns strategy (src/dns-wire.ts): a query that an
// independent decoder (dns-packet) reads back; answers built by dns-packet
// decoded field for field; and strictness: record data of the wrong length,
// cut packets, compression pointers that do not point backwards, names too
// long, label bytes that would pass for other names: a DnsWireError naming
// what is wrong, never another exception and never a plausible wrong value.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { decodeMessage, encodeQuery, formatIPv6, TYPE } from '../src/dns-wire.js'
import { DnsWireError } from '../src/errors.js'
import { dnsPacket, RCODE } from '@tekka/testing/dns-packet'

const throwsWire = (buf: Buffer, re: RegExp, what: string): void => {
  try {
    decodeMessage(buf)
  } catch (err) {
    assert.instance(err, DnsWireError, `${what}: a DnsWireError, not ${String(err)}`)
    assert.is((err as DnsWireError).code, 'ERR_DNS_WIRE')
    assert.match((err as Error).message, re, what)
    return
  }
  assert.unreachable(`${what}: decoded without error`)
}

/** A header: id, flags, counts. */
const header = (id: number, flags: number, qd: number, an: number): Buffer => {
  const b = Buffer.alloc(12)
  b.writeUInt16BE(id, 0); b.writeUInt16BE(flags, 2); b.writeUInt16BE(qd, 4); b.writeUInt16BE(an, 6)
  return b
}
const labels = (...ls: Array<string | Buffer>): Buffer => Buffer.concat([...ls.map((l) => { const b = typeof l === 'string' ? Buffer.from(l) : l; return Buffer.concat([Buffer.from([b.length]), b]) }), Buffer.from([0])])
const u16 = (...ns: number[]): Buffer => { const b = Buffer.alloc(ns.length * 2); ns.forEach((n, i) => b.writeUInt16BE(n, i * 2)); return b }
/** type, class IN, ttl 60, rdlength, rdata */
const rr = (type: number, rdata: Buffer, rdlength = rdata.length): Buffer => Buffer.concat([u16(type, 1), Buffer.from([0, 0, 0, 60]), u16(rdlength), rdata])

test('a query: one question, class IN, recursion desired, the id given; dns-packet reads it back', () => {
  for (const [type, name] of [['A', 'A'], ['AAAA', 'AAAA'], ['SRV', 'SRV']] as const) {
    const q = dnsPacket.decode(encodeQuery(4242, 'Nodes.Tekka.test.', type))
    assert.is(q.id, 4242)
    assert.is(q.type, 'query')
    assert.is(q.flag_rd, true)
    assert.equal(q.questions, [{ name: 'Nodes.Tekka.test', type: name, class: 'IN' }])
    assert.is(q.answers.length, 0)
  }
  assert.throws(() => encodeQuery(1, '', 'A'), (e: unknown) => e instanceof DnsWireError && /root/.test((e as Error).message))
  assert.throws(() => encodeQuery(1, 'a..b', 'A'), (e: unknown) => e instanceof DnsWireError && /bad label ""/.test((e as Error).message))
  assert.throws(() => encodeQuery(1, `${'a'.repeat(64)}.test`, 'A'), (e: unknown) => e instanceof DnsWireError && /bad label/.test((e as Error).message))
  assert.throws(() => encodeQuery(1, Array.from({ length: 60 }, () => 'abcd').join('.'), 'A'), (e: unknown) => e instanceof DnsWireError && /longer than 255/.test((e as Error).message))
  assert.throws(() => encodeQuery(70000, 'a.test', 'A'), (e: unknown) => e instanceof DnsWireError)
})

test('an answer built by dns-packet: header bits, question, A / AAAA / CNAME / SRV / other records', () => {
  const buf = dnsPacket.encode({
    type: 'response',
    id: 7,
    flags: dnsPacket.AUTHORITATIVE_ANSWER | dnsPacket.TRUNCATED_RESPONSE | RCODE.NXDOMAIN,
    questions: [{ type: 'A', name: 'n.tekka.test' }],
    answers: [
      { type: 'CNAME', name: 'n.tekka.test', data: 'm.tekka.test' },
      { type: 'A', name: 'm.tekka.test', ttl: 30, data: '10.1.2.3' },
      { type: 'AAAA', name: 'm.tekka.test', data: 'fd00:0:0:0:0:0:0:2' },
      { type: 'SRV', name: '_t._tcp.tekka.test', data: { priority: 1, weight: 2, port: 4370, target: 'n1.tekka.test' } },
      { type: 'TXT', name: 'm.tekka.test', data: 'hello' }
    ]
  })
  const m = decodeMessage(buf)
  assert.is(m.id, 7)
  assert.ok(m.response)
  assert.ok(m.truncated)
  assert.is(m.opcode, 0)
  assert.is(m.rcode, RCODE.NXDOMAIN)
  assert.equal(m.questions, [{ name: 'n.tekka.test', type: TYPE.A, class: 1 }])
  assert.equal(m.answers.map((a) => [a.name, a.type, a.data]), [
    ['n.tekka.test', TYPE.CNAME, { kind: 'CNAME', target: 'm.tekka.test' }],
    ['m.tekka.test', TYPE.A, { kind: 'A', address: '10.1.2.3' }],
    ['m.tekka.test', TYPE.AAAA, { kind: 'AAAA', address: 'fd00::2' }],
    ['_t._tcp.tekka.test', TYPE.SRV, { kind: 'SRV', priority: 1, weight: 2, port: 4370, target: 'n1.tekka.test' }],
    ['m.tekka.test', 16, { kind: 'other' }]
  ])
  assert.is(m.answers[1].ttl, 30)
})

test('compression pointers backwards are followed; forwards, to themselves or looping: refused', () => {
  // question "a.test" at 12; the answer's name is a pointer to it, its CNAME target "b" + pointer to "test" (offset 14).
  const q = Buffer.concat([labels('a', 'test'), u16(TYPE.CNAME, 1)])
  const target = Buffer.concat([Buffer.from([1]), Buffer.from('b'), u16(0xc000 | 14)])
  const ok = Buffer.concat([header(1, 0x8000, 1, 1), q, u16(0xc000 | 12), rr(TYPE.CNAME, target)])
  assert.equal(decodeMessage(ok).answers[0].data, { kind: 'CNAME', target: 'b.test' })
  // A pointer to itself, as the question's name.
  throwsWire(Buffer.concat([header(1, 0x8000, 1, 0), u16(0xc000 | 12), u16(1, 1)]), /does not point backwards/, 'self pointer')
  // A pointer forwards.
  throwsWire(Buffer.concat([header(1, 0x8000, 1, 0), u16(0xc000 | 16), u16(1, 1), labels('x')]), /does not point backwards/, 'forward pointer')
  // Two names pointing at each other: the second jump goes forwards again.
  const loop = Buffer.concat([header(1, 0x8000, 2, 0), Buffer.from([1, 0x61]), u16(0xc000 | 18), u16(1, 1), Buffer.from([1, 0x62]), u16(0xc000 | 12), u16(1, 1)])
  throwsWire(loop, /does not point backwards/, 'pointer loop')
  // An unknown label type (0x40, extended labels).
  throwsWire(Buffer.concat([header(1, 0x8000, 1, 0), Buffer.from([0x41, 0x61, 0]), u16(1, 1)]), /label type 0x40/, 'label type')
})

test('record data of the wrong length is refused, never read past its end', () => {
  const q = Buffer.concat([labels('a', 'test'), u16(TYPE.A, 1)])
  const head = header(1, 0x8000, 1, 1)
  // An A record of 3 bytes followed by more bytes: read as 4, it would give a plausible address.
  throwsWire(Buffer.concat([head, q, u16(0xc000 | 12), rr(TYPE.A, Buffer.from([10, 0, 0])), Buffer.from([9, 9, 9, 9])]), /data of 3 bytes, must be 4/, 'A of 3')
  throwsWire(Buffer.concat([head, q, u16(0xc000 | 12), rr(TYPE.A, Buffer.from([10, 0, 0, 1, 2]))]), /data of 5 bytes, must be 4/, 'A of 5')
  throwsWire(Buffer.concat([head, q, u16(0xc000 | 12), rr(TYPE.AAAA, Buffer.alloc(15))]), /data of 15 bytes, must be 16/, 'AAAA of 15')
  // rdlength beyond the packet.
  throwsWire(Buffer.concat([head, q, u16(0xc000 | 12), rr(TYPE.A, Buffer.from([10, 0, 0, 1]), 40)]), /bytes short/, 'rdlength past the end')
  // A CNAME whose name runs past its rdlength, and one that ends before it.
  throwsWire(Buffer.concat([head, q, u16(0xc000 | 12), rr(TYPE.CNAME, labels('b', 'test'), 4), Buffer.alloc(8)]), /bytes short|ends at byte/, 'CNAME past rdlength')
  throwsWire(Buffer.concat([head, q, u16(0xc000 | 12), rr(TYPE.CNAME, Buffer.concat([labels('b'), Buffer.alloc(2)]))]), /ends at byte 3 of 5/, 'CNAME before rdlength')
  // SRV shorter than its fixed part, and with a target past rdlength.
  throwsWire(Buffer.concat([head, q, u16(0xc000 | 12), rr(TYPE.SRV, Buffer.alloc(6))]), /less than the 7/, 'SRV of 6')
  throwsWire(Buffer.concat([head, q, u16(0xc000 | 12), rr(TYPE.SRV, Buffer.concat([u16(0, 0, 1), labels('n1', 'test')]), 9), Buffer.alloc(9)]), /bytes short|ends at byte/, 'SRV target past rdlength')
})

test('every cut of a valid answer is a DnsWireError (or a shorter valid message), nothing else', () => {
  const buf = dnsPacket.encode({
    type: 'response', id: 9, flags: 0,
    questions: [{ type: 'SRV', name: '_t._tcp.tekka.test' }],
    answers: [
      { type: 'SRV', name: '_t._tcp.tekka.test', data: { priority: 0, weight: 0, port: 1, target: 'n1.tekka.test' } },
      { type: 'SRV', name: '_t._tcp.tekka.test', data: { priority: 0, weight: 0, port: 1, target: 'n2.tekka.test' } }
    ]
  })
  for (let n = 0; n < buf.length; n++) {
    try {
      decodeMessage(buf.subarray(0, n))
      assert.unreachable(`cut at ${n} of ${buf.length} decoded`)
    } catch (err) {
      assert.instance(err, DnsWireError, `cut at ${n}: ${String(err)}`)
    }
  }
  throwsWire(Buffer.alloc(5), /5 bytes, shorter than a DNS header/, 'short header')
})

test('random corruption: a DnsWireError or a message, never another exception', () => {
  const buf = dnsPacket.encode({
    type: 'response', id: 3, flags: 0,
    questions: [{ type: 'A', name: 'nodes.tekka.test' }],
    answers: [
      { type: 'CNAME', name: 'nodes.tekka.test', data: 'x.tekka.test' },
      { type: 'A', name: 'x.tekka.test', data: '127.0.0.2' },
      { type: 'A', name: 'x.tekka.test', data: '127.0.0.3' }
    ]
  })
  let seed = 12345
  const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n }
  let decoded = 0
  for (let i = 0; i < 3000; i++) {
    const b = Buffer.from(buf)
    for (let k = 0; k <= rnd(3); k++) b[12 + rnd(b.length - 12)] = rnd(256)
    try {
      const m = decodeMessage(b)
      decoded++
      for (const a of m.answers) if (a.data.kind === 'A') assert.ok(/^\d+\.\d+\.\d+\.\d+$/.test(a.data.address))
    } catch (err) {
      assert.instance(err, DnsWireError, `corruption ${i}: ${String(err)}`)
    }
  }
  assert.ok(decoded > 0, 'some corruptions still decode (e.g. a changed address byte)')
})

test('label bytes that are not hostname characters come out escaped: a dot inside a label is not two labels', () => {
  const q = Buffer.concat([labels('_t', '_tcp', 'test'), u16(TYPE.SRV, 1)])
  const srv = (target: Buffer): Buffer => Buffer.concat([header(1, 0x8000, 1, 1), q, u16(0xc000 | 12), rr(TYPE.SRV, Buffer.concat([u16(0, 0, 1), target]))])
  const target = (buf: Buffer): string => { const d = decodeMessage(buf).answers[0].data; return d.kind === 'SRV' ? d.target : 'not srv' }
  assert.is(target(srv(labels('n1.evil', 'test'))), 'n1\\.evil.test')
  assert.is(target(srv(labels('has space', 'test'))), 'has\\032space.test')
  assert.is(target(srv(labels(Buffer.from([0xc3, 0xa9]), 'test'))), '\\195\\169.test')
  assert.is(target(srv(labels('back\\slash'))), 'back\\\\slash')
  assert.is(target(srv(Buffer.from([0]))), '', 'the root: an empty name')
  // Over 255 bytes in all.
  const long = labels(...Array.from({ length: 5 }, () => 'x'.repeat(60)))
  throwsWire(srv(long), /longer than 255/, 'name too long')
})

test('IPv6 text as RFC 5952: lowercase, the longest zero run (first of equals, two groups or more) as ::', () => {
  const v6 = (...groups: number[]): Uint8Array => new Uint8Array(u16(...groups))
  assert.is(formatIPv6(v6(0, 0, 0, 0, 0, 0, 0, 0)), '::')
  assert.is(formatIPv6(v6(0, 0, 0, 0, 0, 0, 0, 1)), '::1')
  assert.is(formatIPv6(v6(0xfd00, 0, 0, 0, 0, 0, 0, 2)), 'fd00::2')
  assert.is(formatIPv6(v6(0x2001, 0xdb8, 0, 0, 1, 0, 0, 1)), '2001:db8::1:0:0:1')
  assert.is(formatIPv6(v6(1, 0, 0, 1, 0, 0, 0, 1)), '1:0:0:1::1')
  assert.is(formatIPv6(v6(1, 0, 2, 3, 4, 5, 6, 7)), '1:0:2:3:4:5:6:7')
  assert.is(formatIPv6(v6(0xABCD, 0, 0, 0, 0, 0, 0, 0)), 'abcd::')
})

test.run()
