// Remote actors across real OS processes: the test process is node t0, and
// n1, n2 run the `tekka` command with the fixture app. Remote send (pid and
// registered name), ordering of 100,000 messages, remote link and monitor,
// exit signals, RPC with its typed failures, the full mesh, the ctl command.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { fileURLToPath } from 'node:url'
import { spawnSync } from 'node:child_process'
import {
  NoProcError, silentLogger, isDownMessage, isExitMessage, TIMEOUT,
  type Pid, type DownMessage, type ExitMessage, type ProcessContext
} from '@tekka/actors'
import { startNode, BadRpcError, type DistNode } from '../src/index.js'
import { spawnNode, stopAll, type NodeProcess, TEKKA_BIN } from '@tekka/testing/procs'
import { freePortRange } from '@tekka/testing/ports'
import { eventually, rejects, withTimeout } from '@tekka/testing/wait'
import { OrderRejectedError } from './fixtures/errors.js'

/** The `tekka` command, which runs the fixture app as a whole node. */
const BIN = TEKKA_BIN
const APP = fileURLToPath(new URL('./fixtures/app.js', import.meta.url))
const COOKIE = 'remote-test-cookie'
const N1 = 'n1@127.0.0.1'
const N2 = 'n2@127.0.0.1'

let base = 0
let t0: DistNode
const procs: Record<string, NodeProcess> = {}

async function startPeer (name: string): Promise<NodeProcess> {
  const p = spawnNode({
    entry: BIN,
    args: ['--name', name, '--cookie', COOKIE, '--set', `node.dist_base_port=${base}`, APP],
    env: { TEKKA_LOG: 'warn' }
  })
  await p.waitForLine(/app .* started/, 15_000)
  procs[name] = p
  return p
}

/** Receive in a temporary process on t0. */
function within<T> (fn: (ctx: ProcessContext) => Promise<T>, ms = 10_000): Promise<T> {
  return withTimeout(t0.run(fn), ms, 'receive on t0')
}

const downFor = (ref: unknown) => (m: unknown): m is DownMessage => isDownMessage(m) && m.ref.equals(ref)

test.before(async () => {
  base = await freePortRange(4)
  t0 = await startNode({ name: 't0@127.0.0.1', cookie: COOKIE, basePort: base, logger: silentLogger() })
  await Promise.all([startPeer(N1), startPeer(N2)])
})

test.after(async () => {
  await t0?.stop()
  await stopAll('SIGTERM')
})

test('connect on first send: a message to a registered name on another node', async () => {
  const reply = await within(async (ctx) => {
    ctx.send({ name: 'echo', node: N1 }, { from: ctx.self, msg: 'hello' })
    return await ctx.receive()
  })
  assert.equal(reply, { echo: 'hello', node: N1 })
  assert.ok(t0.nodes().includes(N1))
})

test('connected nodes form a full mesh; the ctl node stays hidden', async () => {
  assert.ok(await t0.connect(N2))
  await eventually(async () => (await t0.call<string[]>(N1, 'test.nodes')).includes(N2), { timeout: 10_000, message: 'n1 sees n2' })
  const r = spawnSync(process.execPath, [BIN, 'ctl', '--node', N1, '--cookie', COOKIE, '--set', `node.dist_base_port=${base}`, 'nodes'], { encoding: 'utf8', timeout: 20_000 })
  assert.is(r.status, 0, r.stderr)
  const listed = r.stdout.trim().split('\n').sort()
  assert.equal(listed, [N2, 't0@127.0.0.1'], 'ctl prints the visible nodes, not itself')
  const seen = await t0.call<string[]>(N1, 'test.nodes')
  assert.not.ok(seen.some((n) => n.startsWith('ctl-')), 'the hidden ctl node never shows in nodes()')
})

test('ctl ping answers pong, and pang with exit 1 for a node that is not there', () => {
  const ok = spawnSync(process.execPath, [BIN, 'ctl', '--node', N1, '--cookie', COOKIE, '--set', `node.dist_base_port=${base}`, 'ping'], { encoding: 'utf8', timeout: 20_000 })
  assert.is(ok.stdout.trim(), 'pong')
  assert.is(ok.status, 0)
  const bad = spawnSync(process.execPath, [BIN, 'ctl', '--node', 'n9@127.0.0.1', '--cookie', COOKIE, '--set', `node.dist_base_port=${base}`, 'ping'], { encoding: 'utf8', timeout: 20_000 })
  assert.is(bad.stdout.trim(), 'pang')
  assert.is(bad.status, 1)
})

test('a message to a remote pid, and its reply', async () => {
  const got = await within(async (ctx) => {
    const waiter = await t0.call<Pid>(N1, 'test.spawn_waiter', [{ report: ctx.self }])
    assert.is(waiter.node, N1)
    ctx.send(waiter, { hi: 1 })
    return await ctx.receive()
  })
  assert.equal((got as { got: unknown }).got, { hi: 1 })
})

test('100,000 messages from one process to another node arrive in order', async () => {
  const n = 100_000
  const report = await within(async (ctx) => {
    const sink = await t0.call<Pid>(N1, 'test.spawn_sink', [n, ctx.self])
    for (let i = 0; i < n; i++) {
      ctx.send(sink, i)
      if (i % 1000 === 999) await ctx.yield()
    }
    return await ctx.receive()
  }, 60_000)
  assert.equal((report as { count: number, inOrder: boolean }).inOrder, true)
  assert.is((report as { count: number }).count, n)
})

test('100,000 messages between two other nodes arrive in order (n1 -> n2)', async () => {
  const n = 100_000
  const report = await within(async (ctx) => {
    const sink = await t0.call<Pid>(N2, 'test.spawn_sink', [n, ctx.self])
    await t0.call(N1, 'test.flood', [sink, n])
    return await ctx.receive()
  }, 60_000)
  assert.equal(report, { sink: (report as { sink: Pid }).sink, count: n, inOrder: true })
})

test('remote link: an abnormal exit there reaches a trapping process here as EXIT with the error', async () => {
  const exit = await within(async (ctx) => {
    ctx.trapExit(true)
    const waiter = await t0.call<Pid>(N1, 'test.spawn_waiter', [{}])
    ctx.link(waiter)
    // The link must be in place on n1 before the crash: a round trip through the same link orders it.
    await t0.call(N1, 'tekka.ping')
    ctx.send(waiter, 'crash')
    return await ctx.receive(isExitMessage)
  })
  assert.instance(exit.reason, Error)
  assert.is((exit.reason as Error).message, 'boom from waiter')
  assert.ok(typeof (exit.reason as Error).stack === 'string' && (exit.reason as Error).stack!.includes('boom from waiter'), 'stack kept')
})

test('remote link: a non-trapping process here dies with the remote reason', async () => {
  const waiter = await t0.call<Pid>(N1, 'test.spawn_waiter', [{}])
  const local = t0.spawn(async (ctx) => {
    ctx.link(waiter)
    await ctx.receive()
  })
  const reason = t0.runtime.wait(local)
  await t0.call(N1, 'tekka.ping')
  t0.send(waiter, { exit: 'custom_reason' })
  assert.is(await withTimeout(reason, 10_000, 'local exit'), 'custom_reason')
})

test('remote link: a local abnormal exit kills the linked remote process; normal does not', async () => {
  const a = await t0.call<Pid>(N1, 'test.spawn_waiter', [{}])
  const b = await t0.call<Pid>(N1, 'test.spawn_waiter', [{}])
  const mk = (target: Pid, reason: string): Pid => t0.spawn(async (ctx) => {
    ctx.link(target)
    await ctx.receive()
    ctx.exit(reason)
  })
  const la = mk(a, 'broken')
  const lb = mk(b, 'normal')
  await t0.call(N1, 'tekka.ping')
  t0.send(la, 'go'); t0.send(lb, 'go')
  await eventually(async () => !(await t0.call<boolean>(N1, 'test.alive', [a])), { timeout: 10_000, message: 'a killed by the link' })
  assert.ok(await t0.call<boolean>(N1, 'test.alive', [b]), 'normal exit does not propagate')
})

test('remote monitor: DOWN with the reason, by pid and by registered name', async () => {
  const [d1, d2] = await within(async (ctx) => {
    const w = await t0.call<Pid>(N1, 'test.spawn_waiter', [{ name: 'watched_one' }])
    const byPid = ctx.monitor(w)
    const byName = ctx.monitor({ name: 'watched_one', node: N1 })
    await t0.call(N1, 'tekka.ping')
    ctx.send(w, 'stop')
    const a = await ctx.receive(downFor(byPid))
    const b = await ctx.receive(downFor(byName))
    return [a, b]
  })
  assert.is(d1.reason, 'normal')
  assert.ok((d1.pid as Pid).node === N1)
  assert.is(d2.reason, 'normal')
  assert.equal(d2.pid, { name: 'watched_one', node: N1 })
})

test('remote monitor of a dead pid or a free name gives DOWN noproc; demonitor stops it', async () => {
  const r = await within(async (ctx) => {
    const w = await t0.call<Pid>(N1, 'test.spawn_waiter', [{}])
    const m = ctx.monitor(w)
    ctx.send(w, 'stop')
    await ctx.receive(downFor(m))
    const dead = await ctx.receive(downFor(ctx.monitor(w)))
    const free = await ctx.receive(downFor(ctx.monitor({ name: 'nobody_here', node: N1 })))
    const w2 = await t0.call<Pid>(N1, 'test.spawn_waiter', [{}])
    const m2 = ctx.monitor(w2)
    ctx.demonitor(m2, { flush: true })
    ctx.send(w2, 'crash')
    await t0.call(N1, 'tekka.ping')
    const late = await ctx.receive(downFor(m2), { timeout: 300 })
    return { dead: dead.reason, free: free.reason, late }
  })
  assert.is(r.dead, 'noproc')
  assert.is(r.free, 'noproc')
  assert.is(r.late, TIMEOUT, 'no DOWN after demonitor')
})

test('exit signals across nodes: kill is untrappable, others are trapped', async () => {
  const r = await within(async (ctx) => {
    const trapping = await t0.call<Pid>(N1, 'test.spawn_waiter', [{ trap: true, report: ctx.self }])
    const m = ctx.monitor(trapping)
    ctx.exit(trapping, 'please_stop')
    const got = await ctx.receive<{ got: ExitMessage }>((x: any) => x?.got?.type === 'EXIT')
    ctx.exit(trapping, 'kill')
    const down = await ctx.receive(downFor(m))
    return { trapped: got.got, down: down.reason }
  })
  assert.is(r.trapped.reason, 'please_stop')
  assert.is(r.trapped.from.node, 't0@127.0.0.1')
  assert.is(r.down, 'killed')
})

test('rpc: results, multicall, and typed failures', async () => {
  assert.is(await t0.call(N1, 'tekka.ping'), 'pong')
  assert.is(await t0.call(N2, 'test.slow', [10]), 10)
  const multi = await t0.multicall([N1, N2, 'n7@127.0.0.1'], 'tekka.ping', [], { timeout: 3000 })
  assert.equal(multi.map((r) => r.ok), [true, true, false])
  assert.is((multi[2] as { error: BadRpcError }).error.code, 'ERR_RPC_NODEDOWN')

  const fail = async (p: Promise<unknown>): Promise<BadRpcError> => {
    try { await p } catch (err) { return err as BadRpcError }
    throw new Error('expected a failure')
  }
  const undef = await fail(t0.call(N1, 'no.such.fn'))
  assert.instance(undef, BadRpcError)
  assert.is(undef.code, 'ERR_RPC_UNDEF')
  const exc = await fail(t0.call(N1, 'test.throw', ['bad things']))
  assert.is(exc.code, 'ERR_RPC_EXCEPTION')
  assert.instance(exc.remote, TypeError)
  assert.is(exc.remote?.name, 'TypeError')
  assert.is(exc.remote?.message, 'bad things')
  const slow = await fail(t0.call(N1, 'test.slow', [2000], { timeout: 200 }))
  assert.is(slow.code, 'ERR_RPC_TIMEOUT')
})

test('errors from another OS process arrive as their class: an actors error and the app\'s own, from RPC and as an exit reason', async () => {
  const noProc = await rejects(t0.call(N1, 'test.no_proc', ['ghost']), BadRpcError)
  assert.instance(noProc.remote, NoProcError)
  assert.is((noProc.remote as NoProcError).code, 'ERR_NOPROC')
  assert.is(noProc.remote?.message, 'no such process: ghost')
  assert.match(noProc.remote?.stack ?? '', /NoProcError: no such process: ghost/)
  const rejected = await rejects(t0.call(N1, 'test.reject_order', [7]), BadRpcError, 'threw OrderRejectedError: order 7 rejected: out of stock')
  assert.instance(rejected.remote, OrderRejectedError)
  const order = rejected.remote as OrderRejectedError
  assert.is(order.code, 'ERR_ORDER_REJECTED')
  assert.is(order.order, 7)
  assert.equal(order.why, { reason: 'out of stock', items: ['apple'] })
  // As the reason of a linked process and of a monitored one.
  const r = await within(async (ctx) => {
    ctx.trapExit(true)
    const linked = await t0.call<Pid>(N1, 'test.spawn_waiter', [{}])
    const watched = await t0.call<Pid>(N1, 'test.spawn_waiter', [{}])
    ctx.link(linked)
    const ref = ctx.monitor(watched)
    ctx.send(linked, { reject: 1 })
    ctx.send(watched, { reject: 2 })
    const exit = await ctx.receive((m): m is ExitMessage => isExitMessage(m) && m.from.equals(linked))
    const down = await ctx.receive(downFor(ref))
    return { exit: exit.reason, down: down.reason }
  })
  assert.instance(r.exit, OrderRejectedError)
  assert.is((r.exit as OrderRejectedError).order, 1)
  assert.instance(r.down, OrderRejectedError)
  assert.is((r.down as OrderRejectedError).code, 'ERR_ORDER_REJECTED')
  assert.is((r.down as OrderRejectedError).order, 2)
})

test('rpc to a node that dies mid-call fails with nodedown', async () => {
  const n3 = 'n3@127.0.0.1'
  const p = await startPeer(n3)
  const pending = t0.call(n3, 'test.slow', [30_000], { timeout: 60_000 }).then(() => 'ok', (e: BadRpcError) => e.code)
  await eventually(() => t0.nodes().includes(n3), { timeout: 10_000 })
  p.kill('SIGKILL')
  assert.is(await withTimeout(pending, 10_000, 'nodedown'), 'ERR_RPC_NODEDOWN')
})

test.run()
