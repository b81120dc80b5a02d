/**
 * Erlang's exit-signal table: how a process's death (or an explicit exit
 * signal) reaches another process, by reason, by whether the receiver traps
 * exits, and by path (link, monitor, exit/2).
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { TIMEOUT, isDownMessage, isExitMessage, type Pid, type ProcessContext, type Runtime, downFor } from '../src/index.js'
import { runtime } from './support/bounded.js'
import { withTimeout } from '@tekka/testing/wait'

/** How the victim process ends (or does not). */
interface Death {
  label: string
  /** Ends the victim `v`; `ctx` is a third process (neither victim nor receiver). */
  apply: (ctx: ProcessContext, v: Pid, rt: Runtime) => void
  /** The victim traps exits (to show which signals ignore that). */
  victimTraps?: boolean
}

const boomError = new Error('bad thing')

const deaths: Record<string, Death> = {
  normal: { label: 'returns (normal)', apply: (ctx, v) => { ctx.send(v, 'return') } },
  boom: { label: "exit('boom')", apply: (ctx, v) => { ctx.send(v, 'boom') } },
  error: { label: 'throws an Error', apply: (ctx, v) => { ctx.send(v, 'throw') } },
  kill: { label: "exit(pid, 'kill'), victim trapping", apply: (ctx, v) => { ctx.exit(v, 'kill') }, victimTraps: true },
  killRoot: { label: "runtime.exit(pid, 'kill')", apply: (_ctx, v, rt) => { rt.exit(v, 'kill') } },
  selfKill: { label: "exit('kill') by itself", apply: (ctx, v) => { ctx.send(v, 'exit-kill') } },
  exitNormal: { label: "exit(pid, 'normal'), victim not trapping", apply: (ctx, v) => { ctx.exit(v, 'normal') } }
}

/** The victim: waits for a command and ends as told. */
async function victim (ctx: ProcessContext): Promise<void> {
  const cmd = await ctx.receive((m) => typeof m === 'string', { timeout: 10_000 })
  if (cmd === 'return') return
  if (cmd === 'boom') ctx.exit('boom')
  if (cmd === 'throw') throw boomError
  if (cmd === 'exit-kill') ctx.exit('kill')
  // TIMEOUT or anything else: stay in receive (a bounded wait, the test is over by then)
  await ctx.receive(undefined, { timeout: 10_000 })
}

interface Outcome {
  /** The victim's exit reason as its monitor saw it; TIMEOUT if it did not die. */
  victimReason: unknown
  receiverAlive: boolean
  /** The receiver's exit reason if it died. */
  receiverReason: unknown
  /** Messages the receiver got (forwarded to the test). */
  got: unknown[]
}

/**
 * Runs one cell of the table: a receiver (trapping or not) watches a victim
 * through `path`, the victim meets `death`, and we record what happened.
 */
async function cell (path: 'link' | 'monitor', death: Death, trap: boolean): Promise<Outcome> {
  const rt = runtime()
  return await withTimeout(rt.run(async (ctx) => {
    const me = ctx.self
    const v = ctx.spawn(victim, { trapExit: death.victimTraps === true })
    const vRef = ctx.monitor(v)
    const r = ctx.spawn(async (c) => {
      if (path === 'link') c.link(v)
      else c.monitor(v)
      c.send(me, 'ready')
      for (;;) {
        const m = await c.receive(undefined, { timeout: 10_000 })
        c.send(me, { got: m })
      }
    }, { trapExit: trap })
    const rRef = ctx.monitor(r)
    assert.is(await ctx.receive((m) => m === 'ready', { timeout: 1000 }), 'ready')
    death.apply(ctx, v, rt)
    // Signals travel synchronously, so once the victim's DOWN is here the
    // receiver has already been hit; its forwarded message follows on a microtask.
    const vDown = await ctx.receive(downFor(vRef), { timeout: 200 })
    const got: unknown[] = []
    let receiverReason: unknown
    let receiverAlive = true
    for (;;) {
      const m = await ctx.receive((x) => (typeof x === 'object' && x !== null && 'got' in x) || (isDownMessage(x) && x.ref.equals(rRef)), { timeout: 50 })
      if (m === TIMEOUT) break
      if (isDownMessage(m)) {
        receiverAlive = false
        receiverReason = m.reason
      } else {
        got.push((m as { got: unknown }).got)
      }
    }
    assert.is(rt.isAlive(r), receiverAlive)
    if (receiverAlive) ctx.exit(r, 'kill')
    if (vDown === TIMEOUT) ctx.exit(v, 'kill')
    return { victimReason: vDown === TIMEOUT ? TIMEOUT : vDown.reason, receiverAlive, receiverReason, got }
  }), 3000, `${path} / ${death.label} / trap=${trap}`)
}

/** One EXIT message from `from` with `reason` and nothing else. */
function assertOneExit (o: Outcome, reason: unknown): void {
  assert.ok(o.receiverAlive, 'a trapping receiver survives')
  assert.is(o.got.length, 1, `exactly one message, got ${JSON.stringify(o.got)}`)
  const m = o.got[0]
  assert.ok(isExitMessage(m), 'an EXIT message')
  assert.is(m.reason, reason)
}

function assertOneDown (o: Outcome, reason: unknown): void {
  assert.ok(o.receiverAlive, 'a monitor never kills the watcher')
  assert.is(o.got.length, 1, `exactly one message, got ${JSON.stringify(o.got)}`)
  const m = o.got[0]
  assert.ok(isDownMessage(m), 'a DOWN message')
  assert.is(m.reason, reason)
}

// ---- links, receiver not trapping --------------------------------------------

test('link, not trapping: a normal exit is ignored', async () => {
  const o = await cell('link', deaths.normal, false)
  assert.is(o.victimReason, 'normal')
  assert.ok(o.receiverAlive)
  assert.equal(o.got, [])
})

test('link, not trapping: an abnormal exit (boom) kills the receiver with the same reason', async () => {
  const o = await cell('link', deaths.boom, false)
  assert.is(o.victimReason, 'boom')
  assert.not.ok(o.receiverAlive)
  assert.is(o.receiverReason, 'boom')
  assert.equal(o.got, [])
})

test('link, not trapping: a thrown Error kills the receiver with that Error', async () => {
  const o = await cell('link', deaths.error, false)
  assert.is(o.victimReason, boomError)
  assert.not.ok(o.receiverAlive)
  assert.is(o.receiverReason, boomError)
})

test("link, not trapping: exit(pid, 'kill') kills the victim (even trapping) and the receiver as 'killed'", async () => {
  const o = await cell('link', deaths.kill, false)
  assert.is(o.victimReason, 'killed')
  assert.not.ok(o.receiverAlive)
  assert.is(o.receiverReason, 'killed')
})

test("link, not trapping: runtime.exit(pid, 'kill') from outside any process", async () => {
  const o = await cell('link', deaths.killRoot, false)
  assert.is(o.victimReason, 'killed')
  assert.is(o.receiverReason, 'killed')
})

test("link, not trapping: a process that exits with 'kill' itself propagates 'killed'", async () => {
  const o = await cell('link', deaths.selfKill, false)
  assert.is(o.victimReason, 'killed')
  assert.not.ok(o.receiverAlive)
  assert.is(o.receiverReason, 'killed')
})

test("link, not trapping: exit(pid, 'normal') does not kill the victim, so nothing propagates", async () => {
  const o = await cell('link', deaths.exitNormal, false)
  assert.is(o.victimReason, TIMEOUT)
  assert.ok(o.receiverAlive)
  assert.equal(o.got, [])
})

// ---- links, receiver trapping ------------------------------------------------

test('link, trapping: a normal exit arrives as EXIT normal', async () => {
  const o = await cell('link', deaths.normal, true)
  assertOneExit(o, 'normal')
})

test('link, trapping: boom arrives as EXIT boom, from the victim', async () => {
  const o = await cell('link', deaths.boom, true)
  assertOneExit(o, 'boom')
})

test('link, trapping: a thrown Error arrives as EXIT with that Error', async () => {
  const o = await cell('link', deaths.error, true)
  assertOneExit(o, boomError)
})

test("link, trapping: a killed victim's link signal is 'killed' and can be trapped", async () => {
  const o = await cell('link', deaths.kill, true)
  assert.is(o.victimReason, 'killed')
  assertOneExit(o, 'killed')
})

test("link, trapping: a victim exiting with 'kill' itself propagates a trappable 'killed'", async () => {
  const o = await cell('link', deaths.selfKill, true)
  assertOneExit(o, 'killed')
})

test("link, trapping: exit(pid, 'normal') to a non-trapping victim sends nothing on", async () => {
  const o = await cell('link', deaths.exitNormal, true)
  assert.is(o.victimReason, TIMEOUT)
  assert.equal(o.got, [])
})

// ---- monitors: the same DOWN whatever the receiver traps ----------------------

for (const trap of [false, true]) {
  test(`monitor (trapping=${trap}): DOWN normal`, async () => {
    assertOneDown(await cell('monitor', deaths.normal, trap), 'normal')
  })
  test(`monitor (trapping=${trap}): DOWN boom`, async () => {
    assertOneDown(await cell('monitor', deaths.boom, trap), 'boom')
  })
  test(`monitor (trapping=${trap}): DOWN with the thrown Error`, async () => {
    assertOneDown(await cell('monitor', deaths.error, trap), boomError)
  })
  test(`monitor (trapping=${trap}): DOWN killed after exit(pid, 'kill')`, async () => {
    assertOneDown(await cell('monitor', deaths.kill, trap), 'killed')
  })
  test(`monitor (trapping=${trap}): DOWN killed after exit('kill') by itself`, async () => {
    assertOneDown(await cell('monitor', deaths.selfKill, trap), 'killed')
  })
  test(`monitor (trapping=${trap}): no DOWN after exit(pid, 'normal') to a non-trapping process`, async () => {
    const o = await cell('monitor', deaths.exitNormal, trap)
    assert.is(o.victimReason, TIMEOUT)
    assert.equal(o.got, [])
  })
}

// ---- explicit exit signals: exit(pid, reason) ---------------------------------

interface Direct { alive: boolean, reason: unknown, got: unknown[], sender: Pid }

/** A process `s` sends exit(r, reason) to a receiver `r` that traps or not. */
async function direct (reason: unknown, trap: boolean, self = false): Promise<Direct> {
  const rt = runtime()
  return await withTimeout(rt.run(async (ctx) => {
    const me = ctx.self
    const r = ctx.spawn(async (c) => {
      c.send(me, 'ready')
      for (;;) {
        const m = await c.receive(undefined, { timeout: 10_000 })
        if (m === 'exit-self') c.exit(c.self, reason)
        else c.send(me, { got: m })
      }
    }, { trapExit: trap })
    const ref = ctx.monitor(r)
    await ctx.receive((m) => m === 'ready', { timeout: 1000 })
    const s = ctx.spawn(async (c) => {
      if (self) c.send(r, 'exit-self')
      else c.exit(r, reason)
      c.send(me, 'sent')
    })
    await ctx.receive((m) => m === 'sent', { timeout: 1000 })
    const got: unknown[] = []
    let alive = true
    let why: unknown
    for (;;) {
      const m = await ctx.receive(undefined, { timeout: 50 })
      if (m === TIMEOUT) break
      if (isDownMessage(m) && m.ref.equals(ref)) { alive = false; why = m.reason } else got.push((m as { got: unknown }).got)
    }
    assert.is(rt.isAlive(r), alive)
    if (alive) ctx.exit(r, 'kill')
    return { alive, reason: why, got, sender: s }
  }), 3000, `exit(pid, ${String(reason)}) trap=${trap}`)
}

test("exit(pid, 'normal'), not trapping: ignored", async () => {
  const o = await direct('normal', false)
  assert.ok(o.alive)
  assert.equal(o.got, [])
})

test("exit(pid, 'normal'), trapping: EXIT normal from the sender", async () => {
  const o = await direct('normal', true)
  assert.ok(o.alive)
  assert.is(o.got.length, 1)
  const m = o.got[0]
  assert.ok(isExitMessage(m))
  assert.is(m.reason, 'normal')
  assert.ok(m.from.equals(o.sender), 'from is the sending process')
})

test("exit(self, 'normal'), not trapping: the process exits normal", async () => {
  const o = await direct('normal', false, true)
  assert.not.ok(o.alive)
  assert.is(o.reason, 'normal')
})

test("exit(pid, 'boom'), not trapping: dies with boom", async () => {
  const o = await direct('boom', false)
  assert.not.ok(o.alive)
  assert.is(o.reason, 'boom')
})

test("exit(pid, 'boom'), trapping: EXIT boom from the sender", async () => {
  const o = await direct('boom', true)
  assert.ok(o.alive)
  const m = o.got[0]
  assert.is(o.got.length, 1)
  assert.ok(isExitMessage(m))
  assert.is(m.reason, 'boom')
  assert.ok(m.from.equals(o.sender))
})

test('exit(pid, Error), not trapping: dies with that Error', async () => {
  const err = new Error('sent as a reason')
  const o = await direct(err, false)
  assert.not.ok(o.alive)
  assert.is(o.reason, err)
})

test('exit(pid, Error), trapping: EXIT with that Error', async () => {
  const err = new Error('sent as a reason')
  const o = await direct(err, true)
  assert.ok(o.alive)
  assert.ok(isExitMessage(o.got[0]))
  assert.is((o.got[0] as { reason: unknown }).reason, err)
})

test("exit(pid, 'kill'), not trapping: dies as killed", async () => {
  const o = await direct('kill', false)
  assert.not.ok(o.alive)
  assert.is(o.reason, 'killed')
  assert.equal(o.got, [])
})

test("exit(pid, 'kill'), trapping: cannot be trapped, dies as killed", async () => {
  const o = await direct('kill', true)
  assert.not.ok(o.alive)
  assert.is(o.reason, 'killed')
  assert.equal(o.got, [], 'no EXIT message reached the trapping process')
})

test('runtime.exit from outside any process: EXIT comes from the root pid', async () => {
  const rt = runtime()
  const got = await withTimeout(rt.run(async (ctx) => {
    ctx.trapExit(true)
    rt.exit(ctx.self, 'stop')
    return await ctx.receive(isExitMessage, { timeout: 1000 })
  }), 2000, 'EXIT from root')
  assert.ok(isExitMessage(got))
  assert.ok(got.from.equals(rt.rootPid))
  assert.is(got.reason, 'stop')
})

test('trapExit returns the previous setting and can be turned off again', async () => {
  const rt = runtime()
  const reason = await withTimeout(rt.run(async (ctx) => {
    const me = ctx.self
    const r = ctx.spawn(async (c) => {
      const was = c.trapExit(true)
      const now = c.trapExit(false)
      c.send(me, [was, now])
      await c.receive(undefined, { timeout: 10_000 })
    })
    const ref = ctx.monitor(r)
    assert.equal(await ctx.receive(Array.isArray, { timeout: 1000 }), [false, true])
    ctx.exit(r, 'boom')
    const d = await ctx.receive(downFor(ref), { timeout: 1000 })
    return d === TIMEOUT ? TIMEOUT : d.reason
  }), 3000, 'trap off')
  assert.is(reason, 'boom')
})

test.run()
