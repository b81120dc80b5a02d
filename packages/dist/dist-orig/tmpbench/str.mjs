const N = 3_000_000
const buf = Buffer.from('abcd' + 'x'.repeat(32) + 'efgh')
const m = (name, f) => { let best = Infinity; for (let r = 0; r < 7; r++) { const c0 = process.cpuUsage(); f(); const c = process.cpuUsage(c0); best = Math.min(best, (c.user + c.system) / 1000) } console.log(name, (best * 1e6 / N).toFixed(1) + ' ns') }
let sink
const s = 4, e = 36
m('scan+latin1Slice', () => { for (let i = 0; i < N; i++) { let ok = true; for (let j = s; j < e; j++) if (buf[j] >= 0x80) { ok = false; break } sink = ok ? buf.latin1Slice(s, e) : '' } })
m('scan+concat', () => { for (let i = 0; i < N; i++) { let str = ''; for (let j = s; j < e; j++) { const c = buf[j]; if (c >= 0x80) break; str += String.fromCharCode(c) } sink = str } })
const fcc = String.fromCharCode
m('apply subarray', () => { for (let i = 0; i < N; i++) { sink = fcc.apply(null, buf.subarray(s, e)) } })
const td = new TextDecoder('latin1')
m('asciiSlice', () => { for (let i = 0; i < N; i++) { let ok = true; for (let j = s; j < e; j++) if (buf[j] >= 0x80) { ok = false; break } sink = ok ? buf.asciiSlice(s, e) : '' } })
m('toString latin1', () => { for (let i = 0; i < N; i++) { sink = buf.toString('latin1', s, e) } })
m('utf8Slice (no scan)', () => { for (let i = 0; i < N; i++) { sink = buf.utf8Slice(s, e) } })
