import { createCodec } from '../src/codec.js'
import { Outbox } from '../src/outbox.js'
import { Pid } from '@tekka/actors'
const N = 1_000_000
const PAYLOAD = 'x'.repeat(32)
const from = new Pid('bench0@127.0.0.1', 12, 123456789)
const to = new Pid('peer1@127.0.0.1', 7, 987654321)
const codec = createCodec()
const m = (name, f) => { let best = Infinity; for (let r = 0; r < 7; r++) { const c0 = process.cpuUsage(); f(); const c = process.cpuUsage(c0); best = Math.min(best, (c.user + c.system) / 1000) } console.log(name, (best * 1e6 / N).toFixed(1) + ' ns') }
const box = new Outbox(64 * 1024)
let pending
const w = (buf, s, l) => codec.encodeInto(pending, buf, s, l)
m('appendWith', () => {
  for (let i = 0; i < N; i++) {
    pending = [1, from, to, PAYLOAD]
    box.appendWith(true, 1e9, w)
    if ((i & 1023) === 1023) { while (box.take(65536) !== undefined) box.written() }
  }
})
m('appendWith no recycle', () => {
  for (let i = 0; i < N; i++) {
    pending = [1, from, to, PAYLOAD]
    box.appendWith(true, 1e9, w)
    if ((i & 1023) === 1023) { while (box.take(65536) !== undefined); }
  }
})
const t = Buffer.allocUnsafe(65536)
m('encodeInto same buf', () => { for (let i = 0; i < N; i++) codec.encodeInto([1, from, to, PAYLOAD], t, 0, 65536) })
