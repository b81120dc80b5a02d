import { createCodec } from '../src/codec.js'
import { Outbox } from '../src/outbox.js'
import { Pid } from '@tekka/actors'
import { Packr, RESERVE_START_SPACE } from 'msgpackr'
const N = 1_000_000
const PAYLOAD = 'x'.repeat(32)
const pid = new Pid('peer1@127.0.0.1', 7, 123456789)
const codec = createCodec()
function tekka () {
  const box = new Outbox(64 * 1024)
  const t0 = performance.now()
  for (let i = 0; i < N; i++) {
    const s = codec.encodeScratch([1, null, pid, PAYLOAD])
    box.appendControl(s.buf, s.start, s.end)
    if ((i & 1023) === 1023) while (box.take(65536) !== undefined);
  }
  return performance.now() - t0
}
function encOnly () {
  const t0 = performance.now()
  for (let i = 0; i < N; i++) codec.encodeScratch([1, null, pid, PAYLOAD])
  return performance.now() - t0
}
function encNoPid () {
  const t0 = performance.now()
  for (let i = 0; i < N; i++) codec.encodeScratch([1, null, 7, PAYLOAD])
  return performance.now() - t0
}
const packr = new Packr({ useRecords: false, structuredClone: false, moreTypes: true, mapsAsObjects: true, copyBuffers: true })
const tuple = ['peer1@127.0.0.1', 7, 123456789]
function raw () {
  let q = []; let qb = 0
  const t0 = performance.now()
  for (let i = 0; i < N; i++) {
    const b = packr.pack([1, null, tuple, PAYLOAD], RESERVE_START_SPACE | 5)
    b.writeUInt32BE(b.length - 4, 0); b[4] = 1
    q.push(b); qb += b.length
    if ((i & 1023) === 1023) { Buffer.concat(q, qb); q = []; qb = 0 }
  }
  return performance.now() - t0
}
for (let r = 0; r < 4; r++) console.log(`tekka ${tekka().toFixed(0)} ms  encOnly ${encOnly().toFixed(0)}  encNoPid ${encNoPid().toFixed(0)}  raw ${raw().toFixed(0)} ms`)
