/**
 * The scheduler's accounting, checked with finite workloads (so a regression
 * fails here instead of hanging): every kind of busy loop spends reductions,
 * and past the budget the process resumes in a later batch.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { TIMEOUT, type Pid } from '../src/index.js'
import { runtime } from './support/bounded.js'
import { withTimeout } from '@tekka/testing/wait'

test('receive with timeout 0 (polling an empty mailbox) spends reductions and is deferred past the budget', async () => {
  const rt = runtime({ scheduler: { budget: 10 } })
  const b0 = rt.scheduler.batches
  const got = await withTimeout(rt.run(async (ctx) => {
    let timeouts = 0
    for (let i = 0; i < 200; i++) if (await ctx.receive(undefined, { timeout: 0 }) === TIMEOUT) timeouts++
    return timeouts
  }), 2000, 'polling')
  assert.is(got, 200)
  assert.ok(rt.scheduler.batches - b0 >= 10, `${rt.scheduler.batches - b0} batches for 200 polls at budget 10`)
})

test('a receiver woken by a message past the budget resumes in a later batch (ping-pong yields)', async () => {
  const rt = runtime({ scheduler: { budget: 10 } })
  const b0 = rt.scheduler.batches
  const n = await withTimeout(rt.run(async (ctx) => {
    const pong = ctx.spawn(async (c) => {
      for (;;) { const from = await c.receive<Pid>(); c.send(from, 'pong') }
    })
    let count = 0
    for (let i = 0; i < 200; i++) { ctx.send(pong, ctx.self); await ctx.receive(); count++ }
    ctx.exit(pong, 'kill')
    return count
  }), 2000, 'ping-pong')
  assert.is(n, 200)
  assert.ok(rt.scheduler.batches - b0 >= 10, `${rt.scheduler.batches - b0} batches for 200 round trips at budget 10`)
})

test('sends cost reductions: a yield after many sends waits for the next batch', async () => {
  const rt = runtime({ scheduler: { budget: 100 } })
  const out = await withTimeout(rt.run(async (ctx) => {
    const sink = ctx.spawn(async (c) => { await c.receive((m) => m === 'never', { timeout: 10_000 }) })
    await ctx.sleep(1) // start from a fresh batch count
    const b0 = rt.scheduler.batches
    for (let i = 0; i < 1000; i++) ctx.send(sink, i)
    await ctx.yield()
    const deferred = rt.scheduler.batches - b0
    ctx.exit(sink, 'kill')
    return deferred
  }), 2000, 'sends')
  assert.ok(out >= 1, 'the yield after 1000 sends went through a batch')
})

test('a process that spends its slice lets the others run before its next step', async () => {
  async function interleave (slice: number): Promise<number> {
    const rt = runtime({ scheduler: { budget: 100_000, slice } })
    return await withTimeout(rt.run(async (ctx) => {
      const sink = ctx.spawn(async (c) => { await c.receive((m) => m === 'never', { timeout: 10_000 }) })
      let other = 0
      let stop = false
      const counter = ctx.spawn(async (c) => { while (!stop) { await c.yield(); other++ } })
      // a heavy process: 50 sends a step, 40 steps
      for (let step = 0; step < 40; step++) {
        for (let i = 0; i < 50; i++) ctx.send(sink, i)
        await ctx.yield()
      }
      stop = true
      ctx.exit(sink, 'kill')
      ctx.exit(counter, 'kill')
      return other
    }), 5000, `slice ${slice}`)
  }
  const fair = await interleave(20)
  const unfair = await interleave(Infinity)
  // With a slice, each heavy step is followed by a slice's worth of the
  // counter's steps; without, the two alternate one step each.
  assert.ok(fair >= 40 * 10, `counter steps with a slice of 20: ${fair}`)
  assert.ok(unfair < 40 * 3, `counter steps without slices: ${unfair}`)
})

test('the slice defaults to a quarter of the budget', () => {
  assert.is(runtime({ scheduler: { budget: 4000 } }).scheduler.slice, 1000)
  assert.is(runtime({ scheduler: { budget: 1 } }).scheduler.slice, 1)
  assert.is(runtime({ scheduler: { budget: 100, slice: 7 } }).scheduler.slice, 7)
})

test.run()
