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
m('encode+append', () => {
  for (let i = 0; i < N; i++) {
    const s = codec.encodeScratch([1, from, to, PAYLOAD])
    box.appendControl(s.buf, s.start, s.end)
    if ((i & 1023) === 1023) while (box.take(65536) !== undefined);
  }
})
m('encode only', () => { for (let i = 0; i < N; i++) codec.encodeScratch([1, from, to, PAYLOAD]) })
const s = codec.encodeScratch([1, from, to, PAYLOAD]); const copy = Buffer.from(s.buf.subarray(s.start, s.end))
console.log('len', s.end - s.start, Object.keys(s.buf))
m('append only (fresh src)', () => { for (let i = 0; i < N; i++) { box.appendControl(copy, 0, copy.length); if ((i & 1023) === 1023) while (box.take(65536) !== undefined); } })
m('append only (msgpackr target)', () => { const t = s.buf; for (let i = 0; i < N; i++) { box.appendControl(t, s.start, s.end); if ((i & 1023) === 1023) while (box.take(65536) !== undefined); } })
