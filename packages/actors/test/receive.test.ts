import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createRuntime, silentLogger, TIMEOUT, SimulatedClock, Pid } from '../src/index.js'

const rt = () => createRuntime({ node: 'a@host', logger: silentLogger() })

test('spawn, send and receive in order', async () => {
  const r = rt()
  const got = await r.run(async (ctx) => {
    const me = ctx.self
    const child = ctx.spawn(async (c) => {
      const xs: unknown[] = []
      for (let i = 0; i < 5; i++) xs.push(await c.receive())
      c.send(me, xs)
    })
    for (let i = 0; i < 5; i++) ctx.send(child, i)
    return await ctx.receive()
  })
  assert.equal(got, [0, 1, 2, 3, 4])
})

test('selective receive leaves unmatched messages in their place', async () => {
  const r = rt()
  const got = await r.run(async (ctx) => {
    ctx.send(ctx.self, 'a'); ctx.send(ctx.self, 1); ctx.send(ctx.self, 'b'); ctx.send(ctx.self, 2)
    const n1 = await ctx.receive((m) => typeof m === 'number')
    const n2 = await ctx.receive((m) => typeof m === 'number')
    const rest = [await ctx.receive(), await ctx.receive()]
    return [n1, n2, ...rest]
  })
  assert.equal(got, [1, 2, 'a', 'b'])
})

test('a pending selective receive skips non-matching arrivals', async () => {
  const r = rt()
  const got = await r.run(async (ctx) => {
    const me = ctx.self
    ctx.spawn(async (c) => { c.send(me, 'x'); await c.sleep(5); c.send(me, 42) })
    const n = await ctx.receive((m) => m === 42)
    return [n, await ctx.receive()]
  })
  assert.equal(got, [42, 'x'])
})

test('receive timeout on a simulated clock', async () => {
  const clock = new SimulatedClock()
  const r = createRuntime({ node: 'a@host', logger: silentLogger(), clock })
  let result: unknown = 'pending'
  const p = r.run(async (ctx) => { result = await ctx.receive(undefined, { timeout: 1000 }); return result })
  await clock.advance(999)
  assert.is(result, 'pending')
  await clock.advance(1)
  assert.is(await p, TIMEOUT)
})

test('timeout 0 only looks at the mailbox', async () => {
  const r = rt()
  const got = await r.run(async (ctx) => {
    const a = await ctx.receive(undefined, { timeout: 0 })
    ctx.send(ctx.self, 'm')
    const b = await ctx.receive(undefined, { timeout: 0 })
    return [a, b]
  })
  assert.equal(got, [TIMEOUT, 'm'])
})

test('pids print, compare by value and parse back', () => {
  const a = new Pid('n@h', 7, 3)
  const b = new Pid('n@h', 7, 3)
  assert.is(a.toString(), '<n@h.7.3>')
  assert.ok(a.equals(b))
  assert.not.ok(a.equals(new Pid('n@h', 7, 4)))
})

test.run()
