/**
 * A killed process is dead to everyone at once and its JavaScript is cut off
 * at its next suspension point: code after the await never runs, its
 * mailbox is dropped, its name freed.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { TIMEOUT, type ProcessContext, downFor } from '../src/index.js'
import { runtime } from './support/bounded.js'
import { sleep, until, withTimeout } from '@tekka/testing/wait'

/** global.gc, with or without --expose-gc on the command line. */
function gc (): () => void {
  const g = (globalThis as { gc?: () => void }).gc
  if (g !== undefined) return g
  setFlagsFromString('--expose-gc')
  return runInNewContext('gc') as () => void
}

test('a process killed while waiting in receive never runs again', async () => {
  const rt = runtime()
  const ran: string[] = []
  const pid = rt.spawn(async (ctx) => {
    ran.push('before')
    await ctx.receive((m) => m === 'wake', { timeout: 10_000 })
    ran.push('after receive')
  })
  await sleep(5)
  assert.is(rt.processInfo(pid)?.status, 'waiting')
  rt.exit(pid, 'kill')
  assert.not.ok(rt.isAlive(pid), 'dead at once')
  rt.send(pid, 'wake') // dropped: sending to a dead pid is not an error
  await sleep(20)
  assert.equal(ran, ['before'])
})

test('a process killed while sleeping never wakes', async () => {
  const rt = runtime()
  let woke = false
  const pid = rt.spawn(async (ctx) => { await ctx.sleep(10); woke = true })
  await sleep(2)
  rt.exit(pid, 'kill')
  await sleep(40)
  assert.not.ok(woke)
})

test('a process killed while runnable (deferred by the scheduler) does not resume', async () => {
  // A budget of 1 reduction: every suspension point defers to a later batch.
  const rt = runtime({ scheduler: { budget: 1 } })
  const steps: number[] = []
  const pid = rt.spawn(async (ctx) => {
    for (let i = 0; i < 1000; i++) { steps.push(i); await ctx.yield() }
  })
  await until(() => steps.length >= 3, 'a few steps')
  rt.exit(pid, 'kill')
  const at = steps.length
  await sleep(20)
  assert.is(steps.length, at, 'no step after the kill')
  assert.ok(at < 1000)
})

test('a process killed while awaiting a foreign promise is cut off at its next runtime call', async () => {
  const rt = runtime()
  const seen: unknown[] = []
  let release: () => void = () => {}
  const gate = new Promise<void>((resolve) => { release = resolve })
  const got = await withTimeout(rt.run(async (ctx) => {
    const me = ctx.self
    const pid = ctx.spawn(async (c) => {
      await gate // not a runtime suspension point: the kill cannot stop this await
      seen.push(['alive', c.alive])
      c.send(me, 'from the dead') // a dead process sends nothing
      await c.receive(undefined, { timeout: 10 })
      seen.push('after receive')
    })
    await ctx.sleep(2)
    ctx.exit(pid, 'kill')
    release()
    return await ctx.receive(undefined, { timeout: 50 })
  }), 2000, 'foreign await')
  assert.is(got, TIMEOUT)
  assert.equal(seen, [['alive', false]])
})

test("a killed process's mailbox is dropped (its messages become garbage)", async () => {
  const collect = gc()
  const rt = runtime()
  // Keep the process object itself reachable: only dropping the mailbox can free the message.
  let held: ProcessContext | undefined
  const pid = rt.spawn(async (ctx) => { held = ctx; await ctx.receive((m) => m === 'never', { timeout: 10_000 }) })
  let weak: WeakRef<object> | undefined
  ;(() => {
    const big = { payload: new Array(1000).fill(7) }
    weak = new WeakRef(big)
    rt.send(pid, big)
  })()
  await sleep(5)
  assert.is(rt.processInfo(pid)?.mailboxLength, 1)
  rt.exit(pid, 'kill')
  let freed = false
  for (let i = 0; i < 20 && !freed; i++) {
    await sleep(5) // WeakRef targets are kept until the current job ends
    collect()
    freed = weak.deref() === undefined
  }
  assert.ok(freed, 'the queued message was collected')
  assert.is(rt.processInfo(pid), undefined)
  assert.is(held?.alive, false)
})

test('a kill is seen by everyone at once: name freed, links and monitors fired before exit() returns', async () => {
  const rt = runtime()
  const out = await withTimeout(rt.run(async (ctx) => {
    ctx.trapExit(true)
    const victim = ctx.spawnLink(async (c) => { await c.receive(undefined, { timeout: 10_000 }) }, { name: 'victim' })
    const ref = ctx.monitor(victim)
    const before = rt.processCount
    rt.exit(victim, 'kill')
    const now = {
      name: rt.whereis('victim'),
      alive: rt.isAlive(victim),
      count: before - rt.processCount,
      queued: rt.processInfo(ctx.self)!.messages.map((m) => (m as { type: string }).type).sort()
    }
    const d = await ctx.receive(downFor(ref), { timeout: 100 })
    return { ...now, down: d === TIMEOUT ? d : d.reason }
  }), 2000, 'kill at once')
  assert.equal(out, { name: undefined, alive: false, count: 1, queued: ['DOWN', 'EXIT'], down: 'killed' })
})

test.run()
