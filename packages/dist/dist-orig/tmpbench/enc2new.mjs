import { createCodec } from '../src/codec.js'
import { Pid } from '@tekka/actors'
const N = 2_000_000
const pid = new Pid('peer1@127.0.0.1', 7, 123456789)
const codec = createCodec()
const PAYLOAD = 'x'.repeat(32)
const m = (f) => { let best = Infinity; for (let r = 0; r < 9; r++) { const c0 = process.cpuUsage(); f(); const c = process.cpuUsage(c0); best = Math.min(best, (c.user + c.system) / 1000) } return (best * 1e6 / N).toFixed(1) + " ns" }
console.log('pid only  ', m(() => { for (let i = 0; i < N; i++) codec.encode(pid, 5) }))
console.log('int only  ', m(() => { for (let i = 0; i < N; i++) codec.encode(7, 5) }))
console.log('arr no pid', m(() => { for (let i = 0; i < N; i++) codec.encode([1, null, 7, PAYLOAD], 5) }))
console.log('arr w pid ', m(() => { for (let i = 0; i < N; i++) codec.encode([1, null, pid, PAYLOAD], 5) }))
const enc = codec.encode([1, null, pid, PAYLOAD])
console.log('decode    ', m(() => { for (let i = 0; i < N; i++) codec.decode(enc, 0, enc.length) }))
const enc2 = codec.encode([1, null, 7, PAYLOAD])
console.log('decode nopid', m(() => { for (let i = 0; i < N; i++) codec.decode(enc2, 0, enc2.length) }))
const enc3 = codec.encode([1, null, 7, 'x'])
console.log('decode short str', m(() => { for (let i = 0; i < N; i++) codec.decode(enc3, 0, enc3.length) }))
import { Packr } from 'msgpackr'
const packr = new Packr({ useRecords: false, structuredClone: false, moreTypes: true, mapsAsObjects: true, copyBuffers: true })
const rawEnc = packr.pack([1, null, ['peer1@127.0.0.1', 7, 123456789], PAYLOAD])
const opts = { start: 0, end: rawEnc.length }
console.log('raw decode', m(() => { for (let i = 0; i < N; i++) packr.unpack(rawEnc, opts) }))
const oldForm = Buffer.from([0x94, 1, 0xc0, 0xd4, 0x10, 0x00, ...packr.pack(['peer1@127.0.0.1', 7, 123456789]), ...packr.pack(PAYLOAD)])
console.log('old-form decode', m(() => { for (let i = 0; i < N; i++) codec.decode(oldForm, 0, oldForm.length) }))
