// Every kind of term through a real Erlang/OTP (one erl for the file,
// @tekka/testing/erlang): Erlang encodes it (term_to_binary, and with
// {minor_version, 2}, which writes UTF-8 atoms, and [compressed]), we
// decode and compare with the JavaScript value we expect; we encode that
// value and Erlang's binary_to_term of our bytes must be =:= the term it
// builds itself. Pids, references and ports of the running node go there
// and back (Erlang keeps the original and compares).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ErlangPeer } from '@tekka/testing/erlang'
import {
  atom, BitBinary, decode, encode, EtfDecodeError, ErlFloat, ErlPid, ErlPort, ErlRef, ImproperList, mapGet, termEquals, Tuple, tuple, type Term
} from '../src/index.js'

let erl: ErlangPeer
test.before(async () => { erl = await ErlangPeer.start() })
test.after(async () => { await erl.stop() })

const show = (t: Term): string => {
  try { return JSON.stringify(t, (_k, v: unknown) => typeof v === 'bigint' ? `${v}n` : v)?.slice(0, 300) ?? String(t) } catch { return String(t) }
}

const deep = (n: number): Term => { let t: Term = atom('x'); for (let i = 0; i < n; i++) t = tuple(t); return t }

/** An Erlang expression and the JavaScript value it is. Integral floats are ErlFloat (decoded with floats: 'boxed'). */
const CASES: Array<[string, Term]> = [
  // integers
  ['0', 0], ['-1', -1], ['255', 255], ['256', 256],
  ['(1 bsl 27) - 1', 2 ** 27 - 1], ['1 bsl 27', 2 ** 27], ['(1 bsl 27) + 1', 2 ** 27 + 1], ['-(1 bsl 27) - 1', -(2 ** 27) - 1],
  ['(1 bsl 31) - 1', 2 ** 31 - 1], ['1 bsl 31', 2 ** 31], ['(1 bsl 31) + 1', 2 ** 31 + 1], ['-(1 bsl 31)', -(2 ** 31)], ['-(1 bsl 31) - 1', -(2 ** 31) - 1],
  ['(1 bsl 53) - 1', 2 ** 53 - 1], ['1 bsl 53', 2n ** 53n], ['-(1 bsl 53)', -(2n ** 53n)], ['1 bsl 64', 2n ** 64n],
  ['-(1 bsl 200) - 12345', -(2n ** 200n) - 12345n], ['1 bsl 2048', 2n ** 2048n], ['-(1 bsl 4000)', -(2n ** 4000n)],
  // floats
  ['0.0', new ErlFloat(0)], ['1.0', new ErlFloat(1)], ['2.5', 2.5], ['-1.5', -1.5], ['0.1', 0.1], ['1.0e300', new ErlFloat(1e300)],
  ['5.0e-324', 5e-324], ['-1.7976931348623157e308', new ErlFloat(-1.7976931348623157e308)], ['math:pi()', Math.PI],
  // atoms
  ["''", atom('')], ['ok', atom('ok')], ["'Hello World'", atom('Hello World')], ["'héllo'", atom('héllo')], ["'日本語'", atom('日本語')],
  ['true', true], ['false', false], ['undefined', atom('undefined')],
  ['list_to_atom(lists:duplicate(255, $a))', atom('a'.repeat(255))],
  ['list_to_atom(lists:duplicate(128, 233))', atom('é'.repeat(128))],
  ['list_to_atom(lists:duplicate(255, 26085))', atom('日'.repeat(255))],
  // binaries and bit strings
  ['<<>>', Buffer.alloc(0)], ['<<"abc">>', Buffer.from('abc')], ['<<0, 255>>', Buffer.from([0, 255])], ['binary:copy(<<7>>, 1000)', Buffer.alloc(1000, 7)],
  ['<<1:1>>', new BitBinary(Buffer.from([0x80]), 1)], ['<<2:2>>', new BitBinary(Buffer.from([0x80]), 2)], ['<<5:3>>', new BitBinary(Buffer.from([0xa0]), 3)],
  ['<<9:4>>', new BitBinary(Buffer.from([0x90]), 4)], ['<<17:5>>', new BitBinary(Buffer.from([0x88]), 5)], ['<<33:6>>', new BitBinary(Buffer.from([0x84]), 6)],
  ['<<127:7>>', new BitBinary(Buffer.from([0xfe]), 7)], ['<<255, 3:2>>', new BitBinary(Buffer.from([255, 0xc0]), 2)],
  // strings and lists
  ['""', []], ['"abc"', 'abc'], ['"héllo"', 'héllo'], ['[26085, 26412]', '日本'], ['[1, 2, 3]', [1, 2, 3]], ['lists:duplicate(70000, $a)', 'a'.repeat(70_000)],
  ['[]', []], ['[a, [b, []], {c}]', [atom('a'), [atom('b'), []], tuple(atom('c'))]], ['[1, 2.5, <<"x">>, "s"]', [1, 2.5, Buffer.from('x'), 's']],
  ['[1 | 2]', new ImproperList([1], 2)], ['[a, b | c]', new ImproperList([atom('a'), atom('b')], atom('c'))], ['[1 | <<"t">>]', new ImproperList([1], Buffer.from('t'))],
  ['lists:seq(1, 1000)', Array.from({ length: 1000 }, (_, i) => i + 1)],
  // tuples
  ['{}', tuple()], ['{a}', tuple(atom('a'))], ['{1, 2, 3}', tuple(1, 2, 3)], ['list_to_tuple(lists:seq(1, 300))', new Tuple(Array.from({ length: 300 }, (_, i) => i + 1))],
  // maps
  ['#{}', new Map()], ['#{a => 1}', new Map<Term, Term>([[atom('a'), 1]])],
  ['#{{x, 1} => [1], <<"k">> => #{nested => true}, 2.5 => ""}', new Map<Term, Term>([[tuple(atom('x'), 1), [1]], [Buffer.from('k'), new Map<Term, Term>([[atom('nested'), true]])], [2.5, []]])],
  ['maps:from_list([{I, I * I} || I <- lists:seq(1, 40)])', new Map<Term, Term>(Array.from({ length: 40 }, (_, i) => [i + 1, (i + 1) ** 2]))],
  // nested
  ['lists:foldl(fun (_, A) -> {A} end, x, lists:seq(1, 100))', deep(100)],
  ['{ok, [#{k => {<<"v">>, [1 | 2]}}], "str", -(1 bsl 70), 1.0}', tuple(atom('ok'), [new Map<Term, Term>([[atom('k'), tuple(Buffer.from('v'), new ImproperList([1], 2))]])], 'str', -(2n ** 70n), new ErlFloat(1))],
  // pids, references and ports of another node, as their bytes make them
  ['binary_to_term(<<131, 88, 119, 3, "a@b", 0, 0, 0, 1, 0, 0, 0, 2, 255, 255, 255, 255>>)', new ErlPid(atom('a@b'), 1, 2, 0xffff_ffff)],
  ['binary_to_term(<<131, 90, 0, 3, 119, 3, "a@b", 0, 0, 0, 7, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3>>)', new ErlRef(atom('a@b'), 7, [1, 2, 3])],
  ['binary_to_term(<<131, 90, 0, 5, 119, 3, "a@b", 0, 0, 0, 7, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5>>)', new ErlRef(atom('a@b'), 7, [1, 2, 3, 4, 5])],
  ['binary_to_term(<<131, 89, 119, 3, "a@b", 0, 0, 0, 5, 0, 0, 0, 7>>)', new ErlPort(atom('a@b'), 5, 7)],
  ['binary_to_term(<<131, 120, 119, 3, "a@b", 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 7>>)', new ErlPort(atom('a@b'), 2 ** 32 + 2, 7)]
]

const ENCODINGS = ['[]', '[{minor_version, 2}]', '[compressed]'] as const

for (const [expr, value] of CASES) {
  test(`${expr.length > 70 ? `${expr.slice(0, 67)}...` : expr}: Erlang's bytes decode to the value; ours are =:= in Erlang`, async () => {
    for (const opts of ENCODINGS) {
      const theirs = await erl.eval(`term_to_binary(${expr}, ${opts})`)
      const got = decode(theirs, { floats: 'boxed' })
      assert.ok(termEquals(got, value), `term_to_binary(_, ${opts}) decoded to ${show(got)}`)
    }
    assert.is(await erl.compare(expr, encode(value)), 'true')
    assert.is(await erl.compare(expr, encode(value, { compressed: true })), 'true', 'compressed')
    assert.is(await erl.compare(expr, encode(decode(await erl.eval(`term_to_binary(${expr})`), { floats: 'boxed' }))), 'true', 'decoded and encoded again')
  })
}

test('a map with the keys 1 and 1.0 (two keys in Erlang): the float one decodes to an ErlFloat, and goes back =:=', async () => {
  const expr = '#{1 => a, 1.0 => b, 2.0 => c}'
  const got = decode(await erl.eval(`term_to_binary(${expr})`)) as Map<Term, Term>
  assert.is(got.get(1), atom('a'))
  assert.is(got.get(2), atom('c'), 'a float key alone is a number')
  assert.is(mapGet(got, new ErlFloat(1)), atom('b'))
  assert.is(await erl.compare('#{1 => a, 1.0 => b, 2 => c}', encode(got)), 'true', '2.0 went back as 2, as documented for default floats')
  assert.is(await erl.compare(expr, encode(decode(await erl.eval(`term_to_binary(${expr})`), { floats: 'boxed' }))), 'true')
})

test('-0.0: decodes to -0, and -0 encodes to what Erlang writes for -0.0', async () => {
  const negZero = 'binary_to_term(<<131, 70, 128, 0, 0, 0, 0, 0, 0, 0>>)'
  const theirs = await erl.eval(`term_to_binary(${negZero})`)
  assert.ok(Object.is(decode(theirs), -0))
  assert.equal(await erl.decode(encode(-0)), theirs)
  assert.is(await erl.eval(`case ${negZero} of F -> <<S:1, _:63>> = <<F/float>>, <<S>> end`).then((b) => b[0]), 1, 'it is negative in Erlang')
})

test('this node\'s own pid, reference and port go there and back, =:= the originals', async () => {
  for (const [expr, Class] of [['self()', ErlPid], ['make_ref()', ErlRef], ['hd(erlang:ports())', ErlPort], ['{self(), make_ref(), hd(erlang:ports())}', Tuple]] as const) {
    const got = decode(await erl.keep(expr))
    assert.instance(got, Class, expr)
    if (!(got instanceof Tuple)) assert.is((got as ErlPid).node, atom('nonode@nohost'))
    assert.is(await erl.compare('Last', encode(got)), 'true', expr)
  }
})

test('funs from Erlang are refused with ERR_ETF_UNSUPPORTED', async () => {
  for (const expr of ['fun () -> ok end', 'fun erlang:abs/1', '{ok, [fun lists:sort/1]}']) {
    const bytes = await erl.eval(`term_to_binary(${expr})`)
    assert.throws(() => decode(bytes), (err: unknown) => err instanceof EtfDecodeError && err.code === 'ERR_ETF_UNSUPPORTED' && /funs are not supported/.test(err.message), expr)
  }
})

test('strings as lists: a string Erlang sent as a list of code points beyond 255 arrives as numbers, =:= the JavaScript string', async () => {
  const got = decode(await erl.eval('term_to_binary("日本")'))
  assert.equal(got, [0x65e5, 0x672c])
  assert.ok(termEquals(got, '日本'))
  assert.equal(decode(await erl.eval('term_to_binary("abc")'), { strings: 'list' }), [97, 98, 99])
  assert.is(await erl.compare('"日本"', encode('日本')), 'true')
  assert.is(await erl.compare('<<"日本"/utf8>>', encode(Buffer.from('日本'))), 'true', 'text as a binary is a Buffer')
})

test('the deprecated forms Erlang still reads (PID_EXT, NEW_REFERENCE_EXT, ATOM_EXT) decode to what Erlang reads from them', async () => {
  for (const bytes of ['<<131, 103, 100, 0, 3, "a@b", 0, 0, 0, 1, 0, 0, 0, 2, 3>>', '<<131, 114, 0, 2, 100, 0, 3, "a@b", 1, 0, 0, 0, 8, 0, 0, 0, 9>>', '<<131, 100, 0, 2, "ok">>', '<<131, 115, 2, "ok">>']) {
    const ours = decode(await erl.eval(bytes))
    assert.is(await erl.compare(`binary_to_term(${bytes})`, encode(ours)), 'true', bytes)
  }
})

test.run()
