/**
 * Messages between one sender and one receiver arrive in the order sent,
 * with many senders interleaved, through selective receive and scheduler
 * deferrals.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { TIMEOUT, type Pid } from '../src/index.js'
import { runtime } from './support/bounded.js'
import { withTimeout } from '@tekka/testing/wait'

interface Seq { from: number, n: number }
const isSeq = (m: unknown): m is Seq => typeof m === 'object' && m !== null && 'from' in m && 'n' in m

/** `senders` processes each send `count` numbered messages (yielding now and then) to one receiver. */
async function manySenders (budget: number | undefined, senders: number, count: number): Promise<{ inOrder: boolean, total: number, interleaved: boolean }> {
  const rt = runtime(budget === undefined ? {} : { scheduler: { budget } })
  return await withTimeout(rt.run(async (ctx) => {
    const me = ctx.self
    const receiver = ctx.spawn(async (c) => {
      const next = new Array<number>(senders).fill(0)
      let inOrder = true
      let switches = 0
      let last = -1
      for (let i = 0; i < senders * count; i++) {
        const m = await c.receive(isSeq, { timeout: 5000 })
        if (m === TIMEOUT) break
        if (m.n !== next[m.from]) inOrder = false
        next[m.from] = m.n + 1
        if (m.from !== last) switches++
        last = m.from
      }
      c.send(me, { inOrder, total: next.reduce((a, b) => a + b, 0), interleaved: switches > senders })
    })
    for (let s = 0; s < senders; s++) {
      ctx.spawn(async (c) => {
        for (let n = 0; n < count; n++) {
          c.send(receiver, { from: s, n })
          if (n % 97 === 0) await c.yield()
          if (n % 1000 === 999) await c.sleep(0)
        }
      })
    }
    const r = await ctx.receive((m) => typeof m === 'object' && m !== null && 'inOrder' in m, { timeout: 10_000 })
    if (r === TIMEOUT) throw new Error('receiver did not finish')
    return r as { inOrder: boolean, total: number, interleaved: boolean }
  }), 15_000, 'many senders')
}

test('8 senders x 20,000 messages: each sender\'s messages arrive in order', async () => {
  const r = await manySenders(undefined, 8, 20_000)
  assert.is(r.total, 160_000)
  assert.ok(r.inOrder)
  assert.ok(r.interleaved, 'senders did interleave')
})

test('the same with a scheduler budget of 3 (every few steps deferred)', async () => {
  const r = await manySenders(3, 4, 5_000)
  assert.is(r.total, 20_000)
  assert.ok(r.inOrder)
  assert.ok(r.interleaved)
})

test('order holds across selective receive: skipped messages keep their place', async () => {
  const rt = runtime()
  const got = await withTimeout(rt.run(async (ctx) => {
    const me = ctx.self
    const r = ctx.spawn(async (c) => {
      // take every odd number first, then the rest
      const odd: number[] = []
      for (let i = 0; i < 500; i++) odd.push(await c.receive((m): m is number => typeof m === 'number' && m % 2 === 1, { timeout: 5000 }) as number)
      const rest: number[] = []
      for (let i = 0; i < 500; i++) rest.push(await c.receive(undefined, { timeout: 5000 }) as number)
      c.send(me, { odd, rest })
    })
    for (let i = 0; i < 1000; i++) ctx.send(r, i)
    return await ctx.receive(undefined, { timeout: 5000 }) as { odd: number[], rest: number[] }
  }), 10_000, 'selective')
  assert.equal(got.odd, Array.from({ length: 500 }, (_, i) => 2 * i + 1))
  assert.equal(got.rest, Array.from({ length: 500 }, (_, i) => 2 * i))
})

test('messages from outside any process (runtime.send) also keep their order', async () => {
  const rt = runtime()
  let target: Pid | undefined
  const result = new Promise<boolean>((resolve) => {
    target = rt.spawn(async (ctx) => {
      let ok = true
      for (let i = 0; i < 50_000; i++) if (await ctx.receive(undefined, { timeout: 5000 }) !== i) ok = false
      resolve(ok)
    })
  })
  for (let i = 0; i < 50_000; i++) rt.send(target!, i)
  assert.ok(await withTimeout(result, 10_000, 'runtime.send order'))
})

test('a message sent to oneself comes after those already queued', async () => {
  const rt = runtime()
  const got = await withTimeout(rt.run(async (ctx) => {
    const me = ctx.self
    ctx.spawn((c) => { c.send(me, 1); c.send(me, 2) })
    await ctx.sleep(1)
    ctx.send(ctx.self, 3)
    return [await ctx.receive(), await ctx.receive(), await ctx.receive()]
  }), 2000, 'self')
  assert.equal(got, [1, 2, 3])
})

test.run()
