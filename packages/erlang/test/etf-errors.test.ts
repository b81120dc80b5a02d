// Bad bytes and unencodable values: each is a named error with its code and
// (decoding) the offset where it went wrong, never a RangeError, a stack
// overflow or a huge allocation; then a fuzz of mutated terms from this
// codec's own corpus (etf-fuzz.test.ts fuzzes erl's). Replay a fuzz run with
// TEKKA_ETF_FUZZ_SEED=<the seed it printed>; size it with TEKKA_ETF_FUZZ
// (default 10000; 3000 in the unit tier).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { deflateSync } from 'node:zlib'
import { sized } from '@tekka/testing'
import { envSeed } from '@tekka/testing/sim/rng'
import {
  atom, BitBinary, decode, decodeAt, encode, EtfDecodeError, EtfEncodeError, ErlFloat, ErlPid, ErlPort, ErlRef,
  ImproperList, Tuple, tuple, type EtfDecodeErrorCode, type Term
} from '../src/index.js'
import { errorClassOf } from '@tekka/actors'
import { fuzzTerms } from './helpers/etf-fuzz.js'

const u32 = (n: number): Buffer => { const b = Buffer.alloc(4); b.writeUInt32BE(n >>> 0); return b }
const cat = (...xs: Array<Buffer | number | string>): Buffer => Buffer.concat(xs.map((x) => Buffer.isBuffer(x) ? x : typeof x === 'string' ? Buffer.from(x) : Buffer.from([x])))

function decodeError (buf: Buffer, opts = {}): EtfDecodeError {
  try {
    const t = decode(buf, opts)
    throw new Error(`decoded ${String(t)} where it should have failed`)
  } catch (err) {
    if (err instanceof EtfDecodeError) return err
    throw err
  }
}

function fails (buf: Buffer, code: EtfDecodeErrorCode, offset: number, pattern: RegExp | string, opts = {}): void {
  const e = decodeError(buf, opts)
  assert.is(e.code, code, e.message)
  assert.is(e.offset, offset, e.message)
  assert.match(e.message, pattern)
  assert.match(e.message, `at byte ${offset}`)
}

test('not version 131: ERR_ETF_BAD_VERSION at byte 0; nothing at all: truncated', () => {
  fails(Buffer.from([130, 97, 1]), 'ERR_ETF_BAD_VERSION', 0, 'version byte 130')
  fails(Buffer.alloc(0), 'ERR_ETF_TRUNCATED', 0, 'the version byte')
})

test('an unknown tag: ERR_ETF_UNKNOWN_TAG at its byte, with the tag', () => {
  fails(cat(131, 104, 2, 97, 1, 200), 'ERR_ETF_UNKNOWN_TAG', 5, 'unknown tag 200')
  assert.is(decodeError(cat(131, 104, 2, 97, 1, 200)).tag, 200)
})

test('every prefix of a term is ERR_ETF_TRUNCATED (never a RangeError from a Buffer read)', () => {
  const term = tuple(atom('ok'), [1, 2n ** 70n, 2.5, 'str', Buffer.from('bin'), new BitBinary(Buffer.from([0x80]), 1)], new Map<Term, Term>([[1, 2]]),
    new ErlPid(atom('a@b'), 1, 2, 3), new ErlRef(atom('a@b'), 1, [1, 2]), new ErlPort(atom('a@b'), 1, 1), new ImproperList([1], 2), -(2 ** 31), 2 ** 40)
  const whole = encode(term)
  for (let n = 0; n < whole.length; n++) {
    const e = decodeError(whole.subarray(0, n))
    assert.is(e.code, 'ERR_ETF_TRUNCATED', `prefix of ${n}: ${e.message}`)
    assert.ok(e.offset <= n, `prefix of ${n}: offset ${e.offset}`)
  }
})

test('bytes after the term: ERR_ETF_TRAILING_BYTES at the first of them', () => {
  fails(cat(131, 97, 1, 0, 0), 'ERR_ETF_TRAILING_BYTES', 3, '2 bytes after the term')
})

test('lengths that claim more than the bytes there fail at once, before allocating: lists, tuples, maps, binaries, bignums of 2^32 - 1', () => {
  const before = process.memoryUsage().arrayBuffers
  fails(cat(131, 108, u32(0xffff_ffff), 106), 'ERR_ETF_TRUNCATED', 1, 'claims 4294967295 elements, only 1 bytes left')
  fails(cat(131, 105, u32(0xffff_ffff)), 'ERR_ETF_TRUNCATED', 1, 'LARGE_TUPLE_EXT claims 4294967295 elements')
  fails(cat(131, 116, u32(0xffff_ffff), 97, 1, 97, 1), 'ERR_ETF_TRUNCATED', 1, 'MAP_EXT claims 4294967295 pairs')
  fails(cat(131, 116, u32(3), 97, 1, 97, 1), 'ERR_ETF_TRUNCATED', 1, 'MAP_EXT claims 3 pairs, only 4 bytes left')
  fails(cat(131, 109, u32(0xffff_ffff), 1, 2), 'ERR_ETF_TRUNCATED', 1, 'BINARY_EXT claims 4294967295 bytes')
  fails(cat(131, 77, u32(0xffff_ffff), 3, 1), 'ERR_ETF_TRUNCATED', 1, 'BIT_BINARY_EXT claims 4294967295 bytes')
  fails(cat(131, 111, u32(0xffff_ffff), 0, 1), 'ERR_ETF_TRUNCATED', 1, 'LARGE_BIG_EXT claims 4294967295 digit bytes')
  fails(cat(131, 107, 0xff, 0xff, 'ab'), 'ERR_ETF_TRUNCATED', 4, 'STRING_EXT needs 65535 bytes, 2 left')
  // A nested claim: the inner list's count is checked against what is left there.
  fails(cat(131, 108, u32(1), 108, u32(0x7fff_ffff), 106, 106), 'ERR_ETF_TRUNCATED', 6, 'claims 2147483647 elements')
  assert.ok(process.memoryUsage().arrayBuffers - before < 64 * 1024 * 1024, 'nothing of the claimed size was allocated')
})

test('compressed terms: a stated size beyond maxInflated fails before inflating; a wrong size or a broken stream is ERR_ETF_BAD_TERM', () => {
  fails(cat(131, 80, u32(0xffff_ffff), deflateSync(Buffer.from([97, 1]))), 'ERR_ETF_SIZE_LIMIT', 1, 'states 4294967295 bytes inflated (maxInflated is 67108864)')
  const body = encode(new Array(100).fill(1)).subarray(1)
  fails(cat(131, 80, u32(body.length), deflateSync(body)), 'ERR_ETF_SIZE_LIMIT', 1, 'maxInflated is 100', { maxInflated: 100 })
  fails(cat(131, 80, u32(body.length + 1), deflateSync(body)), 'ERR_ETF_BAD_TERM', 1, `inflates to ${body.length} bytes, not its stated ${body.length + 1}`)
  fails(cat(131, 80, u32(body.length - 1), deflateSync(body)), 'ERR_ETF_BAD_TERM', 1, 'does not inflate to its stated')
  fails(cat(131, 80, u32(10), 1, 2, 3, 4), 'ERR_ETF_BAD_TERM', 1, 'does not inflate')
  // A zip bomb: 1 KiB of zlib claiming (truthfully) 100 MiB: refused by its stated size.
  const bomb = deflateSync(Buffer.alloc(100 * 1024 * 1024))
  fails(cat(131, 80, u32(100 * 1024 * 1024), bomb), 'ERR_ETF_SIZE_LIMIT', 1, 'states 104857600 bytes')
  // An error inside the inflated term says so.
  const bad = decodeError(cat(131, 80, u32(3), deflateSync(Buffer.from([104, 1, 200]))))
  assert.is(bad.code, 'ERR_ETF_UNKNOWN_TAG')
  assert.is(bad.offset, 2)
  assert.match(bad.message, 'of the term inflated from the compressed term at byte 1')
  fails(cat(131, 104, 1, 80, u32(1), deflateSync(Buffer.from([106]))), 'ERR_ETF_BAD_TERM', 3, 'compressed term (tag 80) inside a term')
})

test('atoms: more than 255 characters, or UTF-8 that is not, is ERR_ETF_BAD_ATOM', () => {
  fails(cat(131, 118, 1, 0, 'a'.repeat(256)), 'ERR_ETF_BAD_ATOM', 1, 'an atom of 256 characters (at most 255)')
  fails(cat(131, 100, 1, 0, 'a'.repeat(256)), 'ERR_ETF_BAD_ATOM', 1, 'an atom of 256 characters')
  fails(cat(131, 119, 2, 0xc3, 0x28), 'ERR_ETF_BAD_ATOM', 1, 'not valid UTF-8')
  assert.is(decode(cat(131, 118, 2, 0xfd, '日'.repeat(255))), atom('日'.repeat(255)), '255 characters in 765 bytes is fine')
  fails(cat(131, 88, 97, 1), 'ERR_ETF_BAD_TERM', 2, 'expected an atom (a node name), got tag 97')
})

test('bad fields: a bit count, a reference length, NaN and infinity, a repeated map key (a bignum sign byte other than 0 is negative, as Erlang reads it)', () => {
  assert.is(decode(cat(131, 110, 1, 2, 5)), -5)
  fails(cat(131, 77, u32(1), 0, 5), 'ERR_ETF_BAD_TERM', 1, 'BIT_BINARY_EXT of 1 bytes with 0 bits')
  fails(cat(131, 77, u32(1), 9, 5), 'ERR_ETF_BAD_TERM', 1, 'with 9 bits')
  fails(cat(131, 77, u32(0), 3), 'ERR_ETF_BAD_TERM', 1, 'of 0 bytes with 3 bits')
  assert.equal(decode(cat(131, 77, u32(1), 8, 5)), Buffer.from([5]), '8 bits: a binary')
  fails(cat(131, 90, 0, 0, 119, 1, 'a', u32(0)), 'ERR_ETF_BAD_TERM', 1, 'a reference of 0 words')
  fails(cat(131, 90, 0, 6, 119, 1, 'a', u32(0)), 'ERR_ETF_BAD_TERM', 1, 'a reference of 6 words')
  fails(cat(131, 70, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0), 'ERR_ETF_BAD_TERM', 1, 'a float that is NaN')
  fails(cat(131, 70, 0x7f, 0xf0, 0, 0, 0, 0, 0, 0), 'ERR_ETF_BAD_TERM', 1, 'a float that is Infinity')
  fails(cat(131, 99, Buffer.alloc(31, 'x')), 'ERR_ETF_BAD_TERM', 1, 'is not a float')
  fails(cat(131, 116, u32(2), 97, 1, 97, 2, 97, 1, 97, 3), 'ERR_ETF_BAD_TERM', 10, 'a map with a key twice')
})

test('funs and LOCAL_EXT are refused: ERR_ETF_UNSUPPORTED, saying which', () => {
  fails(cat(131, 113, 119, 1, 'm', 119, 1, 'f', 97, 1), 'ERR_ETF_UNSUPPORTED', 1, 'funs are not supported (EXPORT_EXT)')
  fails(cat(131, 104, 1, 112, u32(30)), 'ERR_ETF_UNSUPPORTED', 3, 'funs are not supported (NEW_FUN_EXT)')
  fails(cat(131, 117, u32(0)), 'ERR_ETF_UNSUPPORTED', 1, 'FUN_EXT')
  fails(cat(131, 121, 1, 2, 3), 'ERR_ETF_UNSUPPORTED', 1, 'LOCAL_EXT is not supported')
})

test('ATOM_CACHE_REF without an atom cache, or an index it does not have: ERR_ETF_ATOM_CACHE', () => {
  fails(cat(131, 104, 1, 82, 3), 'ERR_ETF_ATOM_CACHE', 3, 'ATOM_CACHE_REF 3 with no atom cache')
  fails(cat(131, 104, 1, 82, 3), 'ERR_ETF_ATOM_CACHE', 3, 'no atom at that index (it has 2)', { atomCache: [atom('a'), atom('b')] })
  fails(cat(131, 82, 0), 'ERR_ETF_ATOM_CACHE', 1, 'no atom at that index', { atomCache: [undefined] })
})

test('nesting deeper than maxDepth: ERR_ETF_DEPTH_LIMIT; a maxDepth beyond the stack still ends in that error', () => {
  const nest = (n: number, open: number[], close: number[] = []): Buffer =>
    Buffer.concat([Buffer.from([131]), Buffer.alloc(n * open.length, Buffer.from(open)), Buffer.from([106]), Buffer.alloc(n * close.length, Buffer.from(close.length > 0 ? close : [0]))])
  // 999 tuples around [] are 1000 deep: maxDepth (1000) is fine, one more is not; the offset is the term too deep.
  assert.ok(decode(nest(999, [104, 1])) instanceof Tuple, 'exactly maxDepth (1000) is fine')
  fails(nest(1000, [104, 1]), 'ERR_ETF_DEPTH_LIMIT', 2001, 'terms nested deeper than 1000 (maxDepth)')
  fails(nest(11, [108, 0, 0, 0, 1], [106]), 'ERR_ETF_DEPTH_LIMIT', 51, 'deeper than 10', { maxDepth: 10 })
  fails(nest(3, [116, 0, 0, 0, 1, 97, 1]), 'ERR_ETF_DEPTH_LIMIT', 13, 'deeper than 2', { maxDepth: 2 })
  const e = decodeError(nest(1_000_000, [104, 1]), { maxDepth: 10_000_000 })
  assert.is(e.code, 'ERR_ETF_DEPTH_LIMIT')
  assert.match(e.message, 'deeper than the stack holds')
})

test('values with no Erlang term: EtfEncodeError (ERR_ETF_UNENCODABLE) saying what and where', () => {
  const refused = (value: unknown, pattern: string, path = ''): void => {
    try {
      encode(value as Term)
    } catch (err) {
      assert.instance(err, EtfEncodeError)
      assert.is((err as EtfEncodeError).code, 'ERR_ETF_UNENCODABLE')
      assert.match((err as Error).message, pattern)
      assert.is((err as EtfEncodeError).path, path)
      return
    }
    assert.unreachable(`encoded ${String(value)}`)
  }
  refused({ a: 1 }, 'a plain object (an Erlang map is a JavaScript Map)')
  refused([1, tuple(2, undefined as unknown as Term)], 'a value of type undefined', '[1][1]')
  refused(new Map([[atom('k'), null as unknown as Term]]), 'null', '.value0')
  refused(NaN, 'the number NaN')
  refused([Infinity], 'the number Infinity', '[0]')
  refused(new ErlFloat(NaN), 'ErlFloat(NaN)')
  refused(atom('a'.repeat(256)), 'an atom of 256 characters (at most 255)')
  refused(new ErlPid(atom('a@b'), -1, 0, 0), 'id -1 is not an unsigned 32-bit integer')
  refused(new ErlRef(atom('a@b'), 0, []), 'a reference of 0 words')
  refused(new ErlPort(atom('a@b'), 2n ** 64n, 0), 'a port id 18446744073709551616')
  refused(() => 1, 'a value of type function')
  refused(new Date(0), 'a Date')
  const cyclic: Term[] = []
  cyclic.push(cyclic)
  refused(cyclic, 'terms nested deeper than 1000 (maxDepth; a cycle?)', '[0]'.repeat(1000))
  assert.throws(() => encode(1, { compressed: 10 }), /compressed level 10/)
  assert.is(encode(atom('a'.repeat(255))).length, 3 + 255, '255 characters is fine')
})

test('the errors are registered: they keep their class across the tekka wire', () => {
  assert.is(errorClassOf('ERR_ETF_TRUNCATED'), EtfDecodeError)
  assert.is(errorClassOf('ERR_ETF_UNENCODABLE'), EtfEncodeError)
  assert.is(decodeError(Buffer.from([1])).name, 'EtfDecodeError')
})

test('decodeAt: offsets are the buffer\'s', () => {
  try {
    decodeAt(cat(0, 0, 0, 104, 2, 97), 3)
    assert.unreachable()
  } catch (err) {
    assert.instance(err, EtfDecodeError)
    assert.is((err as EtfDecodeError).offset, 3, 'the tuple at byte 3 claims 2 elements, 1 byte left')
  }
})

test('fuzz: mutated terms from this codec decode to a value that goes round, or fail with the codec\'s error', () => {
  const corpus = [
    tuple(atom('ok'), [1, 2, 3], 'hello', Buffer.from('bin'), new Map<Term, Term>([[atom('k'), tuple()]])),
    [2n ** 100n, -(2n ** 70n), 2.5, -1, 300, 2 ** 31, new ErlFloat(1)],
    new ErlPid(atom('a@b'), 1, 2, 3), new ErlRef(atom('n@h'), 9, [1, 2, 3]), new ErlPort(atom('a@b'), 2 ** 33, 1),
    new ImproperList([atom('a'), 1], Buffer.from('t')), new BitBinary(Buffer.from([1, 0xe0]), 3),
    new Tuple(new Array(300).fill(atom('x'))), [[[[tuple(tuple(tuple('deep')))]]]], '日本語', atom('héllo')
  ].flatMap((t) => [encode(t), encode(t, { compressed: true })])
  const seed = envSeed('TEKKA_ETF_FUZZ_SEED')
  const count = sized(10_000, 3_000, 'TEKKA_ETF_FUZZ')
  const r = fuzzTerms(corpus, count, seed)
  console.log(`  fuzz seed ${seed}: ${count} mutants, ${r.accepted} decoded, errors ${JSON.stringify(r.byCode)}, slowest ${r.maxMs.toFixed(1)} ms`)
  assert.ok(r.accepted > 0 && r.accepted < count, 'some mutants decode and some do not')
})

test.run()
