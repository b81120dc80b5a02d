const N = 5_000_000
const src = Buffer.allocUnsafeSlow(8192).fill(7)
const dst = Buffer.allocUnsafe(65536)
const m = (name, f) => { let best = Infinity; for (let r = 0; r < 7; r++) { const c0 = process.cpuUsage(); f(); const c = process.cpuUsage(c0); best = Math.min(best, (c.user + c.system) / 1000) } console.log(name, (best * 1e6 / N).toFixed(1) + ' ns') }
for (const len of [65, 200]) {
  m(`loop ${len}`, () => { let p = 0; for (let i = 0; i < N; i++) { if (p + len > 65536) p = 0; for (let j = 16; j < 16 + len; j++) dst[p++] = src[j] } })
  m(`set+subarray ${len}`, () => { let p = 0; for (let i = 0; i < N; i++) { if (p + len > 65536) p = 0; dst.set(src.subarray(16, 16 + len), p); p += len } })
  m(`copy ${len}`, () => { let p = 0; for (let i = 0; i < N; i++) { if (p + len > 65536) p = 0; src.copy(dst, p, 16, 16 + len); p += len } })
  const u8set = Uint8Array.prototype.set
  const sub = Uint8Array.prototype.subarray
  m(`u8 set+u8 subarray ${len}`, () => { let p = 0; for (let i = 0; i < N; i++) { if (p + len > 65536) p = 0; u8set.call(dst, sub.call(src, 16, 16 + len), p); p += len } })
}
