/**
 * The local demo, as a newcomer runs it: the compiled file as a child
 * process, which must print every event and exit 0 by itself (no timer left
 * behind), or, with --forever, stop cleanly on SIGINT. Also run in-process
 * through runDemo, to check the numbers it reports.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { fileURLToPath } from 'node:url'
import * as procs from '@tekka/testing/procs'
import type { NodeProcess } from '@tekka/testing/procs'
import { withTimeout } from '@tekka/testing/wait'
import { runDemo } from '../local-demo.js'

const DEMO = fileURLToPath(new URL('../local-demo.js', import.meta.url))
/** The demo's last line: once it is in, all of its output is. */
const LAST = /summary .*supervisor stopped; \d+ processes left/

interface Run { code: number | null, signal: NodeJS.Signals | null, stdout: string, stderr: string, ms: number }

/**
 * Waits for the demo to exit by itself within `deadlineMs` (it is killed at
 * the deadline, and the test fails: a demo that hangs must not hang the
 * suite), then for its last line; its exit and output.
 */
async function finish (p: NodeProcess, deadlineMs: number, started: number): Promise<Run> {
  let exit
  try {
    exit = await withTimeout(p.exited, deadlineMs, 'the demo to exit by itself')
  } catch (err) {
    p.kill('SIGKILL')
    assert.unreachable(`${(err as Error).message} (a timer or process left running?)\n${p.output()}`)
    throw err
  }
  const ms = Date.now() - started
  await p.waitForLine(LAST, 5000, { stream: 'stdout' }).catch(() => undefined)
  return { code: exit.code, signal: exit.signal, stdout: p.output('stdout'), stderr: p.output('stderr'), ms }
}

/** Asserts that some line matches `re`; the message shows the output. */
function hasLine (out: string, re: RegExp, what: string): void {
  assert.ok(out.split('\n').some((l) => re.test(l)), `${what}: no line matches ${re}\n--- output ---\n${out}`)
}

test('node examples/build/local-demo.js prints every event and exits 0 by itself', async () => {
  const started = Date.now()
  const r = await finish(procs.spawnNode({ entry: DEMO, name: 'local-demo' }), 15_000, started)
  assert.is(r.code, 0, `exit code\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`)
  assert.is(r.stderr, '', 'nothing on stderr: expected crash reports are demo lines, not warnings')
  hasLine(r.stdout, /sup .*supervisor <.+> \(one_for_one.*started counter <.+>, ticker <.+>, flaky <.+>/, 'supervisor start')
  hasLine(r.stdout, /counter .*cast "tick" from ticker#1 -> count = 1/, 'a cast from the ticker')
  hasLine(r.stdout, /receive .*receive\(isHigh\) took #3 first/, 'selective receive')
  hasLine(r.stdout, /receive .*-> TIMEOUT/, 'receive timeout')
  hasLine(r.stdout, /runtime .*crashed: Error: simulated failure in incarnation 1/, 'the crash and its reason')
  hasLine(r.stdout, /sup .*child "flaky" <.+> exited with Error: simulated failure in incarnation 1; restarting/, 'exit reason seen by the supervisor')
  hasLine(r.stdout, /sup .*child "flaky" restarted as <.+>/, 'restart')
  hasLine(r.stdout, /flaky .*incarnation 2 started/, 'the restarted worker runs')
  hasLine(r.stdout, /link .*guardian got \{ type: 'EXIT', from: <.+>, reason: 'disk_full' \}/, 'EXIT')
  hasLine(r.stdout, /monitor .*got \{ type: 'DOWN', pid: <.+>, reason: 'disk_full' \}/, 'DOWN')
  hasLine(r.stdout, /monitor .*reason 'noproc'/, 'DOWN noproc')
  hasLine(r.stdout, /main .*call\(rt, "counter", "get"\) -> \d+/, 'call')
  hasLine(r.stdout, /summary .*\d+ processes alive/, 'summary: process count')
  hasLine(r.stdout, /summary .*\d+ messages handled .* 1 crash, 1 restart, 1 EXIT, 2 DOWN/, 'summary: messages')
  hasLine(r.stdout, /counter .*terminate\(shutdown\)/, 'orderly shutdown of the counter')
  hasLine(r.stdout, /summary .*supervisor stopped; 0 processes left/, 'nothing left')
  assert.ok(r.ms < 10_000, `took ${r.ms} ms`)
})

test('--forever runs until SIGINT (even sent twice), then shuts the supervisor down and exits 0', async () => {
  const started = Date.now()
  const p = procs.spawnNode({ entry: DEMO, args: ['--forever'], name: 'local-demo-forever' })
  // Wait for the first tick, so the supervisor is up and its children busy.
  await p.waitForLine(/cast "tick"/, 10_000)
  // Twice, as Ctrl-C under `npm run` may deliver it: the second must not cut the shutdown short.
  p.kill('SIGINT')
  setTimeout(() => { p.kill('SIGINT') }, 1)
  const r = await finish(p, 20_000, started)
  assert.is(r.code, 0, `exit code\n${r.stdout}\n${r.stderr}`)
  hasLine(r.stdout, /counter .*terminate\(shutdown\)/, 'the counter was shut down')
  hasLine(r.stdout, /summary .*supervisor stopped; 0 processes left/, 'clean stop')
})

test('runDemo in-process: the summary adds up and nothing is left running', async () => {
  const lines: string[] = []
  const s = await runDemo({ out: (l) => { lines.push(l) }, durationMs: 700, crashAfterMs: 100, tickMs: 100 })
  assert.is(s.crashes, 1)
  assert.is(s.restarts, 1)
  assert.is(s.exits, 1)
  assert.is(s.downs, 2)
  assert.ok(s.ticks >= 3, `${s.ticks} ticks`)
  assert.is(s.calls, 1)
  assert.is(s.messages, s.ticks + s.calls + 3 + s.exits + s.downs, 'ticks, the call, 3 selective receives, EXIT and DOWNs')
  assert.is(s.processesBefore, 4, 'the supervisor and its three children')
  assert.is(s.processesAfter, 0)
  assert.ok(lines.length > 10)
})

test('runDemo with crashRepeatedly restarts the flaky worker more than once', async () => {
  const s = await runDemo({ out: () => {}, durationMs: 900, crashAfterMs: 250, tickMs: 200, crashRepeatedly: true })
  assert.ok(s.restarts >= 2, `${s.restarts} restarts`)
  assert.is(s.processesAfter, 0)
})

test('an aborted signal cuts the wait short', async () => {
  const ac = new AbortController()
  const started = Date.now()
  setTimeout(() => { ac.abort() }, 200)
  const s = await runDemo({ out: () => {}, durationMs: Infinity, signal: ac.signal })
  assert.ok(Date.now() - started < 5000, 'stopped soon after the abort')
  assert.is(s.processesAfter, 0)
})

test.run()
