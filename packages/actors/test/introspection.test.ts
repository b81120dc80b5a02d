/**
 * Introspection: processCount, processes(), isAlive and processInfo (status,
 * mailbox, links, monitors, monitoredBy, trapExit, name).
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { SimulatedClock, isRemoteName, type Pid } from '../src/index.js'
import { runtime } from './support/bounded.js'
import { eventually, sleep, withTimeout } from '@tekka/testing/wait'

const keys = (ps: Pid[]): string[] => ps.map(String).sort()

test('processCount and processes() follow spawns and exits', async () => {
  const rt = runtime()
  assert.is(rt.processCount, 0)
  const pids = Array.from({ length: 5 }, () => rt.spawn(async (ctx) => { await ctx.receive(undefined, { timeout: 10_000 }) }))
  assert.is(rt.processCount, 5)
  assert.equal(keys(rt.processes()), keys(pids))
  rt.send(pids[0], 'go')
  rt.exit(pids[1], 'kill')
  await withTimeout(rt.wait(pids[0]), 1000, 'exit')
  assert.is(rt.processCount, 3)
  assert.not.ok(rt.isAlive(pids[0]))
  assert.not.ok(rt.isAlive(pids[1]))
  assert.ok(rt.isAlive(pids[2]))
  assert.is(rt.processInfo(pids[1]), undefined, 'no info for a dead process')
  for (const p of pids) rt.exit(p, 'kill')
  assert.is(rt.processCount, 0)
})

test("status: 'runnable' before it starts, 'running' while it runs, 'waiting' in receive and sleep", async () => {
  const clock = new SimulatedClock()
  const rt = runtime({ clock })
  const seen: string[] = []
  const pid = rt.spawn(async (ctx) => {
    seen.push(rt.processInfo(ctx.self)!.status)
    await ctx.receive(undefined, { timeout: 1000 })
    seen.push(rt.processInfo(ctx.self)!.status)
    await ctx.sleep(500)
    seen.push(rt.processInfo(ctx.self)!.status)
    await ctx.receive()
  })
  assert.is(rt.processInfo(pid)!.status, 'runnable')
  await sleep(1)
  assert.is(rt.processInfo(pid)!.status, 'waiting', 'in receive')
  rt.send(pid, 'wake')
  await sleep(1)
  assert.is(rt.processInfo(pid)!.status, 'waiting', 'sleeping')
  await clock.advance(500)
  assert.is(rt.processInfo(pid)!.status, 'waiting', 'in the last receive')
  assert.equal(seen, ['running', 'running', 'running'])
  rt.exit(pid, 'kill')
})

test("status: 'runnable' while deferred by the scheduler", async () => {
  const rt = runtime({ scheduler: { budget: 1 } })
  const statuses = new Set<string>()
  let stop = false
  const pid = rt.spawn(async (ctx) => { while (!stop) await ctx.yield() })
  // Sample from a timer: between batches, the yielding process waits its turn.
  await withTimeout((async () => {
    for (let i = 0; i < 50 && !statuses.has('runnable'); i++) {
      statuses.add(rt.processInfo(pid)!.status)
      await sleep(1)
    }
  })(), 2000, 'sampling')
  stop = true
  assert.ok(statuses.has('runnable'), [...statuses].join(','))
  await withTimeout(rt.wait(pid), 1000, 'stop')
})

test('mailboxLength and messages show what waits, oldest first, skipped by a selective receive', async () => {
  const rt = runtime()
  const pid = rt.spawn(async (ctx) => { await ctx.receive((m) => m === 'wanted', { timeout: 10_000 }) })
  await sleep(1)
  for (const m of ['a', 'b', { c: 1 }]) rt.send(pid, m)
  const info = rt.processInfo(pid)!
  assert.is(info.status, 'waiting')
  assert.is(info.mailboxLength, 3)
  assert.equal(info.messages, ['a', 'b', { c: 1 }])
  rt.send(pid, 'wanted')
  await withTimeout(rt.wait(pid), 1000, 'exit')
})

test('links, monitors, monitoredBy, trapExit and name', async () => {
  const rt = runtime()
  const out = await withTimeout(rt.run(async (ctx) => {
    const a = ctx.spawn(async (c) => { await c.receive(undefined, { timeout: 10_000 }) }, { name: 'a', trapExit: true })
    const b = ctx.spawn(async (c) => { await c.receive(undefined, { timeout: 10_000 }) })
    ctx.link(a)
    ctx.link(b)
    const r1 = ctx.monitor(a)
    const r2 = ctx.monitor('a')
    const r3 = ctx.monitor(b)
    const me = rt.processInfo(ctx.self)!
    const ia = rt.processInfo(a)!
    const ib = rt.processInfo(b)!
    const res = {
      myLinks: keys(me.links),
      myMonitors: me.monitors.map((m) => [m.ref.toString(), isRemoteName(m.target) ? { ...m.target } : m.target.toString()]),
      aLinks: keys(ia.links),
      aMonitoredBy: keys(ia.monitoredBy),
      bMonitoredBy: keys(ib.monitoredBy),
      aTrap: ia.trapExit,
      bTrap: ib.trapExit,
      aName: ia.name,
      bName: ib.name,
      expectMonitors: [[r1.toString(), a.toString()], [r2.toString(), { name: 'a', node: 'a@host' }], [r3.toString(), b.toString()]],
      a,
      b
    }
    ctx.trapExit(true)
    const trapNow = rt.processInfo(ctx.self)!.trapExit
    ctx.exit(a, 'kill'); ctx.exit(b, 'kill')
    return { ...res, trapNow }
  }), 2000, 'info')
  assert.equal(out.myLinks, keys([out.a, out.b]))
  assert.equal(out.myMonitors, out.expectMonitors)
  assert.is(out.aLinks.length, 1)
  assert.is(out.aMonitoredBy.length, 2, 'by pid and by name')
  assert.is(out.bMonitoredBy.length, 1)
  assert.is(out.aTrap, true)
  assert.is(out.bTrap, false)
  assert.is(out.aName, 'a')
  assert.is(out.bName, undefined)
  assert.is(out.trapNow, true)
})

test('processInfo is a snapshot: mutating it does not touch the process', async () => {
  const rt = runtime()
  const pid = rt.spawn(async (ctx) => { await ctx.receive((m) => m === 'x', { timeout: 10_000 }) })
  await sleep(1)
  rt.send(pid, 'kept')
  const info = rt.processInfo(pid)!
  info.messages.length = 0
  info.links.push(pid)
  assert.is(rt.processInfo(pid)!.mailboxLength, 1)
  assert.equal(rt.processInfo(pid)!.links, [])
  rt.exit(pid, 'kill')
})

test('processCount returns to zero after every process has ended', async () => {
  const rt = runtime()
  for (let i = 0; i < 100; i++) rt.spawn(async (c) => { await c.sleep(i % 5) })
  assert.is(rt.processCount, 100)
  await eventually(() => rt.processCount === 0, { timeout: 1000, interval: 2, message: 'all exited' })
})

test.run()
