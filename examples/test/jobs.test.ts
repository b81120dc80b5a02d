/**
 * examples/jobs: the README's command, and the service in-process.
 *
 * - `node examples/build/jobs/run.js` (three `tekka` processes with the app
 *   module): every node's producer gets results from every node's worker, a
 *   worker crashed by a poison job is restarted by its supervisor, and every
 *   node stops with exit code 0 when the launcher is done; none is left.
 * - In-process, two real nodes over TCP, the service's events read from
 *   each node's event stream: a worker's first result arrives as
 *   `jobs.result` on the producer's node; a malformed job is dropped with a
 *   `jobs.bad_message` event on the worker's node and the worker lives on;
 *   when the other node stops, the producer's monitor of its worker fires
 *   (`jobs.worker_down`, `noconnection`) and jobs go on with the worker that
 *   is left; bad options are refused by name, with a TekkaError code.
 * - `run.js` with a node's port taken: exit 1, naming the node and why.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { fileURLToPath } from 'node:url'
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:net'
import { TekkaError, silentLogger, type TekkaEvent } from '@tekka/actors'
import { startNode, type DistNode } from '@tekka/dist'
import { JOBS_EVENTS, JobsOptionError, WORKER_NAME, countPrimes, jobsOptions, startJobs, type JobsEvent, type JobsService } from '../jobs/jobs.js'
import { pidAlive as alive } from '@tekka/testing/procs'
import { killAtExit } from '@tekka/testing/exit-hooks'
import * as ports from '@tekka/testing/ports'
import * as procs from '@tekka/testing/procs'
import { eventually } from '@tekka/testing/wait'

const RUN = fileURLToPath(new URL('../jobs/run.js', import.meta.url))

test('run.js: every producer hears from every worker, a poisoned worker is restarted, all stop cleanly', async () => {
  const base = await ports.freePortRange(4)
  const run = procs.spawnNode({ entry: RUN, args: ['--base-port', String(base)], name: 'jobs-run' })
  const pids: number[] = []
  killAtExit(pids)
  const timer = setTimeout(() => { run.kill('SIGKILL') }, 90_000)
  const exit = await run.exited
  clearTimeout(timer)
  const out = run.output('stdout')
  for (const m of out.matchAll(/^started \S+ \(pid (\d+)\)/gm)) pids.push(Number(m[1]))
  assert.is(exit.code, 0, `exit code (${String(exit.signal)})\n${run.output()}`)
  assert.is(pids.length, 3, out)
  for (const producer of ['jobs1', 'jobs2', 'jobs3']) {
    for (const worker of ['jobs1', 'jobs2', 'jobs3']) {
      assert.match(out, new RegExp(`^\\[${producer}\\] jobs: first result from ${worker}@127\\.0\\.0\\.1: job ${producer}@127\\.0\\.0\\.1#\\d+ -> 2262 primes`, 'm'), `${producer} <- ${worker}`)
    }
  }
  assert.match(out, /^\[jobs\d\] jobs: worker "jobs" restarted by jobs_sup \(incarnation 2\) after poison job jobs\d@127\.0\.0\.1#\d+/m)
  assert.match(out, /^\[jobs\d\] jobs: monitor: DOWN from \{jobs, jobs\d@127\.0\.0\.1\}: Error: poison job/m)
  assert.match(out, /^done: each of the 3 producers got results from all 3 workers/m)
  for (const n of ['jobs1', 'jobs2', 'jobs3']) assert.match(out, new RegExp(`^${n}@127\\.0\\.0\\.1 \\(pid \\d+\\) exited with code 0`, 'm'))
  assert.equal(pids.filter(alive), [], 'no node process left')
})

test('run.js: a node that cannot start (its port is taken) fails the run with exit 1, the others stopped', async () => {
  const base = await ports.freePortRange(4)
  const squatter = createServer()
  await new Promise<void>((resolve) => { squatter.listen(base + 1, '127.0.0.1', resolve) })
  const pids: number[] = []
  killAtExit(pids)
  try {
    const run = procs.spawnNode({ entry: RUN, args: ['--base-port', String(base)], name: 'jobs-run-taken' })
    const exit = await run.exited
    const out = run.output('stdout')
    for (const m of out.matchAll(/^started \S+ \(pid (\d+)\)/gm)) pids.push(Number(m[1]))
    assert.is(exit.code, 1, out)
    assert.match(out, new RegExp(`^failed: jobs1@127\\.0\\.0\\.1 exited \\(code 1\\).*\\n.*ERR_PORT_IN_USE: port ${base + 1}`, 'm'))
    assert.is(pids.length, 3)
    assert.equal(pids.filter(alive), [], 'no node process left')
  } finally {
    squatter.close()
  }
})

test('in-process: a bad job is dropped, a lost node fires the monitor, jobs go on', async () => {
  const base = await ports.freePortRange(3)
  const cookie = randomBytes(8).toString('hex')
  const opts = { cookie, basePort: base, tickTime: 1000, logger: silentLogger() }
  const nodes: DistNode[] = []
  const services: JobsService[] = []
  try {
    const a = await startNode({ name: 'ja1@127.0.0.1', ...opts })
    nodes.push(a)
    const b = await startNode({ name: 'ja2@127.0.0.1', ...opts })
    nodes.push(b)
    await b.membership.join(a.name)
    // The service publishes on its node's stream: read there, as the node's own events are.
    const eventsA: JobsEvent[] = []
    const eventsB: JobsEvent[] = []
    a.events.on(JOBS_EVENTS, (e) => { eventsA.push(e) })
    b.events.on(JOBS_EVENTS, (e) => { eventsB.push(e) })
    const ja = await startJobs(a.components, { interval: 20, size: 1000 })
    services.push(ja)
    const jb = await startJobs(b.components, { interval: 0 })
    services.push(jb)
    assert.ok(eventsB.some((e) => e.type === 'jobs.worker_started' && e.incarnation === 1 && e.node === b.name), "ja2's worker started, seen on ja2's stream")

    await eventually(() => ja.stats().byWorker[b.name] !== undefined && ja.stats().byWorker[a.name] !== undefined, { timeout: 10_000, message: 'results from both workers' })
    assert.is(countPrimes(1000), 168)
    const first = eventsA.find((e) => e.type === 'jobs.result' && e.first && e.worker === b.name)
    assert.ok(first !== undefined && first.type === 'jobs.result', `a first result from ja2 on ja1's stream: ${JSON.stringify(eventsA.slice(0, 5))}`)
    assert.is(first.value, 168)
    assert.is(first.node, a.name, 'seen by the producer\'s node')
    assert.is(first.level, 'info')

    // A malformed job: reported and dropped; the same worker goes on.
    const worker = b.runtime.whereis(WORKER_NAME)
    a.send({ name: WORKER_NAME, node: b.name }, { t: 'job', id: 'x', size: 10 ** 9, poison: false, replyTo: 'nobody' })
    const bad = await eventually(() => eventsB.find((e): e is TekkaEvent<'jobs.bad_message'> => e.type === 'jobs.bad_message') ?? false, { timeout: 5000, message: 'jobs.bad_message on ja2' })
    assert.equal({ node: bad.node, level: bad.level, to: bad.to, what: bad.what }, { node: b.name, level: 'warn', to: 'worker', what: 'size is not an integer from 2 to 5000000' })
    assert.ok(worker !== undefined && b.runtime.whereis(WORKER_NAME)?.equals(worker), 'the worker did not crash')
    assert.is(jb.stats().workerStarts, 1)

    // The other node goes away: the producer's monitor fires, and the jobs keep coming from the worker left.
    await jb.stop()
    services.pop()
    await b.stop()
    await eventually(() => eventsA.some((e) => e.type === 'jobs.worker_down' && e.worker === b.name && e.reason === 'noconnection'), { timeout: 10_000, message: 'jobs.worker_down noconnection on ja1' })
    const before = ja.stats().byWorker[a.name] ?? 0
    await eventually(() => (ja.stats().byWorker[a.name] ?? 0) > before + 5, { timeout: 10_000, message: 'more results from the worker left' })
    const later = eventsA.filter((e) => e.type === 'jobs.result' && !e.first)
    assert.ok(later.length > 5 && later.every((e) => e.level === 'debug'), 'later results are debug: the log does not print each one')
  } finally {
    for (const s of services) await s.stop()
    for (const n of nodes) await n.stop()
  }
})

test('options: defaults in one place, bad values refused with the option named (a TekkaError, code ERR_JOBS_OPTION)', () => {
  assert.equal(jobsOptions(), { interval: 250, size: 20_000, timeout: 5000, poisonEvery: 0, retryAfter: 1000, remonitorAfter: 100, maxQueued: 100, intensity: 5, period: 10_000 })
  const refused = (init: Parameters<typeof jobsOptions>[0], option: string, pattern: RegExp): void => {
    assert.throws(() => jobsOptions(init), (e: unknown) =>
      e instanceof JobsOptionError && e instanceof TekkaError && e.code === 'ERR_JOBS_OPTION' && e.name === 'JobsOptionError' &&
      e.option === option && pattern.test(e.message))
  }
  refused({ interval: -1 }, 'interval', /interval: -1/)
  refused({ size: 10 ** 9 }, 'size', /size: 1000000000 is not allowed \(2 to 5000000\)/)
})

test.run()
