/**
 * The local demo, as a newcomer runs it: the compiled file as a child
 * process, which must print every event and exit 0 by itself (no timer left
 * behind), or, with --forever, stop cleanly on SIGINT. Also run in-process
 * through runDemo, to check the numbers it reports.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { runDemo } from '../local-demo.js'

const DEMO = fileURLToPath(new URL('../local-demo.js', import.meta.url))

interface Run { code: number | null, signal: NodeJS.Signals | null, stdout: string, stderr: string, killed: boolean, ms: number }

/**
 * Runs the demo; `onLine` may act on the output (send a signal). The child
 * is killed after `deadlineMs`, so a demo that hangs fails instead of
 * hanging the suite.
 */
function runChild (args: string[], deadlineMs: number, onLine?: (line: string, child: ReturnType<typeof spawn>) => void): Promise<Run> {
  return new Promise((resolve) => {
    const started = Date.now()
    const child = spawn(process.execPath, [DEMO, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    let partial = ''
    let killed = false
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString()
      partial += d.toString()
      let i
      while ((i = partial.indexOf('\n')) >= 0) {
        const line = partial.slice(0, i)
        partial = partial.slice(i + 1)
        onLine?.(line, child)
      }
    })
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString() })
    const timer = setTimeout(() => { killed = true; child.kill('SIGKILL') }, deadlineMs)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr, killed, ms: Date.now() - started })
    })
  })
}

/** Asserts that some line matches `re`; the message shows the output. */
function hasLine (out: string, re: RegExp, what: string): void {
  assert.ok(out.split('\n').some((l) => re.test(l)), `${what}: no line matches ${re}\n--- output ---\n${out}`)
}

test('node examples/build/local-demo.js prints every event and exits 0 by itself', async () => {
  const r = await runChild([], 15_000)
  assert.not.ok(r.killed, `the demo did not exit within 15 s (a timer or process left running?)\n${r.stdout}`)
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
  let sent = false
  const r = await runChild(['--forever'], 20_000, (line, child) => {
    // Wait for the first tick, so the supervisor is up and its children busy.
    if (!sent && /cast "tick"/.test(line)) {
      sent = true
      // Twice, as Ctrl-C under `npm run` may deliver it: the second must not cut the shutdown short.
      child.kill('SIGINT')
      setTimeout(() => { child.kill('SIGINT') }, 1)
    }
  })
  assert.ok(sent, `no tick seen\n${r.stdout}\n${r.stderr}`)
  assert.not.ok(r.killed, `did not stop within 20 s of starting\n${r.stdout}`)
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
