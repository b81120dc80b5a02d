/**
 * Monitors: one-way, one DOWN per monitor, noproc for a dead or unknown
 * target, by pid or by registered name, and demonitor with and without flush.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { TIMEOUT, isDownMessage, downFor } from '../src/index.js'
import { runtime } from './support/bounded.js'
import { withTimeout } from '@tekka/testing/wait'

test('monitor of a dead pid: DOWN noproc at once', async () => {
  const rt = runtime()
  const got = await withTimeout(rt.run(async (ctx) => {
    const dead = ctx.spawn(() => {})
    await rt.wait(dead)
    const ref = ctx.monitor(dead)
    const m = await ctx.receive(downFor(ref), { timeout: 1000 })
    assert.ok(m !== TIMEOUT)
    assert.ok((m.pid as typeof dead).equals(dead))
    return m.reason
  }), 2000, 'noproc')
  assert.is(got, 'noproc')
})

test('monitor of a name nobody holds: DOWN noproc naming { name, node }', async () => {
  const rt = runtime()
  const m = await withTimeout(rt.run(async (ctx) => {
    const ref = ctx.monitor('nobody')
    return await ctx.receive(downFor(ref), { timeout: 1000 })
  }), 2000, 'noproc by name')
  assert.ok(m !== TIMEOUT)
  assert.is(m.reason, 'noproc')
  assert.equal(m.pid, { name: 'nobody', node: 'a@host' })
})

test('monitor by registered name: DOWN names { name, node } and carries the reason', async () => {
  const rt = runtime()
  const m = await withTimeout(rt.run(async (ctx) => {
    const srv = ctx.spawn(async (c) => { await c.receive(undefined, { timeout: 10_000 }); c.exit('stopped') }, { name: 'srv' })
    const ref = ctx.monitor('srv')
    assert.equal(rt.processInfo(srv)!.monitoredBy.map(String), [String(ctx.self)])
    ctx.send('srv', 'stop')
    return await ctx.receive(downFor(ref), { timeout: 1000 })
  }), 2000, 'monitor by name')
  assert.ok(m !== TIMEOUT)
  assert.equal(m.pid, { name: 'srv', node: 'a@host' })
  assert.is(m.reason, 'stopped')
})

test('monitor by { name, node } on this node works as by name', async () => {
  const rt = runtime()
  const m = await withTimeout(rt.run(async (ctx) => {
    ctx.spawn(async (c) => { await c.receive(undefined, { timeout: 10_000 }) }, { name: 'srv2' })
    const ref = ctx.monitor({ name: 'srv2', node: 'a@host' })
    ctx.send('srv2', 'stop')
    return await ctx.receive(downFor(ref), { timeout: 1000 })
  }), 2000, 'monitor by remote-name form')
  assert.ok(m !== TIMEOUT)
  assert.is(m.reason, 'normal')
})

test('each monitor gets its own DOWN; the monitored process is not affected by the watcher dying', async () => {
  const rt = runtime()
  const out = await withTimeout(rt.run(async (ctx) => {
    const target = ctx.spawn(async (c) => { await c.receive((m) => m === 'stop', { timeout: 10_000 }); c.exit('done') })
    const r1 = ctx.monitor(target)
    const r2 = ctx.monitor(target)
    assert.not.ok(r1.equals(r2))
    // a watcher that dies first: the target lives on (monitors are one-way)
    const w = ctx.spawn(async (c) => { c.monitor(target); c.exit('watcher-gone') })
    await rt.wait(w)
    assert.ok(rt.isAlive(target))
    assert.is(rt.processInfo(target)!.monitoredBy.length, 2, "the dead watcher's monitor is gone")
    ctx.send(target, 'stop')
    const d1 = await ctx.receive(downFor(r1), { timeout: 1000 })
    const d2 = await ctx.receive(downFor(r2), { timeout: 1000 })
    const extra = await ctx.receive(isDownMessage, { timeout: 30 })
    return [d1 === TIMEOUT ? d1 : d1.reason, d2 === TIMEOUT ? d2 : d2.reason, extra]
  }), 2000, 'two monitors')
  assert.equal(out, ['done', 'done', TIMEOUT])
})

test('spawnMonitor: DOWN for the child', async () => {
  const rt = runtime()
  const reason = await withTimeout(rt.run(async (ctx) => {
    const { ref } = ctx.spawnMonitor(async () => { throw new Error('x') })
    const d = await ctx.receive(downFor(ref), { timeout: 1000 })
    return d === TIMEOUT ? d : d.reason
  }), 2000, 'spawnMonitor')
  assert.instance(reason, Error)
})

test('demonitor before the target dies: no DOWN, returns true, the target forgets the watcher', async () => {
  const rt = runtime()
  const out = await withTimeout(rt.run(async (ctx) => {
    const target = ctx.spawn(async (c) => { await c.receive(undefined, { timeout: 10_000 }) })
    const ref = ctx.monitor(target)
    const active = ctx.demonitor(ref)
    assert.equal(rt.processInfo(target)!.monitoredBy, [])
    assert.equal(rt.processInfo(ctx.self)!.monitors, [])
    ctx.exit(target, 'kill')
    const d = await ctx.receive(isDownMessage, { timeout: 50 })
    return [active, d, ctx.demonitor(ref)]
  }), 2000, 'demonitor')
  assert.equal(out, [true, TIMEOUT, false])
})

test('demonitor after DOWN was queued, without flush: DOWN stays in the mailbox', async () => {
  const rt = runtime()
  const out = await withTimeout(rt.run(async (ctx) => {
    const target = ctx.spawn(async (c) => { await c.receive(undefined, { timeout: 10_000 }) })
    const ref = ctx.monitor(target)
    ctx.exit(target, 'kill') // DOWN is in our mailbox now (signals are synchronous)
    assert.is(rt.processInfo(ctx.self)!.mailboxLength, 1)
    const active = ctx.demonitor(ref)
    const d = await ctx.receive(downFor(ref), { timeout: 50 })
    return [active, d === TIMEOUT ? d : d.reason]
  }), 2000, 'demonitor without flush')
  assert.equal(out, [false, 'killed'])
})

test('demonitor with flush removes an already-queued DOWN, and only that one', async () => {
  const rt = runtime()
  const out = await withTimeout(rt.run(async (ctx) => {
    const a = ctx.spawn(async (c) => { await c.receive(undefined, { timeout: 10_000 }) })
    const b = ctx.spawn(async (c) => { await c.receive(undefined, { timeout: 10_000 }) })
    const ra = ctx.monitor(a)
    const rb = ctx.monitor(b)
    ctx.send(ctx.self, 'before')
    ctx.exit(a, 'kill')
    ctx.exit(b, 'kill')
    ctx.send(ctx.self, 'after')
    assert.is(rt.processInfo(ctx.self)!.mailboxLength, 4)
    const active = ctx.demonitor(ra, { flush: true })
    const left: unknown[] = []
    for (;;) {
      const m = await ctx.receive(undefined, { timeout: 0 })
      if (m === TIMEOUT) break
      left.push(isDownMessage(m) ? (m.ref.equals(rb) ? 'down-b' : 'down-other') : m)
    }
    return [active, left]
  }), 2000, 'demonitor flush')
  assert.equal(out, [false, ['before', 'down-b', 'after']])
})

test('demonitor with flush of an active monitor: true, and no DOWN ever', async () => {
  const rt = runtime()
  const out = await withTimeout(rt.run(async (ctx) => {
    const t = ctx.spawn(async (c) => { await c.receive(undefined, { timeout: 10_000 }) })
    const ref = ctx.monitor(t)
    const active = ctx.demonitor(ref, { flush: true })
    ctx.exit(t, 'kill')
    return [active, await ctx.receive(isDownMessage, { timeout: 50 })]
  }), 2000, 'demonitor flush active')
  assert.equal(out, [true, TIMEOUT])
})

test('a monitor is removed from the watcher once DOWN is delivered', async () => {
  const rt = runtime()
  const monitors = await withTimeout(rt.run(async (ctx) => {
    const t = ctx.spawn(() => {})
    const ref = ctx.monitor(t)
    assert.is(rt.processInfo(ctx.self)!.monitors.length, 1)
    await ctx.receive(downFor(ref), { timeout: 1000 })
    return rt.processInfo(ctx.self)!.monitors
  }), 2000, 'monitor cleanup')
  assert.equal(monitors, [])
})

test.run()
