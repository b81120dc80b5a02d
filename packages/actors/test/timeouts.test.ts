// The receive timeouts' shared timer (src/timeouts.ts), on a simulated clock
// that can unref timers as the system clock can: each timeout fires at its
// own instant, in order; cancelled ones never fire; the one clock timer is
// unref'd exactly while nothing is live; cancelled entries do not pile up;
// clocks without unref get their own timers (as before). Then through a
// runtime on the real clock: a call times out, a reply cancels, and a
// process with nothing pending exits at once.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { SimulatedClock, type Timer } from '../src/index.js'
import { TimeoutQueue, timeoutsFor } from '../src/timeouts.js'

/** A SimulatedClock whose timers can be unref'd; counts what is ref'd. */
class RefClock extends SimulatedClock {
  readonly unrefd = new Set<Timer>()
  sets = 0
  override setTimeout (fn: () => void, ms: number): Timer {
    this.sets++
    return super.setTimeout(fn, ms)
  }

  unref (t: Timer): void { this.unrefd.add(t) }
  ref (t: Timer): void { this.unrefd.delete(t) }
}

test('each timeout fires at its own instant, in deadline order (ties in the order set); cancelled ones never', async () => {
  const clock = new RefClock()
  const q = new TimeoutQueue(clock)
  const fired: Array<[string, number]> = []
  const at = (name: string) => () => { fired.push([name, clock.now()]) }
  q.setTimeout(at('c'), 300)
  q.setTimeout(at('a'), 100)
  const b = q.setTimeout(at('b'), 200)
  q.setTimeout(at('a2'), 100)
  q.clearTimeout(b)
  await clock.advance(99)
  assert.equal(fired, [])
  await clock.advance(1)
  assert.equal(fired, [['a', 100], ['a2', 100]])
  await clock.advance(200)
  assert.equal(fired, [['a', 100], ['a2', 100], ['c', 300]])
  assert.is(q.live, 0)
})

test('a target set with setTimeoutOn is called with its own timer, in deadline order with the functions; a cancelled one never', async () => {
  const clock = new RefClock()
  const q = new TimeoutQueue(clock)
  const fired: Array<[string, number]> = []
  const target = (name: string): { onTimeout: (t: Timer) => void, timer?: Timer } => {
    const o: { onTimeout: (t: Timer) => void, timer?: Timer } = {
      onTimeout: (t) => { fired.push([t === o.timer ? name : `${name} with another timer`, clock.now()]) }
    }
    return o
  }
  const x = target('x')
  const y = target('y')
  x.timer = q.setTimeoutOn(x, 200)
  q.setTimeout(() => { fired.push(['fn', clock.now()]) }, 100)
  y.timer = q.setTimeoutOn(y, 150)
  const z = target('z')
  z.timer = q.setTimeoutOn(z, 120)
  q.clearTimeout(z.timer)
  assert.is(q.live, 3)
  await clock.advance(200)
  assert.equal(fired, [['fn', 100], ['y', 150], ['x', 200]])
  assert.is(q.live, 0)
})

test('an earlier timeout set later re-arms the timer for it; one set from a firing timeout is armed afterwards', async () => {
  const clock = new RefClock()
  const q = new TimeoutQueue(clock)
  const fired: Array<[string, number]> = []
  q.setTimeout(() => { fired.push(['late', clock.now()]) }, 1000)
  q.setTimeout(() => {
    fired.push(['early', clock.now()])
    q.setTimeout(() => { fired.push(['chained', clock.now()]) }, 50)
  }, 10)
  await clock.advance(10)
  await clock.advance(50)
  assert.equal(fired, [['early', 10], ['chained', 60]])
  await clock.advance(940)
  assert.equal(fired, [['early', 10], ['chained', 60], ['late', 1000]])
})

test('one clock timer for many timeouts; it is unref\'d exactly while no timeout is live', async () => {
  const clock = new RefClock()
  const q = new TimeoutQueue(clock)
  // The call pattern: set, then cancel before it is due, many times.
  for (let i = 0; i < 1000; i++) {
    const t = q.setTimeout(() => { assert.unreachable('a cancelled timeout fired') }, 5000)
    assert.is(clock.unrefd.size, 0, 'a live timeout holds the process, as its own timer would')
    q.clearTimeout(t)
    assert.is(clock.pending, 1)
    assert.is(clock.unrefd.size, 1, 'with nothing live the timer does not hold the process')
    await clock.advance(1)
  }
  assert.is(clock.sets, 1, 'the timer armed for the first one served all of them')
  await clock.advance(10_000)
  assert.is(clock.pending, 0)
})

test('cancelled entries do not pile up while others stay live', () => {
  const clock = new RefClock()
  const q = new TimeoutQueue(clock)
  q.setTimeout(() => {}, 60_000)
  for (let i = 0; i < 100_000; i++) q.clearTimeout(q.setTimeout(() => {}, 5000))
  assert.is(q.live, 1)
  assert.ok(q.size <= 2 + 64 + 1, `held ${q.size} entries`)
})

test('clearing twice, or a timer that already fired, changes nothing', async () => {
  const clock = new RefClock()
  const q = new TimeoutQueue(clock)
  let n = 0
  const t = q.setTimeout(() => { n++ }, 10)
  const keep = q.setTimeout(() => { n += 10 }, 20)
  await clock.advance(10)
  q.clearTimeout(t)
  q.clearTimeout(t)
  assert.is(q.live, 1)
  await clock.advance(10)
  assert.is(n, 11)
  q.clearTimeout(keep)
  assert.is(q.live, 0)
})

test('a clock that cannot unref (SimulatedClock) keeps a timer per timeout, targets included', async () => {
  const clock = new SimulatedClock()
  const t = timeoutsFor(clock)
  assert.not.instance(t, TimeoutQueue)
  const fired: string[] = []
  t.setTimeout(() => { fired.push('fn') }, 10)
  const target = { onTimeout: (timer: Timer) => { fired.push(timer === b ? 'target' : 'another timer') } }
  const b = t.setTimeoutOn(target, 20)
  const c = t.setTimeoutOn(target, 30)
  assert.is(clock.pending, 3)
  t.clearTimeout(c)
  assert.is(clock.pending, 2)
  await clock.advance(30)
  assert.equal(fired, ['fn', 'target'])
  assert.instance(timeoutsFor({ now: () => 0, setTimeout: clock.setTimeout.bind(clock), clearTimeout: clock.clearTimeout.bind(clock), ref: () => {}, unref: () => {} }), TimeoutQueue)
})

test('on the real clock: a call times out, a reply cancels, and a process with nothing pending exits at once', () => {
  const script = fileURLToPath(new URL('./support/timeouts-child.js', import.meta.url))
  const started = Date.now()
  const r = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 20_000 })
  assert.is(r.status, 0, r.stderr)
  assert.equal(r.stdout.trim().split('\n'), ['replied 1', 'timed out after 50 ms', 'done'])
  // The 5 s default timeouts of the 1000 answered calls must not hold the process.
  assert.ok(Date.now() - started < 4000, `exited after ${Date.now() - started} ms`)
})

test.run()
