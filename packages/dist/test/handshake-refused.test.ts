// Incoming handshakes that fail are counted: the kernel publishes
// `dist.handshake_refused` with the real reason and the remote address for
// each one (what the metrics endpoint counts), and caps the handshakes
// pending at once (node.max_pending_handshakes): a connection beyond it is
// closed at once, unread, as `cap`. Nodes in one process, real sockets.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { connect, type Socket } from 'node:net'
import { BadArgError, memoryLogger, silentLogger } from '@tekka/actors'
import { startNode, type DistNode, type NodeOptions } from '../src/index.js'
import { freePortRange } from '@tekka/testing/ports'
import { eventually, rejects } from '@tekka/testing/wait'

const started: DistNode[] = []
const sockets: Socket[] = []
async function node (name: string, base: number, extra: Partial<NodeOptions> = {}): Promise<DistNode> {
  const n = await startNode({ name, cookie: 'rc', basePort: base, logger: silentLogger(), ...extra })
  started.push(n)
  return n
}

test.after.each(async () => {
  for (const s of sockets.splice(0)) s.destroy()
  await Promise.all(started.splice(0).map(async (n) => await n.stop()))
})

function refusals (n: DistNode): Array<{ reason: string, remote?: string }> {
  const out: Array<{ reason: string, remote?: string }> = []
  n.events.on('dist.handshake_refused', (e) => { out.push({ reason: e.reason, ...(e.remote !== undefined ? { remote: e.remote } : {}) }) })
  return out
}

async function idle (port: number): Promise<{ socket: Socket, closed: Promise<number>, remote: string }> {
  const socket = connect({ host: '127.0.0.1', port })
  socket.on('error', () => {})
  sockets.push(socket)
  const closed = new Promise<number>((resolve) => { socket.once('close', () => { resolve(Date.now()) }) })
  await new Promise((resolve) => socket.once('connect', resolve))
  // As the node sees it (read now: a closed socket forgets its port).
  return { socket, closed, remote: `127.0.0.1:${socket.localPort ?? '?'}` }
}

test('a wrong cookie, garbage and a peer that goes away: one event each, with the reason and the remote address', async () => {
  const base = await freePortRange(3)
  const a = await node('a1@127.0.0.1', base)
  const seen = refusals(a)
  const b = await node('b2@127.0.0.1', base, { cookie: 'other' })
  assert.not.ok(await b.connect(a.name), 'a wrong cookie is refused')
  await eventually(() => seen.some((e) => e.reason === 'cookie'), { timeout: 5000, message: 'a cookie refusal' })
  const garbage = await idle(a.port!)
  garbage.socket.write(Buffer.from('GET / HTTP/1.1\r\n\r\n'))
  await garbage.closed
  const gone = await idle(a.port!)
  gone.socket.destroy()
  await eventually(() => seen.some((e) => e.reason === 'closed' && e.remote === gone.remote), { timeout: 5000, message: 'a closed refusal for the socket that went away' })
  assert.ok(seen.some((e) => e.reason === 'protocol' && e.remote === garbage.remote), JSON.stringify(seen))
  assert.ok(seen.every((e) => /^127\.0\.0\.1:\d+$/.test(e.remote ?? '')), JSON.stringify(seen))
  assert.is(a.kernel.pendingHandshakes, 0)
})

test('the cap: with 2 pending, a third connection is closed at once (long before the deadline) as `cap`; the deadline closes the others as `timeout`', async () => {
  const base = await freePortRange(2)
  const log = memoryLogger()
  const a = await node('a1@127.0.0.1', base, { maxPendingHandshakes: 2, handshakeTimeout: 1500, logger: log })
  const seen = refusals(a)
  const first = await idle(a.port!)
  const second = await idle(a.port!)
  await eventually(() => a.kernel.pendingHandshakes === 2, { timeout: 3000, message: 'two pending' })
  const opened = Date.now()
  const third = await idle(a.port!)
  const closedAt = await third.closed
  assert.ok(closedAt - opened < 1000, `the third was closed at once (${closedAt - opened} ms), not at the 1500 ms deadline`)
  assert.is(seen.filter((e) => e.reason === 'cap').length, 1)
  assert.is(seen.find((e) => e.reason === 'cap')?.remote, third.remote)
  assert.ok(log.records.some((r) => r.level === 'warn' && r.msg === 'too many pending handshakes: connection closed unread' && r.fields?.max === 2 && r.node === 'a1@127.0.0.1'))
  assert.is(a.kernel.pendingHandshakes, 2, 'the cap closed the newcomer, not a pending one')
  // Idle from the first byte: the deadline applies before anything is read.
  await Promise.all([first.closed, second.closed])
  await eventually(() => seen.filter((e) => e.reason === 'timeout').length === 2, { timeout: 3000, message: 'two timeouts' })
  assert.is(a.kernel.pendingHandshakes, 0)
  // The slots are free again: a real peer gets in.
  const b = await node('b2@127.0.0.1', base)
  assert.ok(await b.connect(a.name))
})

test('maxPendingHandshakes must be a positive integer', async () => {
  const base = await freePortRange(2)
  for (const bad of [0, -1, 1.5, Number.NaN]) {
    await rejects(node('a1@127.0.0.1', base, { maxPendingHandshakes: bad }), BadArgError, /maxPendingHandshakes must be a positive integer/)
  }
})

test.run()
