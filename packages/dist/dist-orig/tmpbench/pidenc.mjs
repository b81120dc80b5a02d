import { createCodec } from '../src/codec.js'
import { Pid, Ref } from '@tekka/actors'
const N = 2_000_000
const from = new Pid('bench0@127.0.0.1', 12, 123456789)
const to = new Pid('peer1@127.0.0.1', 7, 987654321)
const codec = createCodec()
const m = (name, f) => { let best = Infinity; for (let r = 0; r < 9; r++) { const c0 = process.cpuUsage(); f(); const c = process.cpuUsage(c0); best = Math.min(best, (c.user + c.system) / 1000) } console.log(process.env.TEKKA_PIDW ?? '0', name, (best * 1e6 / N).toFixed(1) + ' ns') }
const PAYLOAD = 'x'.repeat(32)
m('send msg', () => { for (let i = 0; i < N; i++) codec.encodeScratch([1, from, to, PAYLOAD]) })
m('two pids', () => { for (let i = 0; i < N; i++) codec.encodeScratch([from, to]) })
// same bytes either way?
const vals = [from, to, new Ref('a@b', 1, 2), new Pid('x'.repeat(40) + '@h', 2 ** 31, 0), new Pid('n@h', 0, 127), new Pid('n@h', 128, 255), new Pid('n@h', 256, 65535), new Pid('n@h', 65536, 2 ** 32 - 1), new Pid('n@h', 2 ** 40, 1), new Pid('é@h', 1, 1)]
console.log(process.env.TEKKA_PIDW ?? '0', 'bytes', codec.encode(vals).toString('hex').slice(0, 400).length, require_hash(codec.encode(vals)))
function require_hash (b) { let h = 0; for (const x of b) h = (h * 31 + x) | 0; return h }
