// The outbox's runs: small messages copied back to back, taken in batches,
// in order with whole and fragmented messages, their buffers reused once written.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { FrameDecoder } from '../src/frame.js'
import { Outbox } from '../src/outbox.js'

const msg = (text: string): Buffer => Buffer.from(text)
const withHeadroom = (b: Buffer): Buffer => Buffer.concat([Buffer.alloc(5), b])

/** Every frame in the batches taken until the outbox is empty: `kind:body`. */
function drain (box: Outbox, limit = 1 << 20): string[] {
  const d = new FrameDecoder()
  const out: string[] = []
  for (let b = box.take(limit); b !== undefined; b = box.take(limit)) {
    for (const f of d.push(Buffer.concat(b.parts))) out.push(f.length === 0 ? 'tick' : `${f[0]}:${f.subarray(1).toString()}`)
    box.written()
  }
  return out
}

test('small messages share runs and keep their order, with whole and fragmented ones between them', () => {
  const box = new Outbox(16)
  box.appendData(msg('a'), 0, 1)
  box.pushData(withHeadroom(msg('whole')))
  box.appendData(msg('xbx'), 1, 2)
  box.appendData(msg('fragmented message'), 0, 18)
  box.appendData(msg('c'), 0, 1)
  box.appendControl(msg('C1'), 0, 2)
  box.pushTick()
  box.appendControl(msg('C2'), 0, 2)
  assert.is(box.bytes, 1 + 5 + 1 + 18 + 1 + 2 + 2)
  const got = drain(box)
  assert.equal(got.filter((f) => !f.startsWith('3:') && !f.startsWith('4:')), ['2:C1', 'tick', '2:C2', '1:a', '1:whole', '1:b', '1:c'])
  assert.ok(got.some((f) => f.startsWith('3:')), 'the long message went out in fragments')
  assert.is(box.bytes, 0)
  assert.ok(box.empty)
})

test('a run taken in part goes on filling: later messages come in the next batch', () => {
  const box = new Outbox(64 * 1024)
  box.appendControl(msg('one'), 0, 3)
  const first = box.take(1 << 20)!
  assert.equal(first.parts.map((p) => p.subarray(5).toString()), ['one'])
  box.appendControl(msg('two'), 0, 3)
  box.appendControl(msg('three'), 0, 5)
  assert.not.ok(box.empty)
  const second = box.take(1 << 20)!
  assert.is(second.parts.length, 1)
  assert.is(second.parts[0].buffer, first.parts[0].buffer, 'the same run')
  // The first batch's bytes are untouched by what came after.
  assert.is(first.parts[0].subarray(5).toString(), 'one')
  assert.is(box.take(1 << 20), undefined)
})

test('messages written in place share the run with copied ones; a refused write queues nothing', () => {
  const box = new Outbox(64 * 1024)
  assert.ok(box.appendWith(true, 1000, (buf, start) => { buf.write('in place', start); return start + 8 }))
  box.appendControl(msg('copied'), 0, 6)
  assert.not.ok(box.appendWith(true, 1000, () => -1))
  assert.equal(drain(box), ['2:in place', '2:copied'])
})

test('runs are reused only once written', () => {
  const box = new Outbox(4096)
  const fill = (tag: string): void => { for (let i = 0; i < 200; i++) box.appendData(msg(`${tag}${i % 10}`.padEnd(40, '.')), 0, 40) }
  fill('a')
  const batch = box.take(1 << 20)!
  const held = batch.parts.map((p) => Buffer.from(p))
  fill('b') // not written yet: new runs, the taken ones untouched
  assert.equal(batch.parts.map((p) => p.toString('hex')), held.map((p) => p.toString('hex')))
  box.written()
  assert.equal(drain(box).length, 200)
})

test('a tick or a whole message after a run wholly taken goes before what fills that run next, and the run is kept', () => {
  const box = new Outbox(64 * 1024)
  box.appendControl(msg('C1'), 0, 2)
  box.appendData(msg('D1'), 0, 2)
  const first = box.take(1 << 20)!
  box.written()
  box.pushTick()
  box.appendControl(msg('C2'), 0, 2)
  box.pushData(withHeadroom(msg('whole')))
  box.appendData(msg('D2'), 0, 2)
  const second = box.take(1 << 20)!
  assert.is(second.parts[1].buffer, first.parts[0].buffer, 'C2 in the run of C1')
  assert.is(second.parts[3].buffer, first.parts[1].buffer, 'D2 in the run of D1')
  const d = new FrameDecoder()
  const frames = d.push(Buffer.concat(second.parts)).map((f) => f.length === 0 ? 'tick' : `${f[0]}:${f.subarray(1).toString()}`)
  assert.equal(frames, ['tick', '2:C2', '1:whole', '1:D2'])
  assert.is(first.parts.map((p) => p.subarray(5).toString()).join(','), 'C1,D1', 'the first batch untouched')
})

test('a new outbox starts with small runs, each new one twice the last, and a message too big for one gets a run it fits', () => {
  const box = new Outbox(64 * 1024)
  for (let i = 0; i < 300; i++) box.appendData(msg(String(i % 10).repeat(40)), 0, 40)
  const sizes = box.take(1 << 20)!.parts.map((p) => p.length)
  // 45 bytes a frame: 22 fill the first KiB, 45 the next 2 KiB, ...
  assert.equal(sizes.slice(0, 3), [22 * 45, 45 * 45, 91 * 45])
  box.written()
  const big = new Outbox(64 * 1024)
  big.appendControl(Buffer.alloc(3000, 'x'), 0, 3000)
  assert.ok(big.appendWith(true, 10_000, (buf, start, limit) => limit - start >= 9000 ? start + 9000 : -1), 'written in place in a run with room for it')
  const b = big.take(1 << 20)!
  assert.equal(b.parts.map((p) => p.length), [3005, 9005])
})

test.run()
