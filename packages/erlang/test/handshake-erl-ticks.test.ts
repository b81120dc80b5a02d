// Ticks and nodedown against real erl (OTP 25) with net_ticktime 4 s on
// both sides: an idle link stays up past 2 x tickTime, a stopped erl is
// down by net_tick_timeout, and kill -9 of either side is a nodedown on
// the other within 2 x tickTime.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { fileURLToPath } from 'node:url'
import { eventually, sleep } from '@tekka/testing/wait'
import { spawnNode } from '@tekka/testing/procs'
import { Epmd, ErlNode } from '@tekka/testing/erl-node'
import { startErlDist, type ErlDistNode } from '../src/index.js'

const TICK_S = 4
const TICK = TICK_S * 1000
const TK = 'tk@127.0.0.1'
const E1 = 'e1@127.0.0.1'
const FIXTURE = fileURLToPath(new URL('./fixtures/erl-dist-node.js', import.meta.url))
let epmd: Epmd
const cleanups: Array<() => Promise<void>> = []

async function pair (): Promise<{ e1: ErlNode, tk: ErlDistNode, downs: Array<{ peer: string, reason: string, at: number }> }> {
  const e1 = await ErlNode.start({ name: E1, cookie: 'sesame', epmdPort: epmd.port, tickTime: TICK_S })
  cleanups.push(async () => { e1.kill('SIGCONT'); await e1.stop() })
  const tk = await startErlDist({ name: TK, cookie: 'sesame', epmdPort: epmd.port, tickTime: TICK })
  cleanups.push(async () => { await tk.stop() })
  const downs: Array<{ peer: string, reason: string, at: number }> = []
  tk.on('nodedown', (peer, reason) => { downs.push({ peer, reason, at: Date.now() }) })
  await tk.connect(E1)
  await e1.waitForLine(/^nodeup tk@127\.0\.0\.1$/)
  return { e1, tk, downs }
}

test.before(async () => { epmd = await Epmd.start() })
test.after.each(async () => { for (const c of cleanups.splice(0).reverse()) await c() })
test.after(async () => { await epmd.stop() })

test('an idle link stays up past 2 x tickTime: ticks flow both ways and neither side calls it down', async () => {
  const { e1, tk, downs } = await pair()
  const conn = tk.connection(E1)
  assert.ok(conn !== undefined)
  await sleep(2 * TICK + 1000)
  assert.ok(conn.open, `still up (closed: ${String(conn.reason)})`)
  assert.equal(downs, [])
  assert.not.ok(e1.lines.some((l) => l.startsWith('nodedown')), 'erl saw no nodedown')
  // Idle for 2.25 x tickTime: about 9 quarters, a tick in each from each side.
  assert.ok(conn.stats.ticksOut >= 6, `we ticked ${conn.stats.ticksOut} times`)
  assert.ok(conn.stats.ticksIn >= 6, `erl ticked ${conn.stats.ticksIn} times`)
})

test('a stopped erl (SIGSTOP: socket open, silent) is down with net_tick_timeout within 2 x tickTime', async () => {
  const { e1, downs } = await pair()
  const stopped = Date.now()
  e1.kill('SIGSTOP')
  await eventually(() => downs.length > 0, { timeout: 2 * TICK + 2000, interval: 100, message: 'nodedown' })
  const took = downs[0].at - stopped
  assert.equal({ peer: downs[0].peer, reason: downs[0].reason }, { peer: E1, reason: 'net_tick_timeout' })
  assert.ok(took >= TICK * 0.7 && took <= 2 * TICK, `down after ${took} ms`)
})

test('kill -9 of erl: our nodedown within 2 x tickTime', async () => {
  const { e1, downs } = await pair()
  const killed = Date.now()
  e1.kill('SIGKILL')
  await eventually(() => downs.length > 0, { timeout: 2 * TICK, interval: 50, message: 'nodedown after kill -9' })
  assert.is(downs[0].peer, E1)
  assert.ok(downs[0].at - killed <= 2 * TICK, `took ${downs[0].at - killed} ms`)
})

test('kill -9 of our node: erl\'s net_kernel:monitor_nodes reports nodedown within 2 x tickTime', async () => {
  const e1 = await ErlNode.start({ name: E1, cookie: 'sesame', epmdPort: epmd.port, tickTime: TICK_S })
  cleanups.push(async () => { await e1.stop() })
  const tk = spawnNode({ entry: FIXTURE, args: [TK, 'sesame', String(epmd.port), E1, String(TICK)] })
  cleanups.push(async () => { await tk.stop('SIGKILL') })
  await tk.waitForLine(/^up e1@127\.0\.0\.1$/, 15_000)
  await e1.waitForLine(/^nodeup tk@127\.0\.0\.1$/)
  const since = e1.mark()
  const killed = Date.now()
  tk.kill('SIGKILL')
  await e1.waitForLine(/^nodedown tk@127\.0\.0\.1$/, 2 * TICK, since)
  assert.ok(Date.now() - killed <= 2 * TICK)
})

test.run()
