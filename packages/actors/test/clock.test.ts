/**
 * SimulatedClock: time moves only on advance; timers fire in time order
 * (ties in the order set); sleep and receive timeouts of processes run on it.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { SimulatedClock, TIMEOUT, systemClock } from '../src/index.js'
import { runtime } from './support/bounded.js'
import { sleep, withTimeout } from '@tekka/testing/wait'

test('timers fire in time order on advance, ties in the order they were set', async () => {
  const clock = new SimulatedClock(1000)
  const fired: Array<[string, number]> = []
  const at = (label: string, ms: number): void => { clock.setTimeout(() => { fired.push([label, clock.now()]) }, ms) }
  at('c', 30); at('a', 10); at('b1', 20); at('b2', 20); at('zero', 0)
  assert.is(clock.now(), 1000)
  assert.is(clock.pending, 5)
  await clock.advance(15)
  assert.equal(fired, [['zero', 1000], ['a', 1010]])
  assert.is(clock.now(), 1015)
  await clock.advance(15)
  assert.equal(fired, [['zero', 1000], ['a', 1010], ['b1', 1020], ['b2', 1020], ['c', 1030]])
  assert.is(clock.pending, 0)
})

test('nothing fires without advance, however much real time passes', async () => {
  const clock = new SimulatedClock()
  let fired = false
  clock.setTimeout(() => { fired = true }, 1)
  await sleep(20)
  assert.not.ok(fired)
  assert.is(clock.now(), 0)
})

test('clearTimeout cancels; a timer set by a firing timer fires in the same advance if due', async () => {
  const clock = new SimulatedClock()
  const fired: number[] = []
  const t = clock.setTimeout(() => { fired.push(-1) }, 5)
  clock.clearTimeout(t)
  clock.setTimeout(() => {
    fired.push(clock.now())
    clock.setTimeout(() => { fired.push(clock.now()) }, 10)
    clock.setTimeout(() => { fired.push(clock.now()) }, 100)
  }, 10)
  await clock.advance(50)
  assert.equal(fired, [10, 20])
  assert.is(clock.pending, 1)
  await clock.runAll()
  assert.equal(fired, [10, 20, 110])
})

test('sleep in a process waits on the simulated clock', async () => {
  const clock = new SimulatedClock()
  const rt = runtime({ clock })
  const log: number[] = []
  const pid = rt.spawn(async (ctx) => {
    await ctx.sleep(100)
    log.push(ctx.clock.now())
    await ctx.sleep(50)
    log.push(ctx.clock.now())
  })
  await clock.advance(99)
  assert.equal(log, [])
  await clock.advance(1)
  assert.equal(log, [100])
  await clock.advance(49)
  assert.equal(log, [100])
  await clock.advance(1)
  assert.equal(log, [100, 150])
  await withTimeout(rt.wait(pid), 1000, 'exit')
})

test('receive timeouts on the simulated clock, and a message in time cancels the timer', async () => {
  const clock = new SimulatedClock()
  const rt = runtime({ clock })
  const got: unknown[] = []
  const pid = rt.spawn(async (ctx) => {
    got.push(await ctx.receive(undefined, { timeout: 1000 }))
    got.push(await ctx.receive(undefined, { timeout: 1000 }))
    got.push(await ctx.receive((m) => m === 'wanted', { timeout: 200 }))
  })
  await clock.advance(500)
  rt.send(pid, 'in time')
  await clock.advance(0)
  assert.equal(got, ['in time'])
  assert.is(clock.pending, 1, 'the first timer was cleared, the second is set')
  await clock.advance(999)
  assert.equal(got, ['in time'])
  await clock.advance(1)
  assert.equal(got, ['in time', TIMEOUT])
  rt.send(pid, 'not wanted')
  await clock.advance(200)
  assert.equal(got, ['in time', TIMEOUT, TIMEOUT], 'a non-matching message does not end the wait')
  await withTimeout(rt.wait(pid), 1000, 'exit')
})

test('a killed sleeper leaves no timer behind', async () => {
  const clock = new SimulatedClock()
  const rt = runtime({ clock })
  const pid = rt.spawn(async (ctx) => { await ctx.sleep(1000) })
  await clock.advance(0)
  assert.is(clock.pending, 1)
  rt.exit(pid, 'kill')
  assert.is(clock.pending, 0)
})

test('systemClock: monotonic now and real timers', async () => {
  const clock = systemClock()
  const t0 = clock.now()
  const fired = await withTimeout(new Promise<number>((resolve) => { clock.setTimeout(() => { resolve(clock.now()) }, 5) }), 1000, 'real timer')
  assert.ok(fired - t0 >= 4, `${fired - t0} ms`)
  let cancelled = true
  clock.clearTimeout(clock.setTimeout(() => { cancelled = false }, 1))
  await sleep(10)
  assert.ok(cancelled)
})

test.run()
