import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { randomBytes } from 'node:crypto'
import { pack, unpack } from 'msgpackr'
import { Pid, Ref, NoProcError, CallExitError, TekkaError, registerErrors } from '@tekka/actors'
import { createCodec, FrameDecodeError, FrameEncodeError, HandshakeError } from '../src/index.js'

const codec = createCodec()
const rt = (v: unknown): unknown => codec.decode(codec.encode(v))

test('plain values round-trip', () => {
  const v = {
    s: 'héllo', n: 42, f: 1.5, neg: -7, big: 2 ** 40, t: true, nil: null,
    arr: [1, 'two', [3, { four: 4 }]], nested: { a: { b: { c: [] } } },
    bigint: 2n ** 70n, small: -5n, date: new Date(1_700_000_000_123), set: new Set([1, 'a']),
    bytes: Buffer.from('bin'), u8: new Uint8Array([1, 2, 3])
  }
  assert.equal(rt(v), v)
})

test('byte 0xc1 (never used in MessagePack) is refused wherever it sits, and strings or binaries holding it still decode', () => {
  const codec = createCodec()
  const bad = [[0xc1], [0x92, 0x01, 0xc1], [0x93, 0x01, 0x02, 0xc1], [0x81, 0xa1, 0x61, 0xc1], [0x91, 0x91, 0xc1], [0x95, 1, 2, 3, 4, 0x91, 0xc1]]
  for (const b of bad) {
    assert.throws(() => codec.decode(Buffer.from(b)), (e: Error) => e.name === 'FrameDecodeError' && /0xc1/.test(e.message), Buffer.from(b).toString('hex'))
  }
  const bin = Buffer.from([0xc1, 0xc1, 0x00])
  assert.equal(codec.decode(codec.encode(['x', bin])), ['x', bin])
  assert.equal(codec.decode(codec.encode({ s: 'a\u00c1b', n: -63 })), { s: 'a\u00c1b', n: -63 })
})

test('undefined survives in objects and arrays', () => {
  const out = rt({ a: undefined, b: 1, arr: [1, undefined, 3] }) as Record<string, unknown>
  assert.ok('a' in out)
  assert.is(out.a, undefined)
  assert.equal(out.arr, [1, undefined, 3])
  assert.is(rt(undefined), undefined)
})

test('pids and refs come back as Pid and Ref equal to the originals', () => {
  const pid = new Pid('node1@127.0.0.1', 17, 0xfffffffe)
  const ref = new Ref('node2@127.0.0.1', 99, 3)
  const out = rt({ from: pid, tag: ref, list: [pid, ref] }) as { from: Pid, tag: Ref, list: [Pid, Ref] }
  assert.ok(out.from instanceof Pid)
  assert.ok(out.from.equals(pid))
  assert.is(out.from.toString(), '<node1@127.0.0.1.17.4294967294>')
  assert.ok(out.tag instanceof Ref)
  assert.ok(out.tag.equals(ref))
  assert.ok(out.list[0].equals(pid) && out.list[1].equals(ref))
})

test('errors keep name, message, stack, code, reason and cause', () => {
  const cause = new RangeError('inner')
  const err = Object.assign(new Error('boom', { cause }), { code: 'E_BOOM', reason: { pid: new Pid('a@h', 1, 2) } })
  const out = rt(err) as Error & { code: string, reason: { pid: Pid }, cause: Error }
  assert.ok(out instanceof Error)
  assert.is(out.name, 'Error')
  assert.is(out.message, 'boom')
  assert.is(out.stack, err.stack)
  assert.is(out.code, 'E_BOOM')
  assert.ok(out.reason.pid instanceof Pid)
  assert.ok(out.cause instanceof RangeError)
  assert.is(out.cause.message, 'inner')
  const t = rt(new TypeError('bad type'))
  assert.ok(t instanceof TypeError)
  const custom = new Error('x')
  custom.name = 'WeirdError'
  const c = rt(custom) as Error
  assert.ok(c instanceof Error)
  assert.is(c.name, 'WeirdError')
})

test('tekka errors come back as instances of their class', () => {
  const out = rt(new NoProcError('<a@h.1.1>')) as NoProcError
  assert.ok(out instanceof NoProcError)
  assert.ok(out instanceof TekkaError)
  assert.is(out.code, 'ERR_NOPROC')
  assert.is(out.name, 'NoProcError')
  assert.is(out.message, 'no such process: <a@h.1.1>')
  const exit = rt(new CallExitError('srv', new Pid('b@h', 2, 3))) as CallExitError
  assert.ok(exit instanceof CallExitError)
  assert.ok((exit.reason as Pid).equals(new Pid('b@h', 2, 3)))
  const hs = rt(new HandshakeError('ERR_HANDSHAKE_COOKIE', 'nope', { status: 'bad_cookie' })) as HandshakeError
  assert.ok(hs instanceof HandshakeError)
  assert.is(hs.code, 'ERR_HANDSHAKE_COOKIE')
  assert.is(hs.status, 'bad_cookie')
})

/** A user's own error class, as an app defines one: a TekkaError with its own code. */
class RpcFailed extends TekkaError<'ERR_TEST_RPC_FAILED'> {
  readonly fn: string
  constructor (fn: string) { super(`rpc ${fn} failed`, 'ERR_TEST_RPC_FAILED'); this.fn = fn }
}

/** Never registered: its code has no class in the registry. */
class Unregistered extends TekkaError<'ERR_TEST_NOBODY'> {
  readonly detail = 7
  constructor () { super('nobody knows me', 'ERR_TEST_NOBODY') }
}

test('a user error class registered with registerErrors comes back as itself, with its fields', () => {
  registerErrors({ ERR_TEST_RPC_FAILED: RpcFailed })
  const sent = new RpcFailed('sum')
  const out = rt(sent) as RpcFailed
  assert.ok(out instanceof RpcFailed)
  assert.ok(out instanceof TekkaError)
  assert.is(out.code, 'ERR_TEST_RPC_FAILED')
  assert.is(out.name, 'RpcFailed')
  assert.is(out.fn, 'sum')
  assert.is(out.message, 'rpc sum failed')
  assert.is(out.stack, sent.stack)
})

test('errors are rebuilt by their code, whatever class sent them; an unregistered code is a plain Error keeping name and code', () => {
  // A plain Error carrying a registered code arrives as that code's class.
  const byCode = rt(Object.assign(new Error('no such process: x'), { code: 'ERR_NOPROC' })) as NoProcError
  assert.ok(byCode instanceof NoProcError)
  assert.is(byCode.code, 'ERR_NOPROC')
  const nobody = rt(new Unregistered()) as Error & { code: string, detail: number }
  assert.not.ok(nobody instanceof Unregistered)
  assert.not.ok(nobody instanceof TekkaError)
  assert.is(Object.getPrototypeOf(nobody), Error.prototype)
  assert.is(nobody.name, 'Unregistered')
  assert.is(nobody.code, 'ERR_TEST_NOBODY')
  assert.is(nobody.detail, 7)
  assert.is(nobody.message, 'nobody knows me')
})

test('a JavaScript error arrives as its own built-in class, with its cause', () => {
  const sent = new RangeError('out of range', { cause: new TypeError('inner') })
  const out = rt(sent) as RangeError & { cause: TypeError }
  assert.is(Object.getPrototypeOf(out), RangeError.prototype)
  assert.is(out.name, 'RangeError')
  assert.is(out.message, 'out of range')
  assert.is(out.stack, sent.stack)
  assert.ok(out.cause instanceof TypeError)
  assert.is(out.cause.message, 'inner')
})

test('other msgpackr users keep msgpackr\'s own error encoding', () => {
  createCodec()
  const out = unpack(pack(new Error('plain')))
  assert.equal(out, ['Error', 'plain', undefined])
})

test('a value msgpack cannot hold throws FrameEncodeError', () => {
  const cyclic: Record<string, unknown> = {}
  cyclic.self = cyclic
  try {
    codec.encode(cyclic)
    assert.unreachable()
  } catch (err) {
    assert.instance(err, FrameEncodeError)
    assert.is((err as FrameEncodeError).code, 'ERR_FRAME_ENCODE')
  }
})

function decodeError (bytes: number[] | Buffer): FrameDecodeError {
  try {
    codec.decode(Buffer.from(bytes))
  } catch (err) {
    assert.instance(err, FrameDecodeError)
    return err as FrameDecodeError
  }
  throw new Error('decoded without error')
}

test('headroom leaves bytes free in front; decode takes a range', () => {
  const plain = codec.encode({ x: [1, 2] })
  const roomy = codec.encode({ x: [1, 2] }, 5)
  assert.is(roomy.length, plain.length + 5)
  assert.equal(roomy.subarray(5), plain)
  roomy.fill(0xee, 0, 5)
  assert.equal(codec.decode(roomy, 5), { x: [1, 2] })
  const framed = Buffer.concat([Buffer.from([9, 9]), plain, Buffer.from([7])])
  assert.equal(codec.decode(framed, 2, 2 + plain.length), { x: [1, 2] })
  assert.throws(() => codec.decode(framed, 2), (e: unknown) => e instanceof FrameDecodeError) // trailing byte
  assert.throws(() => codec.decode(framed, 3, 3), (e: unknown) => e instanceof FrameDecodeError) // empty range
  const bin = codec.decode(codec.encode(Buffer.from('abc'))) as Buffer
  assert.is(bin.toString(), 'abc')
})

test('malformed input throws FrameDecodeError', () => {
  assert.is(decodeError([]).code, 'ERR_FRAME_DECODE')
  decodeError([0x92, 0x01]) // truncated array
  decodeError([0x01, 0x02]) // trailing bytes
  decodeError([0xdd, 0xff, 0xff, 0xff, 0xff]) // array32 of 4 G elements in 5 bytes
  decodeError([0xdb, 0x7f, 0xff, 0xff, 0xff, 0x61]) // str32 longer than the input
  decodeError([0xd4, 0x10, 0x00, 0x93, 0x01, 0x02, 0x03]) // pid with a non-string node
  decodeError([0xd4, 0x11, 0x00, 0xc0]) // ref that is not an array
  decodeError([0xd4, 0x12, 0x00, 0x90]) // error of the wrong shape
  decodeError([0xc7, 0x01, 0x10, 0x00]) // pid extension in non-fixext form
  decodeError([0xd4, 0x7e, 0x00]) // unknown extension
  decodeError([0xd6, 0x69, 0, 0, 0, 1, 0x90]) // structured-clone id, disabled
})

test('deep nesting fails cleanly instead of blowing the stack', () => {
  const deep = Buffer.alloc(200_000, 0x91)
  decodeError(deep)
})

test('fuzz: random and mutated inputs only ever throw FrameDecodeError', () => {
  const samples = [
    codec.encode({ t: 'hello', name: 'a@h', challenge: randomBytes(32), n: [1, 2, 3] }),
    codec.encode([new Pid('a@h', 1, 2), new Ref('b@h', 3, 4), new Error('e'), new Set([1]), 2n ** 80n, new Date()]),
    codec.encode({ nested: { deeper: { list: ['x', 'y', { z: undefined }] } } })
  ]
  let decoded = 0
  for (let i = 0; i < 20_000; i++) {
    let input: Buffer
    if (i % 2 === 0) {
      input = randomBytes(1 + (i % 64))
    } else {
      input = Buffer.from(samples[i % samples.length])
      const flips = 1 + (i % 4)
      for (let k = 0; k < flips; k++) input[(i * 7919 + k * 104729) % input.length] = (i * 31 + k) & 0xff
      if (i % 5 === 0) input = input.subarray(0, input.length - 1 - (i % 3))
    }
    try {
      codec.decode(input)
      decoded++
    } catch (err) {
      if (!(err instanceof FrameDecodeError)) throw new Error(`input ${input.toString('hex')} threw ${String(err)}`)
    }
  }
  assert.ok(decoded > 0)
})

test.run()
