// A plugin's errors cross a real link (two whole tekka nodes, TCP on
// loopback) as their own class: only this package loads every plugin, so
// only here can a node rebuild a LockTimeoutError (@tekka/lock) or an
// EtcdUnreachableError (@tekka/discovery) that another node threw, from an
// RPC and as the exit reason of a monitored or linked process.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  TekkaError, isDownMessage, isExitMessage, silentLogger,
  type DownMessage, type ExitMessage, type Pid, type ProcessContext
} from '@tekka/actors'
import { BadRpcError } from '@tekka/dist'
import { acquire, withLock, LockTimeoutError } from '@tekka/lock'
import { EtcdUnreachableError } from '@tekka/discovery'
import { freePortRange } from '@tekka/testing/ports'
import { rejects, withTimeout } from '@tekka/testing/wait'
import { startTekka, type TekkaNode } from '../src/index.js'

let a: TekkaNode
let b: TekkaNode
/** What b threw, to compare with what a received. */
const thrown: Error[] = []

test.before(async () => {
  const base = await freePortRange(3)
  const start = async (name: string): Promise<TekkaNode> => await startTekka({
    config: { overrides: { 'node.name': name, 'node.dist_base_port': base, 'cluster.discovery': 'manual' } },
    cookie: 'plugin-errors',
    logger: silentLogger()
  })
  a = await start('a1@127.0.0.1')
  b = await start('b2@127.0.0.1')
  // Takes a local lock on `resource` in a process of b's that keeps it, then
  // tries to take it again from the caller's process for 100 ms: a genuine
  // LockTimeoutError from the lock plugin.
  b.node.register('test.lock_timeout', async function (this: ProcessContext, resource: string) {
    const me = this.self
    b.node.spawn(async (ctx) => {
      const r = await acquire(ctx, resource, 'local')
      ctx.send(me, { held: r.ok })
      await ctx.receive()
    })
    const held = await this.receive<{ held: boolean }>()
    assert.ok(held.held, 'the holder has the lock')
    try {
      return await withLock(this, resource, () => 'unexpectedly free', { timeout: 100 })
    } catch (err) {
      thrown.push(err as Error)
      throw err
    }
  })
  b.node.register('test.etcd_unreachable', () => {
    const err = new EtcdUnreachableError('range', [{ server: 'http://127.0.0.1:1', reason: 'ECONNREFUSED' }])
    thrown.push(err)
    throw err
  })
})

test.after(async () => {
  await a?.stop()
  await b?.stop()
})

function sameError (got: unknown, sent: Error | undefined, label: string): void {
  assert.instance(got, TekkaError, label)
  assert.ok(sent !== undefined && got !== sent, `${label}: a copy that crossed the wire`)
  const e = got as TekkaError
  assert.is(e.name, sent.name, label)
  assert.is(e.message, sent.message, label)
  assert.is(e.code, (sent as TekkaError).code, label)
  assert.is(e.stack, sent.stack, `${label}: the stack of the node that threw it`)
}

test('a LockTimeoutError thrown by an RPC function on the other node arrives as LockTimeoutError, with its fields', async () => {
  const err = await rejects(a.node.call(b.node.name, 'test.lock_timeout', ['orders']), BadRpcError, 'threw LockTimeoutError')
  assert.is(err.code, 'ERR_RPC_EXCEPTION')
  assert.ok(a.node.nodes().includes(b.node.name), 'the call went over the link')
  assert.instance(err.remote, LockTimeoutError)
  const lock = err.remote as LockTimeoutError
  assert.is(lock.code, 'ERR_LOCK_TIMEOUT')
  assert.is(lock.resource, 'orders')
  assert.equal(lock.last?.ok, false)
  sameError(lock, thrown.at(-1), 'LockTimeoutError')
})

test('an etcd error class of @tekka/discovery arrives as itself, with its fields', async () => {
  const err = await rejects(a.node.call(b.node.name, 'test.etcd_unreachable'), BadRpcError, 'threw EtcdUnreachableError')
  assert.instance(err.remote, EtcdUnreachableError)
  const etcd = err.remote as EtcdUnreachableError
  assert.is(etcd.code, 'ERR_ETCD_UNREACHABLE')
  assert.is(etcd.call, 'range')
  assert.equal(etcd.failures, [{ server: 'http://127.0.0.1:1', reason: 'ECONNREFUSED' }])
  sameError(etcd, thrown.at(-1), 'EtcdUnreachableError')
})

test('a process on the other node that dies of a LockTimeoutError: DOWN and EXIT carry it as its class', async () => {
  const before = thrown.length
  /** A process of b's that waits for a message, then fails to take `resource` (held by b's RPC holder above). */
  const loser = (resource: string): Pid => b.node.spawn(async (ctx) => {
    await ctx.receive()
    const me = ctx.self
    b.node.spawn(async (holder) => { await acquire(holder, resource, 'local'); holder.send(me, 'held'); await holder.receive() })
    await ctx.receive()
    try {
      await withLock(ctx, resource, () => 'unexpectedly free', { timeout: 100 })
    } catch (err) {
      thrown.push(err as Error)
      throw err
    }
  })
  const watched = loser('jobs')
  const linked = loser('invoices')
  const r = await withTimeout(a.node.run(async (ctx) => {
    ctx.trapExit(true)
    const ref = ctx.monitor(watched)
    ctx.link(linked)
    ctx.send(watched, 'go')
    ctx.send(linked, 'go')
    const down = await ctx.receive((m): m is DownMessage => isDownMessage(m) && m.ref.equals(ref))
    const exit = await ctx.receive((m): m is ExitMessage => isExitMessage(m) && m.from.equals(linked))
    return { down: down.reason, exit: exit.reason }
  }), 10_000, 'DOWN and EXIT from b')
  assert.instance(r.down, LockTimeoutError)
  assert.is((r.down as LockTimeoutError).resource, 'jobs')
  assert.instance(r.exit, LockTimeoutError)
  assert.is((r.exit as LockTimeoutError).resource, 'invoices')
  const sent = thrown.slice(before)
  sameError(r.down, sent.find((e) => (e as LockTimeoutError).resource === 'jobs'), 'DOWN reason')
  sameError(r.exit, sent.find((e) => (e as LockTimeoutError).resource === 'invoices'), 'EXIT reason')
})

test.run()
