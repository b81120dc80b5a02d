// The external term format codec on its own (the unit tier): the bytes each
// kind of value encodes to, as erl_ext_dist gives them, and decoding them
// back; the deprecated forms older nodes write; the documented mapping
// choices (strings are lists, booleans are atoms, integral floats, -0).
// etf-erlang.test.ts checks the same against a real erl.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { deflateSync } from 'node:zlib'
import {
  Atom, atom, BitBinary, decode, decodeAt, encode, encodeInto, ErlFloat, ErlPid, ErlPort, ErlRef, ImproperList,
  mapGet, TermWriter, termEquals, Tuple, tuple, type Term
} from '../src/index.js'

const bytes = (...xs: Array<number | string>): Buffer => Buffer.concat(xs.map((x) => typeof x === 'string' ? Buffer.from(x, 'utf8') : Buffer.from([x])))
const u32 = (n: number): Buffer => { const b = Buffer.alloc(4); b.writeUInt32BE(n >>> 0); return b }
const cat = (...xs: Array<Buffer | number | string>): Buffer => Buffer.concat(xs.map((x) => Buffer.isBuffer(x) ? x : bytes(x)))

/** Each value, the bytes it encodes to (after 131), and how it decodes when that differs from the value. */
const CASES: Array<{ name: string, value: Term, wire: Buffer, decoded?: Term }> = [
  { name: 'small integer 0', value: 0, wire: bytes(97, 0) },
  { name: 'small integer 255', value: 255, wire: bytes(97, 255) },
  { name: 'integer 256', value: 256, wire: cat(98, u32(256)) },
  { name: 'integer -1', value: -1, wire: cat(98, u32(-1)) },
  { name: 'integer 2^31 - 1', value: 2 ** 31 - 1, wire: cat(98, u32(2 ** 31 - 1)) },
  { name: 'integer -2^31', value: -(2 ** 31), wire: cat(98, u32(2 ** 31)) },
  { name: 'bignum 2^31', value: 2 ** 31, wire: bytes(110, 4, 0, 0, 0, 0, 0x80) },
  { name: 'bignum -2^31 - 1', value: -(2 ** 31) - 1, wire: bytes(110, 4, 1, 1, 0, 0, 0x80) },
  { name: 'bignum 2^53 - 1 (a number)', value: Number.MAX_SAFE_INTEGER, wire: bytes(110, 7, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f) },
  { name: 'bignum 2^53 (a bigint)', value: 2n ** 53n, wire: bytes(110, 7, 0, 0, 0, 0, 0, 0, 0, 0x20) },
  { name: 'bignum -2^64', value: -(2n ** 64n), wire: bytes(110, 9, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1) },
  { name: 'a bigint in the small range', value: 5n, wire: bytes(97, 5), decoded: 5 },
  { name: 'LARGE_BIG 2^2048', value: 2n ** 2048n, wire: cat(111, u32(257), 0, Buffer.alloc(256), 1) },
  { name: 'float 2.5', value: 2.5, wire: bytes(70, 0x40, 0x04, 0, 0, 0, 0, 0, 0) },
  { name: 'ErlFloat(1) is the float 1.0', value: new ErlFloat(1), wire: bytes(70, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0), decoded: new ErlFloat(1) },
  { name: '-0 is the float -0.0', value: -0, wire: bytes(70, 0x80, 0, 0, 0, 0, 0, 0, 0) },
  { name: '2^53 as a number is a float', value: 2 ** 53, wire: bytes(70, 0x43, 0x40, 0, 0, 0, 0, 0, 0) },
  { name: 'atom ok', value: atom('ok'), wire: bytes(119, 2, 'ok') },
  { name: 'the empty atom', value: atom(''), wire: bytes(119, 0) },
  { name: 'a UTF-8 atom', value: atom('日本'), wire: bytes(119, 6, '日本') },
  { name: 'an atom of 128 two-byte characters (256 bytes: ATOM_UTF8_EXT)', value: atom('é'.repeat(128)), wire: cat(118, 1, 0, 'é'.repeat(128)) },
  { name: 'true', value: true, wire: bytes(119, 4, 'true') },
  { name: 'the atom false is false', value: atom('false'), wire: bytes(119, 5, 'false'), decoded: false },
  { name: 'empty binary', value: Buffer.alloc(0), wire: cat(109, u32(0)) },
  { name: 'binary', value: Buffer.from([0, 255]), wire: cat(109, u32(2), 0, 255) },
  { name: 'a Uint8Array is a binary', value: new Uint8Array([1, 2]), wire: cat(109, u32(2), 1, 2), decoded: Buffer.from([1, 2]) },
  { name: 'bit binary <<5:3>>', value: new BitBinary(Buffer.from([0b1010_0000]), 3), wire: cat(77, u32(1), 3, 0b1010_0000) },
  { name: 'bit binary <<255, 1:1>>', value: new BitBinary(Buffer.from([255, 0x80]), 1), wire: cat(77, u32(2), 1, 255, 0x80) },
  { name: 'bit binary bits beyond its length are written zero', value: new BitBinary(Buffer.from([0xff]), 2), wire: cat(77, u32(1), 2, 0xc0), decoded: new BitBinary(Buffer.from([0xc0]), 2) },
  { name: 'the empty list', value: [], wire: bytes(106) },
  { name: 'the empty string is []', value: '', wire: bytes(106), decoded: [] },
  { name: 'a string of bytes is STRING_EXT', value: 'héllo', wire: cat(107, 0, 5, Buffer.from('héllo', 'latin1')) },
  { name: 'a string beyond Latin-1 is a list of code points', value: '日本', wire: cat(108, u32(2), 98, u32(0x65e5), 98, u32(0x672c), 106), decoded: [0x65e5, 0x672c] },
  { name: 'list', value: [1, atom('a'), []], wire: cat(108, u32(3), 97, 1, 119, 1, 'a', 106, 106) },
  { name: 'improper list [1 | 2]', value: new ImproperList([1], 2), wire: cat(108, u32(1), 97, 1, 97, 2) },
  { name: 'empty tuple', value: tuple(), wire: bytes(104, 0) },
  { name: 'tuple', value: tuple(atom('ok'), 1), wire: bytes(104, 2, 119, 2, 'ok', 97, 1) },
  { name: 'tuple of 256 (LARGE_TUPLE_EXT)', value: new Tuple(new Array(256).fill(0)), wire: cat(105, u32(256), Buffer.from(new Array(256).fill([97, 0]).flat())) },
  { name: 'empty map', value: new Map(), wire: cat(116, u32(0)) },
  { name: 'map', value: new Map<Term, Term>([[atom('a'), 1]]), wire: cat(116, u32(1), 119, 1, 'a', 97, 1) },
  { name: 'pid', value: new ErlPid(atom('a@b'), 1, 2, 0xffff_ffff), wire: cat(88, 119, 3, 'a@b', u32(1), u32(2), u32(0xffff_ffff)) },
  { name: 'reference', value: new ErlRef(atom('a@b'), 7, [1, 2, 3]), wire: cat(90, 0, 3, 119, 3, 'a@b', u32(7), u32(1), u32(2), u32(3)) },
  { name: 'port', value: new ErlPort(atom('a@b'), 5, 7), wire: cat(89, 119, 3, 'a@b', u32(5), u32(7)) },
  { name: 'port beyond 32 bits (V4_PORT_EXT)', value: new ErlPort(atom('a@b'), 2 ** 32 + 2, 7), wire: cat(120, 119, 3, 'a@b', u32(1), u32(2), u32(7)) },
  { name: 'port beyond 2^53 (a bigint id)', value: new ErlPort(atom('a@b'), 2n ** 60n, 7), wire: cat(120, 119, 3, 'a@b', u32(2 ** 28), u32(0), u32(7)) }
]

for (const c of CASES) {
  test(`${c.name}: encodes to its bytes and decodes back`, () => {
    const wire = Buffer.concat([bytes(131), c.wire])
    assert.equal(encode(c.value).toString('hex'), wire.toString('hex'))
    const back = decode(wire, { floats: c.value instanceof ErlFloat ? 'boxed' : 'number' })
    const expected = c.decoded ?? c.value
    assert.ok(termEquals(back, expected), `decoded ${String(back)}`)
    assert.equal(back, expected)
  })
}

test('decoded integers: a number when safe, a bigint beyond; -0.0 stays -0', () => {
  assert.is(typeof decode(encode(2n ** 53n - 1n)), 'number')
  assert.is(typeof decode(encode(2n ** 53n)), 'bigint')
  assert.is(decode(encode(-(2n ** 53n) + 1n)), -(2 ** 53) + 1)
  assert.ok(Object.is(decode(encode(-0)), -0))
  assert.is(decode(Buffer.from([131, 110, 0, 1])), 0, 'a zero-digit negative bignum is 0')
})

test('floats: numbers by default (1.0 arrives as 1), ErlFloat with floats: boxed', () => {
  const one = encode(new ErlFloat(1))
  assert.is(decode(one), 1)
  const boxed = decode(one, { floats: 'boxed' })
  assert.instance(boxed, ErlFloat)
  assert.is(encode(boxed).toString('hex'), one.toString('hex'))
  assert.not.ok(termEquals(1, new ErlFloat(1)), '1 =/= 1.0')
  assert.ok(termEquals(2.5, new ErlFloat(2.5)))
  assert.not.ok(termEquals(-0, 0))
})

test('strings: STRING_EXT is a JavaScript string by default, number[] with strings: list; equal to the list of their codes', () => {
  const s = encode('abc')
  assert.is(decode(s), 'abc')
  assert.equal(decode(s, { strings: 'list' }), [97, 98, 99])
  assert.ok(termEquals('abc', [97, 98, 99]))
  assert.ok(termEquals('日本', [0x65e5, 0x672c]))
  assert.not.ok(termEquals('abc', Buffer.from('abc')), 'a string is a list, not a binary')
  const long = 'a'.repeat(70_000)
  assert.is(encode(long)[1], 108, 'beyond 65535 characters: LIST_EXT')
  assert.ok(termEquals(decode(encode(long)), long))
})

test('atoms are interned; booleans are the atoms true and false', () => {
  assert.is(Atom.of('x'), Atom.of('x'))
  assert.is(decode(encode(atom('x'))), atom('x'))
  assert.ok(termEquals(true, atom('true')))
  assert.is(decode(encode(atom('true'))), true)
  assert.is(atom('ok').toString(), 'ok')
  assert.is(atom('Hello world').toString(), "'Hello world'")
})

test('the deprecated forms: ATOM_EXT and SMALL_ATOM_EXT (Latin-1), FLOAT_EXT, PID_EXT, PORT_EXT, REFERENCE_EXT, NEW_REFERENCE_EXT', () => {
  assert.is(decode(cat(131, 100, 0, 2, 'ok')), atom('ok'))
  assert.is(decode(cat(131, 115, 2, Buffer.from('hé', 'latin1'))), atom('hé'))
  const text = Buffer.alloc(31)
  text.write('2.50000000000000000000e+00', 'latin1')
  assert.is(decode(cat(131, 99, text)), 2.5)
  assert.equal(decode(cat(131, 103, 100, 0, 3, 'a@b', u32(1), u32(2), 3)), new ErlPid(atom('a@b'), 1, 2, 3))
  assert.equal(decode(cat(131, 102, 100, 0, 3, 'a@b', u32(5), 3)), new ErlPort(atom('a@b'), 5, 3))
  assert.equal(decode(cat(131, 101, 100, 0, 3, 'a@b', u32(9), 2)), new ErlRef(atom('a@b'), 2, [9]))
  assert.equal(decode(cat(131, 114, 0, 2, 100, 0, 3, 'a@b', 1, u32(8), u32(9))), new ErlRef(atom('a@b'), 1, [8, 9]))
})

test('lists: a LIST_EXT tail that is a list or a string joins it ([1 | [2]] is [1, 2]); an empty list with a tail is the tail', () => {
  assert.equal(decode(cat(131, 108, u32(1), 97, 1, 108, u32(1), 97, 2, 106)), [1, 2])
  assert.equal(decode(cat(131, 108, u32(1), 97, 1, 107, 0, 2, 'ab')), [1, 97, 98])
  assert.is(decode(cat(131, 108, u32(0), 97, 7)), 7)
  const improper = decode(cat(131, 108, u32(1), 97, 1, 108, u32(1), 97, 2, 97, 3))
  assert.equal(improper, new ImproperList([1, 2], 3))
  // A long chain of list tails is read in a loop, not nested: far past maxDepth.
  const chain = Buffer.concat([bytes(131), ...new Array(5000).fill(cat(108, u32(1), 97, 1)), bytes(106)])
  assert.is((decode(chain) as Term[]).length, 5000)
})

test('compressed terms (tag 80) decode; encode compresses when asked and it is smaller', () => {
  const big = new Array(1000).fill(tuple(atom('a'), 1))
  const plain = encode(big)
  const packed = encode(big, { compressed: true })
  assert.is(packed[1], 80)
  assert.ok(packed.length < plain.length)
  assert.is(packed.readUInt32BE(2), plain.length - 1)
  assert.ok(termEquals(decode(packed), big))
  assert.is(encode(atom('a'), { compressed: 9 })[1], 119, 'not compressed when that is no smaller')
  const body = plain.subarray(1)
  assert.ok(termEquals(decode(cat(131, 80, u32(body.length), deflateSync(body))), big))
})

test('decodeAt: a term inside a buffer, no version byte, and the offset after it; encodeInto writes without one', () => {
  const w = new TermWriter(16)
  w.u8(112)
  encodeInto(w, tuple(atom('send'), 1))
  encodeInto(w, 'hi')
  const frame = w.finish()
  assert.is(frame[0], 112)
  const first = decodeAt(frame, 1)
  assert.equal(first.term, tuple(atom('send'), 1))
  const second = decodeAt(frame, first.offset)
  assert.is(second.term, 'hi')
  assert.is(second.offset, frame.length)
  assert.is(decodeAt(encode(7), 0, { versioned: true }).term, 7)
})

test('ATOM_CACHE_REF resolves through the atom cache the distribution layer passes', () => {
  const cache = [atom('zero'), atom('one')]
  const frame = bytes(104, 2, 82, 1, 82, 0)
  assert.equal(decodeAt(frame, 0, { atomCache: cache }).term, tuple(atom('one'), atom('zero')))
  assert.equal(decodeAt(bytes(88, 82, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0), 0, { atomCache: cache }).term, new ErlPid(atom('zero'), 1, 0, 0))
})

test('maps: term keys, found by value with mapGet', () => {
  const m = new Map<Term, Term>([[tuple(atom('k'), 1), 'v'], [Buffer.from('b'), 2], [atom('a'), new Map()]])
  const back = decode(encode(m)) as Map<Term, Term>
  assert.ok(termEquals(back, m))
  assert.is(mapGet(back, tuple(atom('k'), 1)), 'v')
  assert.is(mapGet(back, Buffer.from('b')), 2)
  assert.is(mapGet(back, atom('nope')), undefined)
  assert.not.ok(termEquals(back, new Map<Term, Term>([[tuple(atom('k'), 2), 'v'], [Buffer.from('b'), 2], [atom('a'), new Map()]])))
})

test('maps: a float key next to an integer key of the same value is an ErlFloat (two keys in Erlang, one number here)', () => {
  const f1 = [70, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0]
  const intThenFloat = decode(cat(131, 116, u32(2), 97, 1, 119, 1, 'a', ...f1, 119, 1, 'b')) as Map<Term, Term>
  assert.equal([...intThenFloat.entries()], [[1, atom('a')], [new ErlFloat(1), atom('b')]])
  const floatThenInt = decode(cat(131, 116, u32(2), ...f1, 119, 1, 'b', 97, 1, 119, 1, 'a')) as Map<Term, Term>
  assert.ok(termEquals(floatThenInt, intThenFloat))
  assert.is(floatThenInt.get(1), atom('a'))
  assert.is(mapGet(floatThenInt, new ErlFloat(1)), atom('b'))
  assert.throws(() => decode(cat(131, 116, u32(2), ...f1, 97, 1, ...f1, 97, 2)), /a map with a key twice/)
  assert.throws(() => decode(cat(131, 116, u32(3), ...f1, 97, 1, 97, 1, 97, 2, 97, 1, 97, 3)), /a map with a key twice/)
})

test('termEquals: Erlang\'s =:= over the mapped values', () => {
  assert.ok(termEquals(5, 5n))
  assert.not.ok(termEquals(tuple(1), [1]))
  assert.not.ok(termEquals(new ImproperList([1], 2), [1, 2]))
  assert.not.ok(termEquals(new BitBinary(Buffer.from([0x80]), 1), new BitBinary(Buffer.from([0x80]), 2)))
  assert.not.ok(termEquals(new ErlPid(atom('a@b'), 1, 2, 3), new ErlPid(atom('a@b'), 1, 2, 4)))
  assert.not.ok(termEquals(new ErlRef(atom('a@b'), 1, [1]), new ErlRef(atom('a@b'), 1, [1, 0])))
  assert.ok(termEquals(new ErlPort(atom('a@b'), 5n, 1), new ErlPort(atom('a@b'), 5, 1)))
  assert.not.ok(termEquals(atom('a'), 'a'))
})

test.run()
