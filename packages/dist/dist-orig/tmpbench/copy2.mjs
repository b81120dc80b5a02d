const N = 5_000_000
const src = Buffer.allocUnsafeSlow(8192).fill(7); src.dataView = new DataView(src.buffer, 0, 8192); src.start = 0; src.end = 1
const dst = Buffer.allocUnsafe(65536)
const sv = new DataView(src.buffer, src.byteOffset, src.byteLength)
const dv = new DataView(dst.buffer, dst.byteOffset, dst.byteLength)
const m = (name, f) => { let best = Infinity; for (let r = 0; r < 7; r++) { const c0 = process.cpuUsage(); f(); const c = process.cpuUsage(c0); best = Math.min(best, (c.user + c.system) / 1000) } console.log(name, (best * 1e6 / N).toFixed(1) + ' ns') }
const len = 89
m(`loop ${len}`, () => { let p = 0; for (let i = 0; i < N; i++) { if (p + len > 65536) p = 0; for (let j = 16; j < 16 + len; j++) dst[p++] = src[j] } })
m(`dataview32 ${len}`, () => { let p = 0; for (let i = 0; i < N; i++) { if (p + len > 65536) p = 0; let j = 16; const e = 16 + len; for (; j + 4 <= e; j += 4, p += 4) dv.setUint32(p, sv.getUint32(j)); for (; j < e; j++) dst[p++] = src[j] } })
m(`copy ${len}`, () => { let p = 0; for (let i = 0; i < N; i++) { if (p + len > 65536) p = 0; src.copy(dst, p, 16, 16 + len); p += len } })
m(`set+subarray ${len}`, () => { let p = 0; for (let i = 0; i < N; i++) { if (p + len > 65536) p = 0; dst.set(src.subarray(16, 16 + len), p); p += len } })
