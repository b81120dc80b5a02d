// FrameDecoder.drain: frames handed over in place, as (buffer, start, end).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { FrameTooLargeError } from '../src/index.js'
import { encodeFrame, FrameDecoder } from '../src/frame.js'

const bodies = [Buffer.from('first'), Buffer.alloc(0), Buffer.from([0, 1, 2, 3, 4, 5, 6, 7, 8]), Buffer.alloc(300, 7), Buffer.from('z')]
const stream = Buffer.concat(bodies.map((b) => encodeFrame(b)))
const hex = (bs: Buffer[]): string[] => bs.map((b) => b.toString('hex'))

function drainAll (d: FrameDecoder, out: Buffer[], bufs?: Buffer[]): void {
  d.drain((buf, start, end) => {
    bufs?.push(buf)
    out.push(Buffer.from(buf.subarray(start, end)))
    return true
  })
}

/** Where each frame starts and ends in `stream`. */
const spans: Array<[number, number]> = []
for (let at = 0, i = 0; i < bodies.length; i++) {
  spans.push([at, at + 4 + bodies[i].length])
  at += 4 + bodies[i].length
}

test('frames come out in order whatever the chunking; whole ones in the chunk they arrived in', () => {
  for (let cut = 0; cut <= stream.length; cut++) {
    const d = new FrameDecoder()
    const got: Buffer[] = []
    const bufs: Buffer[] = []
    const a = stream.subarray(0, cut)
    const b = stream.subarray(cut)
    d.feed(a)
    drainAll(d, got, bufs)
    d.feed(b)
    drainAll(d, got, bufs)
    assert.equal(hex(got), hex(bodies), `cut at ${cut}`)
    assert.is(d.buffered, 0)
    // A frame wholly in one chunk is passed as that chunk; only one cut in two gets a buffer of its own.
    spans.forEach(([from, to], i) => {
      if (to <= cut) assert.ok(bufs[i] === a, `cut at ${cut}, frame ${i} in the first chunk`)
      else if (from >= cut) assert.ok(bufs[i] === b, `cut at ${cut}, frame ${i} in the second chunk`)
      else assert.ok(bufs[i] !== a && bufs[i] !== b, `cut at ${cut}, frame ${i} joined`)
    })
  }
})

test('returning false stops the drain; the rest comes with the next one', () => {
  const d = new FrameDecoder()
  d.feed(stream)
  const got: Buffer[] = []
  d.drain((buf, start, end) => { got.push(Buffer.from(buf.subarray(start, end))); return false })
  assert.is(got.length, 1)
  drainAll(d, got)
  assert.equal(hex(got), hex(bodies))
})

test('an oversized frame throws, and keeps throwing', () => {
  const d = new FrameDecoder({ maxFrameSize: 100 })
  d.feed(Buffer.concat([encodeFrame(Buffer.from('ok')), encodeFrame(Buffer.alloc(101))]))
  const got: Buffer[] = []
  assert.throws(() => drainAll(d, got), (e: unknown) => e instanceof FrameTooLargeError)
  assert.equal(got.map(String), ['ok'])
  assert.throws(() => drainAll(d, got), (e: unknown) => e instanceof FrameTooLargeError)
})

test.run()
