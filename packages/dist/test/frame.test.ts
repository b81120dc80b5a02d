import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { FrameTooLargeError } from '../src/index.js'
import { encodeFrame, FrameDecoder } from '../src/frame.js'
import { DEFAULT_MAX_FRAME_SIZE } from '../src/defaults.js'

test('encodeFrame writes a big-endian length then the body, from parts, in one buffer', () => {
  const f = encodeFrame(Buffer.from('abc'))
  assert.equal([...f], [0, 0, 0, 3, 0x61, 0x62, 0x63])
  const g = encodeFrame([Buffer.from([1]), Buffer.from([2, 3])])
  assert.equal([...g], [0, 0, 0, 3, 1, 2, 3])
  assert.equal([...encodeFrame(Buffer.alloc(0))], [0, 0, 0, 0])
  assert.throws(() => encodeFrame(Buffer.alloc(10), 9), (e: unknown) => e instanceof FrameTooLargeError)
})

const bodies = [Buffer.from('first'), Buffer.alloc(0), Buffer.from([0, 1, 2, 3, 4, 5, 6, 7, 8]), Buffer.alloc(300, 7), Buffer.from('z')]
const stream = Buffer.concat(bodies.map((b) => encodeFrame(b)))

test('a stream split at every byte boundary yields the same frames', () => {
  for (let cut = 0; cut <= stream.length; cut++) {
    const d = new FrameDecoder()
    const got = [...d.push(stream.subarray(0, cut)), ...d.push(stream.subarray(cut))]
    assert.equal(got.map((b) => b.toString('hex')), bodies.map((b) => b.toString('hex')), `cut at ${cut}`)
    assert.is(d.buffered, 0)
  }
})

test('a stream fed one byte at a time yields the same frames', () => {
  const d = new FrameDecoder()
  const got: Buffer[] = []
  for (const byte of stream) got.push(...d.push(Buffer.from([byte])))
  assert.equal(got.map((b) => b.toString('hex')), bodies.map((b) => b.toString('hex')))
})

test('a zero-length frame is returned as an empty body', () => {
  const d = new FrameDecoder()
  const got = d.push(Buffer.from([0, 0, 0, 0, 0, 0, 0, 0]))
  assert.is(got.length, 2)
  assert.is(got[0].length, 0)
})

test('an oversized length prefix is refused before anything is allocated', () => {
  const d = new FrameDecoder({ maxFrameSize: 1024 })
  const allocs: number[] = []
  const saved = { allocUnsafe: Buffer.allocUnsafe, alloc: Buffer.alloc, concat: Buffer.concat }
  Buffer.allocUnsafe = ((n: number) => { allocs.push(n); return saved.allocUnsafe(n) })
  Buffer.alloc = ((n: number, ...rest: []) => { allocs.push(n); return saved.alloc(n, ...rest) })
  Buffer.concat = ((list: readonly Uint8Array[], n?: number) => { allocs.push(n ?? -1); return saved.concat(list, n) })
  let error: unknown
  try {
    d.feed(Buffer.from([0x00, 0x00]))
    d.feed(Buffer.from([0x04, 0x01])) // 1025, the prefix split across chunks
    d.next()
  } catch (err) {
    error = err
  } finally {
    Object.assign(Buffer, saved)
  }
  assert.instance(error, FrameTooLargeError)
  assert.is((error as FrameTooLargeError).code, 'ERR_FRAME_TOO_LARGE')
  assert.is((error as FrameTooLargeError).size, 1025)
  assert.is((error as FrameTooLargeError).max, 1024)
  assert.equal(allocs, [])
  // The stream is out of sync for good.
  assert.throws(() => d.next(), (e: unknown) => e instanceof FrameTooLargeError)
  // The default ceiling: a 4 GiB prefix fails at once.
  assert.throws(() => new FrameDecoder().push(Buffer.from([0xff, 0xff, 0xff, 0xff])), (e: unknown) => (e as FrameTooLargeError).max === DEFAULT_MAX_FRAME_SIZE)
})

test('a large announced frame costs nothing until its bytes arrive', () => {
  const d = new FrameDecoder()
  const header = Buffer.alloc(4)
  header.writeUInt32BE(48 * 1024 * 1024)
  const before = process.memoryUsage().arrayBuffers
  d.feed(header)
  d.feed(Buffer.alloc(10))
  assert.is(d.next(), undefined)
  assert.ok(process.memoryUsage().arrayBuffers - before < 16 * 1024 * 1024)
  assert.is(d.buffered, 10)
})

test('takeRest returns unread bytes, including a header already read', () => {
  const d = new FrameDecoder()
  const tail = encodeFrame(Buffer.from('second'))
  d.feed(Buffer.concat([encodeFrame(Buffer.from('first')), tail.subarray(0, 6)]))
  assert.is(d.next()!.toString(), 'first')
  assert.is(d.next(), undefined) // reads the header of the second frame
  const rest = d.takeRest()
  assert.equal(rest, tail.subarray(0, 6))
  assert.is(d.buffered, 0)
  const e = new FrameDecoder()
  assert.equal(e.push(Buffer.concat([rest, tail.subarray(6)])).map(String), ['second'])
})

test.run()
