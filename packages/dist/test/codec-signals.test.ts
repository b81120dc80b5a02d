// The codec writes and reads short arrays of small values (signals such as
// `[SEND, from, to, msg]`) by hand. These tests hold the hand-written paths to
// msgpackr's: the same bytes out, the same values in, the same failures.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { Packr, Unpackr } from 'msgpackr'
import { Pid, Ref } from '@tekka/actors'
import { createCodec, FrameDecodeError } from '../src/index.js'

const codec = createCodec()
const encodeScratch = codec.encodeScratch!
const copy = (s: { buf: Buffer, start: number, end: number }): Buffer => Buffer.from(s.buf.subarray(s.start, s.end))
// msgpackr alone, with the codec's options: the reference.
const plain = new Packr({ useRecords: false, structuredClone: false, moreTypes: true, mapsAsObjects: true, copyBuffers: true, useBigIntExtension: true })
const reference = new Unpackr({ useRecords: false, structuredClone: false, moreTypes: true, mapsAsObjects: true, copyBuffers: true, useBigIntExtension: true })

const longNode = `${'n'.repeat(40)}@127.0.0.1`
const pids = [
  new Pid('a@h', 0, 0), new Pid('node1@127.0.0.1', 127, 128), new Pid('bench0@127.0.0.1', 255, 256),
  new Pid(longNode, 65535, 65536), new Pid('x@h', 2 ** 32 - 1, 2 ** 31), new Pid('x@h', 2 ** 32, 1), new Pid('nœud@h', 1, 1)
]
const refs = [new Ref('a@h', 1, 2), new Ref(longNode, 70000, 3)]
const smalls: unknown[] = [
  null, true, false, 0, 1, 127, 128, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, -1, -200, 1.5, NaN,
  '', 'a', 'x'.repeat(31), 'x'.repeat(32), 'x'.repeat(255), 'x'.repeat(256), 'é', 'abc\u0000', 'x'.repeat(40) + 'é',
  ...pids, ...refs
]
const others: unknown[] = [undefined, { a: 1 }, [1, 2], Buffer.from('bin'), new Map([['k', 1]]), 2n ** 70n, new Set([1]), new Date(0), new Error('e')]

function corpus (): unknown[][] {
  const out: unknown[][] = []
  for (const last of [...smalls, ...others]) {
    out.push([last], [1, null, pids[1], last], [2, pids[2], 'name', last], [10, 300, 'fn', last])
  }
  for (const a of smalls) for (const b of smalls) out.push([a, b])
  out.push(Array.from({ length: 15 }, (_, i) => i), Array.from({ length: 16 }, (_, i) => i), Array.from({ length: 15 }, () => pids[3]))
  return out
}

test('pids and refs are written as fixext 1 tag + [node, id, creation], as msgpackr wrote them', () => {
  for (const v of [...pids, ...refs]) {
    const type = v instanceof Pid ? 0x10 : 0x11
    const expected = Buffer.concat([Buffer.from([0xd4, type, 0]), plain.pack([v.node, v.id, v.creation])])
    assert.equal(codec.encode(v).toString('hex'), expected.toString('hex'), String(v))
  }
})

test('arrays written by hand are byte for byte what msgpackr writes', () => {
  for (const v of corpus()) {
    let viaMsgpackr: Buffer
    try {
      viaMsgpackr = codec.encode(v)
    } catch {
      assert.throws(() => encodeScratch(v))
      continue
    }
    assert.equal(copy(encodeScratch(v)).toString('hex'), viaMsgpackr.toString('hex'), `${v.length} elements, last ${String(v[v.length - 1])}`)
  }
})

test('arrays read by hand are the values msgpackr reads', () => {
  for (const v of corpus()) {
    const bytes = codec.encode(v)
    const framed = Buffer.concat([Buffer.from([9, 9]), bytes, Buffer.from([7])])
    const got = codec.decode(framed, 2, 2 + bytes.length) as unknown[]
    assert.equal(got, reference.unpack(bytes))
    for (let i = 0; i < got.length; i++) {
      const want = v[i]
      if (want instanceof Pid || want instanceof Ref) assert.ok(got[i] instanceof want.constructor && (got[i] as Pid).equals(want), String(want))
    }
  }
})

test('mutated signals: the codec decodes what msgpackr decodes, and fails where it fails', () => {
  const samples = [
    [1, null, pids[1], 'x'.repeat(32)], [1, pids[2], pids[1], 42], [3, pids[0], pids[3]], [9, pids[1], refs[0], pids[2], 'normal'],
    [11, 7, true, 'pong'], [1, null, pids[1], { nested: ['object'] }]
  ].map((v) => codec.encode(v))
  let seed = 12345
  const rand = (n: number): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n }
  let same = 0
  for (let i = 0; i < 30_000; i++) {
    const input = Buffer.from(samples[i % samples.length])
    for (let k = 1 + rand(3); k > 0; k--) input[rand(input.length)] = rand(4) === 0 ? rand(256) : input[rand(input.length)]
    const cut = rand(8) === 0 ? input.subarray(0, 1 + rand(input.length)) : input
    let want: { ok: true, v: unknown } | { ok: false }
    try { want = { ok: true, v: reference.unpack(cut) } } catch { want = { ok: false } }
    try {
      const got = codec.decode(cut)
      assert.ok(want.ok, `decoded ${cut.toString('hex')}, which msgpackr refuses`)
      assert.equal(got, (want as { v: unknown }).v, cut.toString('hex'))
      same++
    } catch (err) {
      if (err instanceof assert.Assertion) throw err
      assert.instance(err, FrameDecodeError)
      assert.not.ok(want.ok, `failed on ${cut.toString('hex')}, which msgpackr decodes`)
    }
  }
  assert.ok(same > 300, `only ${same} decoded`)
})

test('a scratch encoding is valid until the next encode, and a large array goes through msgpackr', () => {
  const a = copy(encodeScratch([1, null, pids[1], 'a']))
  const s = encodeScratch([1, null, pids[1], 'x'.repeat(10_000)])
  assert.equal(codec.decode(s.buf, s.start, s.end), [1, null, pids[1], 'x'.repeat(10_000)])
  assert.equal(codec.decode(a), [1, null, pids[1], 'a'])
})

test('each codec has caches of its own: a pid read again is the same object for that codec only', () => {
  const other = createCodec()
  const bytes = codec.encode([1, null, pids[1], 'x'])
  const first = (codec.decode(bytes) as unknown[])[2]
  const again = (codec.decode(bytes) as unknown[])[2]
  const elsewhere = (other.decode(bytes) as unknown[])[2] as Pid
  assert.is(again, first, 'the same codec gives back its cached pid')
  assert.is.not(elsewhere, first, 'another codec does not share that cache')
  assert.ok(elsewhere.equals(pids[1]))
  // Interleaved reads of other names do not mix the codecs' node-name caches up.
  const b2 = other.encode([1, null, new Pid('zz9@127.0.0.1', 5, 6), 'y'])
  assert.equal(String((codec.decode(b2) as unknown[])[2]), '<zz9@127.0.0.1.5.6>')
  assert.equal(String((other.decode(bytes) as unknown[])[2]), String(pids[1]))
})

test.run()
