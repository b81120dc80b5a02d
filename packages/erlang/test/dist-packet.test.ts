// Distribution packets crafted byte by byte (no erl): pass-through, the
// distribution header and its atom cache, fragments, control messages, and
// every way a packet can be wrong; then two tekka Erlang nodes on real
// sockets, one sending garbage: that link closes, the node keeps serving.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { eventually } from '@tekka/testing/wait'
import { freePortRange } from '@tekka/testing/ports'
import {
  CONTROL, ErlPacketError, ErlPid, ErlRef, PacketReader, exitControl, linkControl, monitorControl, monitorExitControl, unlinkControl, Tuple, atom, encode, passThrough, readControl, regSendControl, sendControl,
  startErlangNode, termEquals, tuple, type ErlangNode, type Term
} from '../src/index.js'

const TK = atom('tk@127.0.0.1')
const PID = new ErlPid(atom('e1@127.0.0.1'), 40, 0, 3)

function throwsCode (fn: () => unknown, code: string, re?: RegExp): ErlPacketError {
  try { fn() } catch (err) {
    assert.instance(err, ErlPacketError)
    assert.is((err as ErlPacketError).code, code)
    if (re !== undefined) assert.match((err as Error).message, re)
    return err as ErlPacketError
  }
  assert.unreachable(`expected ${code}`)
  throw new Error('unreachable')
}

/** Atom cache refs: [slot, new text or undefined]; the header (after 131 68 or a fragment's ids). */
function header (refs: Array<[number, string | undefined]>, long = false): Buffer {
  const n = refs.length
  if (n === 0) return Buffer.from([0])
  const flags = Buffer.alloc((n >> 1) + 1)
  const set = (i: number, v: number): void => { flags[i >> 1] |= v << ((i & 1) * 4) }
  refs.forEach(([slot, text], i) => { set(i, (slot >> 8) | (text !== undefined ? 8 : 0)) })
  if (long) set(n, 1)
  const parts: Buffer[] = [Buffer.from([n]), flags]
  for (const [slot, text] of refs) {
    parts.push(Buffer.from([slot & 0xff]))
    if (text !== undefined) {
      const t = Buffer.from(text)
      parts.push(long ? Buffer.from([t.length >> 8, t.length & 0xff]) : Buffer.from([t.length]), t)
    }
  }
  return Buffer.concat(parts)
}

/** A term without its version byte. */
const body = (t: Term): Buffer => encode(t).subarray(1)
const cacheRef = (i: number): Buffer => Buffer.from([82, i])

test('pass-through: SEND and REG_SEND as passThrough writes them read back; a compressed message too', () => {
  const r = new PacketReader()
  const m = r.read(passThrough(sendControl(PID), tuple(atom('hello'), 1)))
  const c = readControl(m as NonNullable<typeof m>)
  assert.is(c.op, 'send')
  assert.ok(c.op === 'send' && termEquals(c.to, PID) && termEquals(c.message, tuple(atom('hello'), 1)))
  const c2 = readControl(r.read(passThrough(regSendControl(PID, atom('box')), [1, 2])) as NonNullable<ReturnType<PacketReader['read']>>)
  assert.ok(c2.op === 'reg_send' && c2.to === atom('box') && termEquals(c2.from, PID) && termEquals(c2.message, [1, 2]))
  const big = Buffer.alloc(5000, 7)
  const packed = encode(big, { compressed: true })
  assert.is(packed[1], 80)
  const m3 = r.read(Buffer.concat([Buffer.from([112]), encode(sendControl(PID)), packed]))
  assert.ok(m3?.message instanceof Buffer && m3.message.equals(big))
})

test('distribution header: new entries fill the link\'s cache (segments, long atoms), later packets refer to them; refs index the header\'s list', () => {
  const r = new PacketReader()
  // {6, Pid, '', box} with box new in slot 0x305 and '' new in slot 7; message {box, hi} with hi long-form in slot 0x700.
  const ctl = Buffer.concat([Buffer.from([104, 4, 97, 6]), body(PID), cacheRef(1), cacheRef(0)])
  const msg = Buffer.concat([Buffer.from([104, 2]), cacheRef(0), cacheRef(2)])
  const p1 = Buffer.concat([Buffer.from([131, 68]), header([[0x305, 'box'], [7, ''], [0x700, 'hi']], true), ctl, msg])
  const c = readControl(r.read(p1) as NonNullable<ReturnType<PacketReader['read']>>)
  assert.ok(c.op === 'reg_send' && c.to === atom('box'))
  assert.ok(c.op === 'reg_send' && termEquals(c.message, tuple(atom('box'), atom('hi'))))
  // The same atoms now by slot only, in another order.
  const p2 = Buffer.concat([Buffer.from([131, 68]), header([[7, undefined], [0x305, undefined], [0x700, undefined]]),
    Buffer.from([104, 4, 97, 6]), body(PID), cacheRef(0), cacheRef(1), Buffer.from([104, 1]), cacheRef(2)])
  const c2 = readControl(r.read(p2) as NonNullable<ReturnType<PacketReader['read']>>)
  assert.ok(c2.op === 'reg_send' && c2.to === atom('box') && termEquals(c2.message, tuple(atom('hi'))))
  // No refs at all: flags omitted.
  const p3 = Buffer.concat([Buffer.from([131, 68, 0]), body(sendControl(PID)), body(7)])
  assert.ok(termEquals(r.read(p3)?.message as Term, 7))
  // Another link's reader has an empty cache.
  throwsCode(() => new PacketReader().read(p2), 'ERR_ERL_PACKET', /slot 7, which this link's cache does not hold/)
})

test('fragments: a header and continuations counting down reassemble; a single-fragment message; interleaved sequences', () => {
  const r = new PacketReader()
  const whole = Buffer.concat([header([[1, 'box']]), Buffer.from([104, 4, 97, 6]), body(PID), body(atom('')), cacheRef(0), body(Buffer.alloc(300, 9))])
  const terms = whole.subarray(header([[1, 'box']]).length)
  const ids = (kind: number, seq: number, frag: number): Buffer => { const b = Buffer.alloc(18); b[0] = 131; b[1] = kind; b.writeBigUInt64BE(BigInt(seq), 2); b.writeBigUInt64BE(BigInt(frag), 10); return b }
  const cut = [terms.subarray(0, 10), terms.subarray(10, 200), terms.subarray(200)]
  assert.is(r.read(Buffer.concat([ids(69, 5, 3), header([[1, 'box']]), cut[0]])), undefined)
  assert.is(r.read(Buffer.concat([ids(69, 6, 1), header([[1, undefined]]), body(sendControl(PID)), body(1)]))?.message, 1)
  assert.is(r.read(Buffer.concat([ids(70, 5, 2), cut[1]])), undefined)
  assert.is(r.fragmentsPending, 1)
  const m = r.read(Buffer.concat([ids(70, 5, 1), cut[2]]))
  const c = readControl(m as NonNullable<typeof m>)
  assert.ok(c.op === 'reg_send' && c.to === atom('box') && c.message instanceof Buffer && c.message.length === 300)
  assert.is(r.fragmentsPending, 0)
  // Refused: a continuation with no header, out of order, id 0, a second header, too big, too many.
  throwsCode(() => r.read(Buffer.concat([ids(70, 9, 1), cut[2]])), 'ERR_ERL_FRAGMENT', /no DIST_FRAG_HEADER/)
  assert.is(r.read(Buffer.concat([ids(69, 10, 3), header([]), cut[0]])), undefined)
  throwsCode(() => r.read(Buffer.concat([ids(70, 10, 1), cut[1]])), 'ERR_ERL_FRAGMENT', /fragment 1 of sequence 10 where 2 was next/)
  throwsCode(() => r.read(Buffer.concat([ids(69, 10, 3), header([]), cut[0]])), 'ERR_ERL_FRAGMENT', /a second DIST_FRAG_HEADER/)
  throwsCode(() => r.read(ids(69, 11, 0)), 'ERR_ERL_FRAGMENT', /fragment id 0/)
  throwsCode(() => r.read(Buffer.from([131, 70, 0, 0])), 'ERR_ERL_FRAGMENT', /18/)
  const small = new PacketReader({ maxMessage: 100, maxFragmented: 1 })
  throwsCode(() => small.read(Buffer.concat([ids(69, 1, 2), header([]), Buffer.alloc(101)])), 'ERR_ERL_FRAGMENT', /maxMessage/)
  assert.is(small.read(Buffer.concat([ids(69, 2, 2), header([]), Buffer.alloc(10)])), undefined)
  throwsCode(() => small.read(Buffer.concat([ids(69, 3, 2), header([]), Buffer.alloc(10)])), 'ERR_ERL_FRAGMENT', /more than 1 fragmented messages/)
})

test('malformed packets: each an ErlPacketError naming what and where', () => {
  const r = new PacketReader()
  throwsCode(() => r.read(Buffer.alloc(0)), 'ERR_ERL_PACKET', /empty/)
  throwsCode(() => r.read(Buffer.from([99, 1])), 'ERR_ERL_PACKET', /starting with 99/)
  throwsCode(() => r.read(Buffer.from([131])), 'ERR_ERL_PACKET', /ends after 131/)
  throwsCode(() => r.read(Buffer.from([131, 71])), 'ERR_ERL_PACKET', /unknown distribution header 71/)
  throwsCode(() => r.read(Buffer.from([131, 68])), 'ERR_ERL_PACKET', /NumberOfAtomCacheRefs/)
  throwsCode(() => r.read(Buffer.from([131, 68, 3, 0])), 'ERR_ERL_PACKET', /its flags/)
  throwsCode(() => r.read(Buffer.from([131, 68, 1, 8, 0, 5, 0x61])), 'ERR_ERL_PACKET', /the text of atom 0/)
  throwsCode(() => r.read(Buffer.from([131, 68, 1, 8, 0, 1, 0xff])), 'ERR_ERL_PACKET', /not UTF-8/)
  const e = throwsCode(() => r.read(Buffer.from([112, 131, 104, 3, 97])), 'ERR_ERL_PACKET', /the control message: external term format/)
  assert.is((e.cause as { code: string }).code, 'ERR_ETF_TRUNCATED')
  throwsCode(() => r.read(Buffer.from([112, 130, 106])), 'ERR_ERL_PACKET', /version byte 130/)
  throwsCode(() => r.read(Buffer.concat([Buffer.from([112]), encode(sendControl(PID)), Buffer.from([131, 200])])), 'ERR_ERL_PACKET', /the message: .*unknown tag 200/)
  throwsCode(() => r.read(Buffer.concat([Buffer.from([112]), encode(sendControl(PID)), encode(1), Buffer.from([7])])), 'ERR_ERL_PACKET', /1 bytes after the message/)
  throwsCode(() => r.read(Buffer.concat([Buffer.from([112]), encode(atom('x'))])), 'ERR_ERL_CONTROL', /not a tuple/)
  throwsCode(() => r.read(Buffer.from([131, 68, 0, 104, 1, 82, 0])), 'ERR_ERL_PACKET', /ATOM_CACHE_REF 0/)
})

test('control messages: fields checked, unknown operations refused, the others passed on; links, exits and monitors in every form', () => {
  const ctl = (t: Tuple, message?: Term): ReturnType<typeof readControl> => readControl({ control: t, message })
  throwsCode(() => ctl(tuple(99, 1)), 'ERR_ERL_CONTROL', /unknown operation 99/)
  throwsCode(() => ctl(tuple(atom('send'), 1)), 'ERR_ERL_CONTROL', /unknown operation send/)
  throwsCode(() => ctl(tuple(CONTROL.SEND, atom(''), PID, 1), 1), 'ERR_ERL_CONTROL', /SEND with 4 elements \(it has 3\)/)
  throwsCode(() => ctl(tuple(CONTROL.SEND, atom(''), atom('x')), 1), 'ERR_ERL_CONTROL', /SEND's pid \(element 3\) is not a pid/)
  throwsCode(() => ctl(tuple(CONTROL.SEND, atom(''), PID)), 'ERR_ERL_CONTROL', /SEND without its message/)
  throwsCode(() => ctl(tuple(CONTROL.REG_SEND, PID, atom(''), 7), 1), 'ERR_ERL_CONTROL', /REG_SEND's atom \(element 4\) is not an atom/)
  const tt = ctl(tuple(CONTROL.REG_SEND_TT, PID, atom(''), atom('box'), atom('token')), 5)
  assert.ok(tt.op === 'reg_send' && tt.to === atom('box') && tt.message === 5)
  const ss = ctl(tuple(CONTROL.SEND_SENDER, PID, new ErlPid(TK, 1, 0, 1)), 5)
  assert.ok(ss.op === 'send' && ss.from !== undefined && termEquals(ss.from, PID))
  const gl = ctl(tuple(CONTROL.GROUP_LEADER, PID, PID))
  assert.ok(gl.op === 'other' && gl.name === 'GROUP_LEADER' && gl.code === 7)
  // Links, exits, monitors: each form read, the builders' tuples read back.
  const ME = new ErlPid(TK, 1, 0, 1)
  const REF = new ErlRef(TK, 1, [1, 2, 3])
  assert.ok(readControl({ control: linkControl(PID, ME) }).op === 'link')
  const ul = readControl({ control: unlinkControl(PID, ME, 9) })
  assert.ok(ul.op === 'unlink' && ul.id === 9)
  assert.ok(readControl({ control: unlinkControl(PID, ME, undefined) }).op === 'unlink')
  for (const payload of [true, false]) {
    for (const link of [true, false]) {
      const e = readControl(exitControl(PID, ME, atom('boom'), link, payload))
      assert.ok(e.op === 'exit' && e.link === link && e.reason === atom('boom'), `exit link=${link} payload=${payload}`)
    }
    const d = readControl(monitorExitControl(atom('box'), ME, REF, atom('gone'), payload))
    assert.ok(d.op === 'down' && d.from === atom('box') && d.reason === atom('gone'))
  }
  const tte = ctl(tuple(CONTROL.EXIT2_TT, PID, ME, atom('tt'), atom('r')))
  assert.ok(tte.op === 'exit' && !tte.link && tte.reason === atom('r'))
  const mon = readControl({ control: monitorControl(PID, atom('box'), REF) })
  assert.ok(mon.op === 'monitor' && mon.to === atom('box'))
  assert.ok(readControl({ control: monitorControl(PID, ME, REF, true) }).op === 'demonitor')
  throwsCode(() => ctl(tuple(CONTROL.MONITOR_P, PID, ME, 5)), 'ERR_ERL_CONTROL', /MONITOR_P's reference \(element 4\) is not a reference/)
  throwsCode(() => ctl(tuple(CONTROL.MONITOR_P, PID, 5, REF)), 'ERR_ERL_CONTROL', /MONITOR_P's pid or atom \(element 3\)/)
  throwsCode(() => ctl(tuple(CONTROL.PAYLOAD_EXIT, PID, ME)), 'ERR_ERL_CONTROL', /PAYLOAD_EXIT without its message/)
  throwsCode(() => ctl(tuple(CONTROL.LINK, PID)), 'ERR_ERL_CONTROL', /LINK with 2 elements/)
})

// ---- two tekka Erlang nodes on real sockets ----------------------------------

const nodes: ErlangNode[] = []
test.after.each(async () => { for (const n of nodes.splice(0)) await n.stop() })

async function pair (): Promise<[ErlangNode, ErlangNode]> {
  const base = await freePortRange(3)
  const opts = { cookie: 'c', portMapper: 'port_rule' as const, basePort: base, tickTime: 60_000 }
  const a = await startErlangNode({ name: 'tk1@127.0.0.1', ...opts })
  nodes.push(a)
  const b = await startErlangNode({ name: 'tk2@127.0.0.1', ...opts })
  nodes.push(b)
  return [a, b]
}

test('between two tekka nodes: ping, REG_SEND on demand and SEND back with pids mapped; garbage closes that link only (bad_packet), the node keeps serving', async () => {
  const [a, b] = await pair()
  const got: unknown[] = []
  b.runtime.spawn(async (ctx) => {
    for (;;) {
      const m = await ctx.receive()
      got.push(m)
      if (m instanceof Tuple && m.elements[1] !== undefined) ctx.send(m.elements[1] as never, tuple(atom('echo'), m.elements[0]))
    }
  }, { name: 'box' })
  // No link yet: the send dials.
  const reply = await a.runtime.run(async (ctx) => {
    ctx.send({ name: 'box', node: b.name }, tuple(atom('hi'), ctx.self as never, Buffer.from('x')))
    return await ctx.receive(undefined, { timeout: 5000 })
  })
  assert.ok(termEquals(reply as Term, tuple(atom('echo'), atom('hi'))), String(reply))
  assert.is(await a.ping(b.name), 'pong')
  assert.is(await b.ping(a.name), 'pong')
  assert.is(await a.ping('tk3@127.0.0.1', { timeout: 1000 }), 'pang')
  // Garbage from a: b closes that link and says why.
  const bad: ErlPacketError[] = []
  b.on('bad_packet', (_peer, err) => { bad.push(err) })
  const down: string[] = []
  b.dist.on('nodedown', (peer, reason) => { down.push(`${peer} ${reason}`) })
  a.dist.connection(b.name)?.send(Buffer.from([131, 71, 1]))
  await eventually(() => down.length === 1, { message: 'the link closed' })
  assert.equal(down, ['tk1@127.0.0.1 bad_packet'])
  assert.is(bad[0].code, 'ERR_ERL_PACKET')
  // b still serves: a new link, ping and delivery.
  assert.is(await a.ping(b.name), 'pong')
  a.runtime.send({ name: 'box', node: b.name }, tuple(atom('again')))
  await eventually(() => got.some((m) => termEquals(m as Term, tuple(atom('again')))), { message: 'delivered after the bad packet' })
})

test('a message with no Erlang term is refused in the sender; a runtime of another name or with a router is refused', async () => {
  const [a, b] = await pair()
  const err = await a.runtime.run(async (ctx) => {
    try { ctx.send({ name: 'box', node: b.name }, { plain: 'object' }); return undefined } catch (e) { return e as Error }
  })
  assert.match(String(err), /cannot encode as an Erlang term/)
  try {
    await startErlangNode({ name: 'tk9@127.0.0.1', cookie: 'c', runtime: a.runtime, portMapper: 'port_rule' })
    assert.unreachable('another name')
  } catch (e) {
    assert.match(String(e), /the runtime is node tk1@127.0.0.1, not tk9@127.0.0.1/)
  }
  try {
    await startErlangNode({ name: a.name, cookie: 'c', runtime: a.runtime, portMapper: 'port_rule', port: 0 })
    assert.unreachable('a second router')
  } catch (e) {
    assert.match(String(e), /net_kernel|already has a router/)
  }
})

test.run()
