import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { SimulatedClock, memoryLogger, startSupervisor, stopServer, whichChildren, isDownMessage } from '../src/index.js'
import type { Pid, ProcessContext } from '../src/index.js'
import { until } from '@tekka/testing/wait'
import { runtime, child, stubborn, pidOf, pidsOf, watch } from './supervisor-fixtures.js'

/** Resolves to true when `p` has settled, without waiting for it. */
function tracker (p: Promise<unknown>): () => boolean {
  let done = false
  p.then(() => { done = true }, () => { done = true })
  return () => done
}

test('stopping a supervisor shuts its children down in reverse start order, with reason shutdown', async () => {
  const r = runtime()
  const events: string[] = []
  const sup = await startSupervisor(r, { children: ['a', 'b', 'c'].map((id) => child(events, id, { trap: true })) })
  const pids = Object.values(await pidsOf(r, sup)) as Pid[]
  events.length = 0
  await stopServer(r, sup, 'shutdown')
  assert.equal(events, ['stop c shutdown', 'stop b shutdown', 'stop a shutdown'])
  for (const p of pids) assert.not.ok(r.isAlive(p))
})

test('a child that traps exits and ignores shutdown is killed after its shutdown time (simulated clock)', async () => {
  const clock = new SimulatedClock()
  const log = memoryLogger()
  const r = runtime({ clock, logger: log })
  const sup = await startSupervisor(r, { children: [stubborn('s', { shutdown: 1000 })] })
  const s = await pidOf(r, sup, 's') as Pid
  const { exited } = await watch(r, s)
  const done = tracker(stopServer(r, sup, 'shutdown'))
  await clock.advance(999)
  assert.ok(r.isAlive(s))
  assert.not.ok(done())
  await clock.advance(1)
  assert.is(await exited, 'killed')
  await until(done, 'stopServer')
  assert.not.ok(r.isAlive(sup))
  // A worker that had to be killed is reported.
  const rec = log.records.find((x) => x.msg === 'child shut down with an error')
  assert.is(rec?.fields?.id, 's')
  assert.is(rec?.fields?.reason, 'killed')
})

test('the default worker shutdown is 5000 ms', async () => {
  const clock = new SimulatedClock()
  const r = runtime({ clock })
  const sup = await startSupervisor(r, { children: [stubborn('s')] })
  const s = await pidOf(r, sup, 's') as Pid
  const done = tracker(stopServer(r, sup))
  await clock.advance(4999)
  assert.ok(r.isAlive(s))
  await clock.advance(1)
  await until(done, 'stopServer')
  assert.not.ok(r.isAlive(s))
})

test('children are shut down one after the other: a slow terminate delays the next, and is cut off at its timeout', async () => {
  const clock = new SimulatedClock()
  const r = runtime({ clock })
  const events: string[] = []
  const sup = await startSupervisor(r, {
    children: [
      child(events, 'a', { trap: true }),
      child(events, 'slow', { trap: true, slowTerminate: 10_000, shutdown: 2000 }),
      child(events, 'c', { trap: true, slowTerminate: 500 })
    ]
  })
  const slow = await pidOf(r, sup, 'slow') as Pid
  const { exited } = await watch(r, slow)
  events.length = 0
  const done = tracker(stopServer(r, sup))
  await clock.advance(499)
  assert.equal(events, [])
  await clock.advance(1)
  assert.equal(events, ['stop c shutdown'])
  await clock.advance(1999)
  assert.ok(r.isAlive(slow))
  assert.equal(events, ['stop c shutdown'])
  await clock.advance(1)
  assert.is(await exited, 'killed')
  await until(done, 'stopServer')
  // slow never got to record its stop; a was shut down right after the kill.
  assert.equal(events, ['stop c shutdown', 'stop a shutdown'])
})

test('shutdown infinity waits as long as the child takes', async () => {
  const clock = new SimulatedClock()
  const r = runtime({ clock })
  const sup = await startSupervisor(r, {
    children: [{
      id: 'patient',
      shutdown: 'infinity',
      start: (ctx: ProcessContext) => ctx.spawnLink(async (c) => {
        c.trapExit(true)
        await c.receive((m) => m === 'finish')
        c.exit('shutdown')
      })
    }]
  })
  const p = await pidOf(r, sup, 'patient') as Pid
  const done = tracker(stopServer(r, sup, 'shutdown'))
  await clock.advance(3_600_000)
  assert.ok(r.isAlive(p))
  assert.not.ok(done())
  r.send(p, 'finish')
  await until(done, 'stopServer')
  assert.not.ok(r.isAlive(p))
})

test('brutal_kill kills at once: no shutdown signal, no terminate, no timer', async () => {
  const clock = new SimulatedClock()
  const log = memoryLogger()
  const r = runtime({ clock, logger: log })
  const events: string[] = []
  const sup = await startSupervisor(r, { children: [child(events, 'a', { trap: true }), child(events, 'k', { trap: true, shutdown: 'brutal_kill' })] })
  const k = await pidOf(r, sup, 'k') as Pid
  const { exited } = await watch(r, k)
  events.length = 0
  await stopServer(r, sup)
  assert.is(await exited, 'killed')
  assert.equal(events, ['stop a shutdown'])
  assert.is(clock.pending, 0)
  assert.not.ok(log.records.some((x) => x.msg === 'child shut down with an error'))
})

test('an EXIT from the parent makes the supervisor shut its children down first, then exit with that reason', async () => {
  const r = runtime()
  const events: string[] = []
  let sup: Pid | undefined
  const parent = r.spawn(async (ctx) => {
    sup = await startSupervisor(ctx, { children: ['a', 'b'].map((id) => child(events, id, { trap: true })) }, { link: true })
    await ctx.receive((m) => m === 'crash')
    throw new Error('parent crashed')
  })
  await until(() => sup !== undefined, 'the supervisor started')
  // Record the supervisor's DOWN in the same list as the children's stops.
  r.spawn(async (ctx) => {
    const ref = ctx.monitor(sup!)
    const down = await ctx.receive((m) => isDownMessage(m) && m.ref.equals(ref))
    events.push(`sup down ${((down as { reason: Error }).reason).message}`)
  })
  await until(() => r.processInfo(sup!)!.monitoredBy.length === 1, 'the monitor in place')
  events.length = 0
  r.send(parent, 'crash')
  await until(() => events.length === 3, 'the supervisor down')
  // Children always get `shutdown`; the supervisor exits with its parent's reason.
  assert.equal(events, ['stop b shutdown', 'stop a shutdown', 'sup down parent crashed'])
})

test('exit(sup, shutdown) from the parent shuts the tree down; nested supervisors stop their own children in order', async () => {
  const r = runtime()
  const events: string[] = []
  const outcome = await r.run(async (ctx) => {
    ctx.trapExit(true)
    const top = await startSupervisor(ctx, {
      children: [
        child(events, 'a', { trap: true }),
        {
          id: 'sub',
          type: 'supervisor',
          start: (c: ProcessContext) => startSupervisor(c, { children: [child(events, 'x', { trap: true }), child(events, 'y', { trap: true })] }, { link: true })
        },
        child(events, 'b', { trap: true })
      ]
    }, { link: true })
    const kids = await whichChildren(ctx, top)
    events.length = 0
    const ref = ctx.monitor(top)
    ctx.exit(top, 'shutdown')
    const down = await ctx.receive((m) => isDownMessage(m) && m.ref.equals(ref))
    return { reason: (down as { reason: unknown }).reason, kids }
  })
  assert.is(outcome.reason, 'shutdown')
  assert.equal(events, ['stop b shutdown', 'stop y shutdown', 'stop x shutdown', 'stop a shutdown'])
  for (const k of outcome.kids) assert.not.ok(r.isAlive(k.pid as Pid))
  await until(() => r.processCount === 0, 'every process gone')
})

test('killing a supervisor takes its children with it', async () => {
  const r = runtime()
  const events: string[] = []
  const sup = await startSupervisor(r, { children: [child(events, 'a', { trap: true }), child(events, 'b')] })
  const pids = Object.values(await pidsOf(r, sup)) as Pid[]
  const { exited } = await watch(r, sup)
  r.exit(sup, 'kill')
  assert.is(await exited, 'killed')
  await until(() => events.includes('stop a killed'), 'a terminated')
  for (const p of pids) assert.not.ok(r.isAlive(p))
  // The trapping worker saw its parent go and ran terminate.
  assert.ok(events.includes('stop a killed'))
})

test.run()
