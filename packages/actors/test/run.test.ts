import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createRuntime, silentLogger, downFor, exitFrom, ProcessExitedError, type Pid } from '../src/index.js'

const rt = () => createRuntime({ node: 'a@host', logger: silentLogger() })

test('run resolves with the value and rejects with the throw', async () => {
  const r = rt()
  assert.is(await r.run(() => 42), 42)
  try {
    await r.run(() => { throw new RangeError('nope') })
    assert.unreachable()
  } catch (err) {
    assert.instance(err, RangeError)
  }
})

test('run rejects when its process is killed before it settles', async () => {
  const r = rt()
  let self: Pid | undefined
  const p = r.run(async (ctx) => { self = ctx.self; await ctx.receive() })
  await new Promise((resolve) => setImmediate(resolve))
  r.exit(self!, 'kill')
  try {
    await p
    assert.unreachable()
  } catch (err) {
    assert.instance(err, ProcessExitedError)
    assert.match((err as Error).message, /killed/)
  }
})

test('downFor and exitFrom match one monitor / one linked process', async () => {
  const r = rt()
  const got = await r.run(async (ctx) => {
    ctx.trapExit(true)
    const a = ctx.spawnLink(async (c) => { await c.receive() })
    const b = ctx.spawn(async (c) => { await c.receive() })
    const ra = ctx.monitor(a)
    const rb = ctx.monitor(b)
    ctx.exit(b, 'kill')
    ctx.exit(a, 'bye')
    const db = await ctx.receive(downFor(rb))
    const ea = await ctx.receive(exitFrom(a))
    const da = await ctx.receive(downFor(ra))
    return [db.reason, ea.reason, da.reason]
  })
  assert.equal(got, ['killed', 'bye', 'bye'])
})

test.run()
