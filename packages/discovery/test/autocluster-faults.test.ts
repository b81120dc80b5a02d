// The autocluster actor against a strategy that misbehaves, on a simulated
// clock: a strategy that throws (synchronously or not), answers garbage, or
// never answers is reported with the cause (an autocluster.round event at
// warn) and retried at the next interval; the same failure again is
// reported at debug only; the actor never crashes (same pid all along). A
// lock is always released, failures outside a round (unlock, unregister)
// are autocluster.strategy_failed events, and a crash of the actor itself
// is repaired by its supervisor.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { SimulatedClock, memoryLogger, nextEvent, type LogRecord, type TekkaEvent } from '@tekka/actors'
import { startNode, type DistNode } from '@tekka/dist'
import { autocluster, type Autocluster } from '../src/index.js'
import { fakeStrategy, never, type FakeStrategy } from './support/fake-strategy.js'
import * as ports from '@tekka/testing/ports'
import * as wait from '@tekka/testing/wait'

const base = await ports.freePortRange(10)
const started: Array<{ node: DistNode, ac?: Autocluster }> = []
test.after.each(async () => {
  for (const s of started.splice(0)) { await s.ac?.stop(); await s.node.stop() }
})

async function setup (strategy: FakeStrategy, i: number): Promise<{ node: DistNode, ac: Autocluster, clock: SimulatedClock, records: LogRecord[], events: TekkaEvent[] }> {
  const clock = new SimulatedClock()
  const logger = memoryLogger('tekka')
  const node = await startNode({ name: `f${i}@127.0.0.1`, cookie: 'faults', basePort: base, clock, logger })
  const events: TekkaEvent[] = []
  node.events.subscribe((e) => { if (e.type.startsWith('autocluster.')) events.push(e) })
  const ac = autocluster({ interval: 1000, callTimeout: 500, probeTimeout: 500, jitter: 0, ctl: false })({ ...node.components, strategy })
  started.push({ node, ac })
  return { node, ac, clock, records: logger.records, events }
}

const nextRound = async (node: DistNode): Promise<TekkaEvent<'autocluster.round'>> => await nextEvent(node.events, 'autocluster.round')
/** The events of `type` published at `level`, as JSON, so a test can look for what the operator reads. */
const published = (events: TekkaEvent[], type: string, level: string): string[] => events.filter((e) => e.type === type && e.level === level).map((e) => JSON.stringify(e))

test('discover that throws, rejects, answers garbage or hangs: reported with the cause, retried, never a crash', async () => {
  const ghost = 'ghost9@127.0.0.1' // nobody listens there
  const answers: Array<() => unknown> = [
    () => { throw new Error('registry exploded') },
    () => Promise.reject(new TypeError('async boom')),
    () => 'not a list',
    () => ({ length: 2 }),
    () => [42, null, 'bad name', 'x@', {}, ['n1@h'], ghost],
    never,
    () => []
  ]
  const strategy = fakeStrategy({ discover: (n) => (answers[n - 1] ?? (() => []))() })
  const { ac, clock, records, node, events } = await setup(strategy, 1)
  const first = nextRound(node)
  await ac.start()
  const pid = ac.pid
  const reports = [await first]
  for (let i = 1; i < answers.length; i++) {
    const next = nextRound(node)
    await clock.advance(1000)
    if (i === 5) await clock.advance(500) // the hanging discover times out
    // The ghost's connection attempt is real I/O.
    reports.push(await wait.withTimeout(next, 5000, `round ${i + 1}`))
  }
  assert.match(reports[0].error ?? '', 'registry exploded')
  assert.match(reports[1].error ?? '', 'async boom')
  assert.match(reports[2].error ?? '', /fake\.discover\(\) returned "not a list", not a list of node names/)
  assert.match(reports[3].error ?? '', /not a list of node names/)
  const r5 = reports[4]
  assert.is(r5.error, undefined)
  assert.equal(r5.discovered, [ghost])
  assert.equal(r5.skipped.map((s) => s.item), ['42', 'null', '"bad name"', '"x@"', '{}', '["n1@h"]'])
  assert.match(r5.skipped[2].problem, /no @host part/)
  assert.equal(r5.dead.map((d) => d.node), [ghost])
  assert.not.ok(r5.complete, 'a discovered node does not answer')
  assert.match(reports[5].error ?? '', /fake\.discover\(\) did not settle within 500 ms/)
  assert.ok(reports[6].complete, 'nothing discovered, nothing to register: done')
  assert.is(ac.state, 'complete')
  assert.ok(ac.pid?.equals(pid!), 'the same actor all along: it never crashed')
  assert.ok(node.runtime.isAlive(pid!))
  // What the operator reads: each new failure, and the garbage, at warn; the completing round at info.
  assert.equal(reports.map((r) => r.level), ['warn', 'warn', 'warn', 'warn', 'warn', 'warn', 'info'])
  const warned = published(events, 'autocluster.round', 'warn').join('\n')
  for (const re of [/registry exploded/, /async boom/, /\\"not a list\\"/, /did not settle within 500 ms/, /"item":"42","problem":"not a string \(number\)"/, /"item":"\\"bad name\\"","problem":"no @host part"/, /"dead":\[\{"node":"ghost9@127\.0\.0\.1"/]) {
    assert.match(warned, re, `published at warn: ${String(re)}`)
  }
  assert.is(published(events, 'autocluster.complete', 'info').length, 1, 'complete, once')
  assert.not.ok(records.some((r) => r.msg === 'process crashed'), 'no process crashed')
  // After completing, nothing runs until enabled again.
  await clock.advance(5000)
  assert.is(strategy.count('discover'), answers.length)
})

test('a strategy whose calls take time by design (callTime) gets at least that + 5 s per call; others get callTimeout', async () => {
  const slow = Object.assign(fakeStrategy({ discover: () => [] }, 'slow'), { callTime: 8000 })
  const { node } = await setup(fakeStrategy({ discover: () => [] }), 8)
  assert.is(autocluster({ callTimeout: 500, ctl: false })({ ...node.components, strategy: slow }).callTimeout, 13_000)
  assert.is(autocluster({ callTimeout: 20_000, ctl: false })({ ...node.components, strategy: slow }).callTimeout, 20_000)
  assert.is(autocluster({ callTimeout: 500, ctl: false })({ ...node.components, strategy: fakeStrategy({ discover: () => [] }) }).callTimeout, 500)
})

test('the same failure again is published at debug, a new one at warn, the recovery at info', async () => {
  const strategy = fakeStrategy({ discover: (n) => { if (n <= 3) throw new Error('registry down'); if (n === 4) throw new Error('registry on fire'); return [] } })
  const { ac, clock, node } = await setup(strategy, 5)
  const first = nextRound(node)
  await ac.start()
  const reports = [await first]
  for (let i = 1; i < 5; i++) {
    const next = nextRound(node)
    await clock.advance(1000)
    reports.push(await wait.withTimeout(next, 5000, `round ${i + 1}`))
  }
  assert.equal(reports.map((r) => [r.level, r.error]), [
    ['warn', 'registry down'], ['debug', 'registry down'], ['debug', 'registry down'], ['warn', 'registry on fire'], ['info', undefined]
  ])
})

test('the lock is always released: after lock throws, after false, after a failed join, after unlock hangs', async () => {
  const ghost = 'ghost8@127.0.0.1'
  const lockAnswers: Array<() => unknown> = [
    () => { throw new Error('lock server down') },
    () => false,
    () => 'yes',
    () => true
  ]
  const strategy = fakeStrategy({
    discover: () => [ghost],
    lock: (n) => (lockAnswers[n - 1] ?? (() => true))(),
    unlock: (n) => n === 2 ? never() : undefined,
    register: (n) => { if (n === 1) throw new Error('cannot register'); return undefined },
    unregister: () => undefined
  })
  const { ac, clock, node, events } = await setup(strategy, 2)
  const first = nextRound(node)
  await ac.start()
  const reports = [await first]
  for (let i = 1; i < 5; i++) {
    const next = nextRound(node)
    await clock.advance(1000)
    if (i === 1) await clock.advance(500) // the second unlock hangs until its bound
    reports.push(await wait.withTimeout(next, 5000, `round ${i + 1}`))
  }
  assert.match(reports[0].error ?? '', 'lock server down')
  assert.is(reports[1].lock, 'held elsewhere')
  assert.is(reports[1].decision, undefined, 'no join without the lock')
  assert.match(reports[2].error ?? '', /fake\.lock\(\) returned "yes", not true or false/)
  assert.is(reports[3].lock, 'taken')
  assert.match(reports[3].error ?? '', 'cannot register')
  assert.is(reports[4].error, undefined)
  assert.is(strategy.count('lock'), 5)
  assert.is(strategy.count('unlock'), 5, 'one unlock per lock, whatever happened')
  // Every unlock comes after its lock, before the next lock.
  const order = strategy.calls.filter((c) => c === 'lock' || c === 'unlock').join(',')
  assert.is(order, 'lock,unlock,lock,unlock,lock,unlock,lock,unlock,lock,unlock')
  assert.not.ok(reports[4].complete, 'the ghost never answers')
  // The unlock that hung is reported on the side, naming the call and the round.
  const failed = events.filter((e): e is TekkaEvent<'autocluster.strategy_failed'> => e.type === 'autocluster.strategy_failed')
  assert.equal(failed.map((e) => [e.call, e.round, e.level]), [['unlock', 2, 'warn']])
  assert.match(failed[0].error, /fake\.unlock\(\) did not settle within 500 ms/)
})

test('stop() unregisters and stops the strategy, even one that hangs; twice is safe', async () => {
  const strategy = fakeStrategy({ discover: () => [], register: () => undefined, unregister: never, start: () => undefined, stop: () => undefined })
  const { ac, clock, events } = await setup(strategy, 3)
  await ac.start()
  await ac.start()
  assert.is(strategy.count('start'), 1)
  const stopping = ac.stop()
  await clock.advance(500)
  await stopping
  await ac.stop()
  assert.is(strategy.count('unregister'), 1)
  assert.is(strategy.count('stop'), 1)
  assert.is(ac.state, 'stopped')
  const failed = events.filter((e): e is TekkaEvent<'autocluster.strategy_failed'> => e.type === 'autocluster.strategy_failed')
  assert.equal(failed.map((e) => [e.call, e.error]), [['unregister', 'fake.unregister() did not settle within 500 ms']])
  assert.not.ok(events.some((e) => e.type === 'autocluster.unregistered'), 'not reported as unregistered')
})

test('a crashed actor is restarted by its supervisor and goes on', async () => {
  const strategy = fakeStrategy({ discover: () => ['ghost7@127.0.0.1'] })
  const { ac, node, clock } = await setup(strategy, 4)
  const first = nextRound(node)
  await ac.start()
  await first
  const pid = ac.pid!
  node.runtime.exit(pid, 'boom')
  await wait.eventually(() => ac.pid !== undefined && !ac.pid.equals(pid) && node.runtime.isAlive(ac.pid), { timeout: 2000, message: 'a new actor' })
  // The new actor runs a round at once, and keeps going.
  await wait.eventually(() => strategy.count('discover') >= 2, { timeout: 5000 })
  const next = nextRound(node)
  await clock.advance(1000)
  await wait.withTimeout(next, 5000, 'a round after the restart')
  assert.is(ac.state, 'running')
})

test.run()
