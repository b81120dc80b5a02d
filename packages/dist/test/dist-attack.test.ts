// A node under attack stays quiet and bounded: a real `tekka` node (its own
// OS process) gets thousands of idle connections at once, and garbage
// writers that reconnect as fast as they are thrown out. Meanwhile:
// handshakes pending on the node never exceed node.max_pending_handshakes
// (the excess is closed unread and counted as `cap`), each idle socket it
// kept is closed by the handshake deadline (`timeout`), a peer node with a
// link keeps being served, `tekka ctl ping` gets through while the garbage
// still flows, the node's memory grows by a bounded amount, and its log
// stays under a fixed number of lines (each repeated line is folded into a
// summary with its count). After the flood the node serves as before.
//
// Size: TEKKA_ATTACK_IDLE idle sockets (default 3000; 1000 in the unit tier).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { execFile } from 'node:child_process'
import { connect, type Socket } from 'node:net'
import { fileURLToPath } from 'node:url'
import { randomBytes } from 'node:crypto'
import { promisify } from 'node:util'
import { memoryLogger } from '@tekka/actors'
import { startNode, type DistNode } from '../src/index.js'
import { spawnNode, type NodeProcess, TEKKA_BIN } from '@tekka/testing/procs'
import { freePortRange } from '@tekka/testing/ports'
import { eventually } from '@tekka/testing/wait'
import { sized } from '@tekka/testing'

const APP = fileURLToPath(new URL('./fixtures/attack-app.js', import.meta.url))
const HOST = '127.0.0.1'
const N1 = `n1@${HOST}`
const COOKIE = 'attack-cookie'
const CAP = 100
const IDLE = sized(3000, 1000, 'TEKKA_ATTACK_IDLE')
const GARBAGE_WRITERS = 20
/** Lines the node may write during the whole flood (without the limit: one per refused connection, thousands). */
const MAX_LINES = 60
/** RSS the flood may add to the node. */
const MAX_RSS_GROWTH = 150 * 1024 * 1024

interface Stats { pending: number, maxPending: number, refused: Record<string, number>, rss: number }

let base = 0
let n1: NodeProcess
let t0: DistNode
const run = promisify(execFile)

async function stats (): Promise<Stats> {
  return await t0.call<Stats>(N1, 'test.attack_stats', [], { timeout: 10_000 })
}

async function ctlPing (): Promise<string> {
  try {
    const { stdout } = await run(process.execPath, [TEKKA_BIN, 'ctl', '--node', N1, '--cookie', COOKIE, '--set', `node.dist_base_port=${base}`, '--timeout', '5000', 'ping'], { timeout: 15_000 })
    return stdout.trim()
  } catch (err) {
    return `failed: ${(err as { stdout?: string }).stdout?.trim() ?? (err as Error).message}`
  }
}

/** Opens a socket that sends nothing; resolves once it is connected (or refused) with the socket and when it closed. */
async function idleSocket (port: number): Promise<{ socket: Socket, closed: Promise<void> }> {
  const socket = connect({ host: HOST, port })
  socket.on('error', () => {})
  const closed = new Promise<void>((resolve) => { socket.once('close', () => { resolve() }) })
  await Promise.race([new Promise((resolve) => socket.once('connect', resolve)), closed])
  return { socket, closed }
}

/** Connects, writes garbage, waits to be thrown out, again, until `stop` is aborted. */
async function garbageWriter (port: number, stop: AbortSignal): Promise<number> {
  let rounds = 0
  while (!stop.aborted) {
    const { socket, closed } = await idleSocket(port)
    // A length prefix above the handshake's 8 KiB frame limit, then noise: a protocol error at once.
    socket.write(Buffer.concat([Buffer.from([0x7f, 0xff, 0xff, 0xff]), randomBytes(512)]))
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 3000))])
    socket.destroy()
    rounds++
  }
  return rounds
}

test.before(async () => {
  base = await freePortRange(3, [HOST])
  n1 = spawnNode({
    entry: TEKKA_BIN,
    nodeArgs: ['--expose-gc'],
    args: [
      '--name', N1, '--cookie', COOKIE, '--set', `node.dist_base_port=${base}`,
      '--set', `node.max_pending_handshakes=${CAP}`, '--set', 'node.handshake_timeout=2s', APP
    ],
    // info: the timeouts of the idle sockets are logged too (and limited like the rest).
    env: { TEKKA_LOG: 'info' },
    name: 'n1',
    maxLines: 1_000_000
  })
  await n1.waitForLine(/tekka: app .* started/, 20_000)
  t0 = await startNode({ name: `t0@${HOST}`, cookie: COOKIE, basePort: base, logger: memoryLogger('t0') })
  assert.ok(await t0.connect(N1), 't0 connects to n1')
})

test.after(async () => {
  await t0?.stop()
  if (n1?.running === true) await n1.stop('SIGKILL', 2000)
})

test(`${IDLE} idle sockets and ${GARBAGE_WRITERS} garbage writers: pending <= cap, idle ones closed by the deadline, the node served, memory and log bounded`, async () => {
  const port = base + 1
  const before = await stats()
  assert.is(before.pending, 0)
  const mark = n1.mark()
  const stop = new AbortController()
  const writers = Array.from({ length: GARBAGE_WRITERS }, async () => await garbageWriter(port, stop.signal))
  // The idle flood, in waves of 250 so the listen backlog is not the only thing that refuses.
  const idle: Array<{ socket: Socket, closed: Promise<void> }> = []
  let peak = before.rss
  try {
    for (let i = 0; i < IDLE; i += 250) {
      idle.push(...await Promise.all(Array.from({ length: Math.min(250, IDLE - i) }, async () => await idleSocket(port))))
      const s = await stats()
      assert.ok(s.maxPending <= CAP, `pending handshakes never above the cap: ${s.maxPending}`)
    }
    // While the garbage flows: the peer's link is served, and a ctl node gets in once the idle sockets' slots free up.
    const during = await stats()
    peak = Math.max(peak, during.rss)
    assert.ok((during.refused.cap ?? 0) > 0, `the cap was reached: ${JSON.stringify(during.refused)}`)
    assert.is(await t0.call(N1, 'tekka.ping', [], { timeout: 5000 }), 'pong', 'the peer is served during the flood')
    await eventually(async () => (await ctlPing()) === 'pong', { timeout: 30_000, interval: 250, message: 'tekka ctl ping answers while garbage still flows' })
    // Every idle socket the node kept is closed by it, at its handshake deadline (2 s) or at once (cap).
    await eventually(async () => {
      const open = idle.filter((c) => !c.socket.destroyed && c.socket.readyState === 'open').length
      return open === 0
    }, { timeout: 20_000, interval: 200, message: 'the node closed every idle socket' })
    const after = await stats()
    peak = Math.max(peak, after.rss)
    assert.ok(after.maxPending <= CAP, `pending handshakes never above the cap: ${after.maxPending}`)
    assert.ok((after.refused.timeout ?? 0) > 0, `idle sockets it kept were closed by the deadline: ${JSON.stringify(after.refused)}`)
    assert.ok((after.refused.protocol ?? 0) > 0, `garbage was refused as protocol errors: ${JSON.stringify(after.refused)}`)
    const total = Object.values(after.refused).reduce((a, b) => a + b, 0)
    assert.ok(total >= IDLE, `every idle socket is counted as refused (${total} refusals for ${IDLE} idle sockets)`)
    assert.is(n1.exitInfo, undefined, 'the node is still running')
  } finally {
    stop.abort()
    for (const c of idle) c.socket.destroy()
    await Promise.allSettled(writers)
  }
  const rounds = (await Promise.all(writers)).reduce((a, b) => a + b, 0)
  assert.ok(rounds > GARBAGE_WRITERS, `the garbage writers were thrown out and came back (${rounds} connections)`)
  assert.ok(peak - before.rss < MAX_RSS_GROWTH, `RSS grew by ${((peak - before.rss) / 1048576).toFixed(1)} MiB, bound ${MAX_RSS_GROWTH / 1048576} MiB`)

  // The log: each repeated line ends with a summary of what was left out, and the whole stays small.
  await n1.waitForLine(/incoming connection refused \(repeated \d+ times in the last 10s\)/, 15_000, { since: mark })
  await n1.waitForLine(/too many pending handshakes: connection closed unread \(repeated \d+ times in the last 10s\)/, 15_000, { since: mark })
  const lines = n1.lines.filter((l) => l.index >= mark && l.stream === 'stderr')
  assert.ok(lines.length <= MAX_LINES, `${lines.length} log lines for the flood (bound ${MAX_LINES}):\n${lines.map((l) => l.text).join('\n')}`)

  // After the flood: served as before.
  await eventually(async () => (await stats()).pending === 0, { timeout: 10_000, message: 'no handshake left pending' })
  assert.is(await ctlPing(), 'pong', 'ctl after the flood')
  assert.is(await t0.call(N1, 'tekka.ping', [], { timeout: 5000 }), 'pong', 'the peer after the flood')
  assert.ok(t0.nodes().includes(N1), 'the peer\'s link never went down')
})

test.run()
