/**
 * Links: bidirectional, made by link / spawnLink, undone by unlink, gone
 * when either end dies; linking to a dead process is a `noproc` exit signal.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { TIMEOUT, isExitMessage, type Pid, downFor } from '../src/index.js'
import { runtime } from './support/bounded.js'
import { withTimeout } from '@tekka/testing/wait'

test('a link works both ways: the linker dies when the linked process crashes, and the reverse', async () => {
  const rt = runtime()
  const reasons = await withTimeout(rt.run(async (ctx) => {
    const out: unknown[] = []
    for (const crash of ['linker', 'linked'] as const) {
      const me = ctx.self
      const linked = ctx.spawn(async (c) => { await c.receive((m) => m === 'crash', { timeout: 10_000 }); c.exit('linked-crashed') })
      const linker = ctx.spawn(async (c) => {
        c.link(linked)
        c.send(me, 'linked')
        await c.receive((m) => m === 'crash', { timeout: 10_000 })
        c.exit('linker-crashed')
      })
      const r1 = ctx.monitor(linked)
      const r2 = ctx.monitor(linker)
      await ctx.receive((m) => m === 'linked', { timeout: 1000 })
      ctx.send(crash === 'linker' ? linker : linked, 'crash')
      const d1 = await ctx.receive(downFor(r1), { timeout: 1000 })
      const d2 = await ctx.receive(downFor(r2), { timeout: 1000 })
      out.push([d1 === TIMEOUT ? d1 : d1.reason, d2 === TIMEOUT ? d2 : d2.reason])
    }
    return out
  }), 3000, 'both directions')
  assert.equal(reasons, [
    ['linker-crashed', 'linker-crashed'],
    ['linked-crashed', 'linked-crashed']
  ])
})

test('spawnLink links parent and child', async () => {
  const rt = runtime()
  const got = await withTimeout(rt.run(async (ctx) => {
    ctx.trapExit(true)
    const child = ctx.spawnLink(async (c) => { await c.receive(undefined, { timeout: 10_000 }); throw new Error('child failed') })
    const info = rt.processInfo(child)!
    assert.ok(info.links.some((p) => p.equals(ctx.self)), 'child links to parent')
    assert.ok(rt.processInfo(ctx.self)!.links.some((p) => p.equals(child)), 'parent links to child')
    ctx.send(child, 'go')
    const m = await ctx.receive(isExitMessage, { timeout: 1000 })
    assert.ok(m !== TIMEOUT)
    assert.ok(m.from.equals(child))
    return m.reason
  }), 2000, 'spawnLink')
  assert.instance(got, Error)
  assert.is((got as Error).message, 'child failed')
})

test('link to a dead pid, trapping: an EXIT noproc message', async () => {
  const rt = runtime()
  const got = await withTimeout(rt.run(async (ctx) => {
    const dead = ctx.spawn(() => {})
    await rt.wait(dead)
    ctx.trapExit(true)
    ctx.link(dead)
    const m = await ctx.receive(isExitMessage, { timeout: 1000 })
    assert.ok(m !== TIMEOUT, 'EXIT arrived')
    assert.ok(m.from.equals(dead))
    assert.equal(rt.processInfo(ctx.self)!.links, [], 'no link was made')
    return m.reason
  }), 2000, 'link to dead, trapping')
  assert.is(got, 'noproc')
})

test('link to a dead pid, not trapping: the caller dies with noproc', async () => {
  const rt = runtime()
  let after = false
  const reason = await withTimeout(rt.run(async (ctx) => {
    const dead = ctx.spawn(() => {})
    await rt.wait(dead)
    const caller = ctx.spawn(async (c) => {
      c.link(dead)
      await c.receive(undefined, { timeout: 10_000 })
      after = true
    })
    const d = await ctx.receive(downFor(ctx.monitor(caller)), { timeout: 1000 })
    return d === TIMEOUT ? d : d.reason
  }), 2000, 'link to dead, not trapping')
  assert.is(reason, 'noproc')
  assert.not.ok(after, 'code after the link did not get past its next receive')
})

test('unlink stops propagation, whichever side unlinks', async () => {
  const rt = runtime()
  const survived = await withTimeout(rt.run(async (ctx) => {
    const out: boolean[] = []
    for (const side of ['linker', 'linked'] as const) {
      const me = ctx.self
      let linker: Pid | undefined
      const linked = ctx.spawn(async (c) => {
        const m = await c.receive(undefined, { timeout: 10_000 })
        if (m === 'unlink') { c.unlink(linker!); c.send(me, 'unlinked') }
        await c.receive((x) => x === 'crash', { timeout: 10_000 })
        c.exit('crash')
      })
      linker = ctx.spawn(async (c) => {
        c.link(linked)
        c.send(me, 'linked')
        const m = await c.receive(undefined, { timeout: 10_000 })
        if (m === 'unlink') { c.unlink(linked); c.send(me, 'unlinked') }
        await c.receive(undefined, { timeout: 10_000 })
      })
      await ctx.receive((m) => m === 'linked', { timeout: 1000 })
      ctx.send(side === 'linker' ? linker : linked, 'unlink')
      await ctx.receive((m) => m === 'unlinked', { timeout: 1000 })
      assert.equal(rt.processInfo(linker)!.links, [])
      assert.equal(rt.processInfo(linked)!.links, [])
      if (side === 'linker') ctx.send(linked, 'x')
      const ref = ctx.monitor(linked)
      ctx.send(linked, 'crash')
      const d = await ctx.receive(downFor(ref), { timeout: 1000 })
      assert.ok(d !== TIMEOUT && d.reason === 'crash')
      out.push(rt.isAlive(linker))
      ctx.exit(linker, 'kill')
    }
    return out
  }), 3000, 'unlink')
  assert.equal(survived, [true, true])
})

test('a link is removed from the survivor when the other end dies', async () => {
  const rt = runtime()
  const links = await withTimeout(rt.run(async (ctx) => {
    ctx.trapExit(true)
    const child = ctx.spawnLink(async () => {})
    await ctx.receive(isExitMessage, { timeout: 1000 })
    assert.not.ok(rt.isAlive(child))
    return rt.processInfo(ctx.self)!.links
  }), 2000, 'link cleanup')
  assert.equal(links, [])
})

test('linking twice makes one link: one EXIT on death', async () => {
  const rt = runtime()
  const n = await withTimeout(rt.run(async (ctx) => {
    ctx.trapExit(true)
    const child = ctx.spawn(async (c) => { await c.receive(undefined, { timeout: 10_000 }); c.exit('bye') })
    ctx.link(child)
    ctx.link(child)
    assert.is(rt.processInfo(ctx.self)!.links.length, 1)
    ctx.send(child, 'go')
    let count = 0
    while (await ctx.receive(isExitMessage, { timeout: 50 }) !== TIMEOUT) count++
    return count
  }), 2000, 'double link')
  assert.is(n, 1)
})

test('a process linked to itself is a no-op', async () => {
  const rt = runtime()
  const links = await withTimeout(rt.run(async (ctx) => {
    ctx.link(ctx.self)
    return rt.processInfo(ctx.self)!.links
  }), 1000, 'self link')
  assert.equal(links, [])
})

test.run()
