const which = process.argv[2]
const { createCodec } = await import(which === 'ext' ? '../src/codec-pidext.js' : '../src/codec.js')
import { Pid } from '@tekka/actors'
const N = 2_000_000
const from = new Pid('bench0@127.0.0.1', 12, 123456789)
const to = new Pid('peer1@127.0.0.1', 7, 987654321)
const codec = createCodec()
const PAYLOAD = 'x'.repeat(32)
const m = (name, f) => { let best = Infinity; for (let r = 0; r < 9; r++) { const c0 = process.cpuUsage(); f(); const c = process.cpuUsage(c0); best = Math.min(best, (c.user + c.system) / 1000) } console.log(which, name, (best * 1e6 / N).toFixed(1) + ' ns') }
const msg = [1, from, to, PAYLOAD]
m('encode send', () => { for (let i = 0; i < N; i++) codec.encodeScratch(msg) })
const enc = Buffer.from(codec.encode(msg))
m('decode send', () => { for (let i = 0; i < N; i++) codec.decode(enc, 0, enc.length) })
const msg2 = [1, null, to, PAYLOAD]
const enc2 = Buffer.from(codec.encode(msg2))
m('decode send nofrom', () => { for (let i = 0; i < N; i++) codec.decode(enc2, 0, enc2.length) })
