import { createCodec } from '../src/codec.js'
import { Pid } from '@tekka/actors'
const N = 2_000_000
const from = new Pid('bench0@127.0.0.1', 12, 123456789)
const to = new Pid('peer1@127.0.0.1', 7, 987654321)
const codec = createCodec()
const PAYLOAD = 'x'.repeat(32)
const m = (name, f) => { let best = Infinity; for (let r = 0; r < 9; r++) { const c0 = process.cpuUsage(); f(); const c = process.cpuUsage(c0); best = Math.min(best, (c.user + c.system) / 1000) } console.log(name, (best * 1e6 / N).toFixed(1) + ' ns') }
const enc = Buffer.from(codec.encode([1, from, to, PAYLOAD]))
console.log(codec.decode(enc, 0, enc.length))
m('decode send', () => { for (let i = 0; i < N; i++) codec.decode(enc, 0, enc.length) })
const enc4 = Buffer.from(codec.encode([1, from, to, 7]))
m('decode send int', () => { for (let i = 0; i < N; i++) codec.decode(enc4, 0, enc4.length) })
const enc5 = Buffer.from(codec.encode(PAYLOAD))
m('decode payload only', () => { for (let i = 0; i < N; i++) codec.decode(enc5, 0, enc5.length) })
