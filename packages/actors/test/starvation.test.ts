/**
 * One runaway process must not starve the event loop or the other
 * processes: with the scheduler's default budget, a 10 ms timer fires in
 * time, a loopback TCP echo completes and two bystander processes keep
 * playing ping-pong while a flood, a polling loop, a self-feeding receive
 * loop or an endless ping-pong runs. The same scenarios with a budget of
 * Infinity (the scheduler never yields) must starve, which shows the check
 * can fail.
 *
 * Each scenario runs in its own child process, killed after a deadline, so a
 * starving event loop cannot hang this suite.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const SCENARIO = fileURLToPath(new URL('./support/starve-scenario.js', import.meta.url))

interface Run { lines: Array<Record<string, unknown>>, killed: boolean, stderr: string }

/**
 * Runs a scenario; kills it (SIGKILL) `deadlineMs` after its `started` line
 * (so a slow start-up on a loaded machine does not eat into the workload's
 * time), or after STARTUP_MS if that line never comes.
 */
function runScenario (scenario: string, budget: string, deadlineMs: number): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--max-old-space-size=1024', SCENARIO, scenario, budget], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let stderr = ''
    let killed = false
    const kill = (): void => { killed = true; child.kill('SIGKILL') }
    let timer = setTimeout(kill, STARTUP_MS)
    let started = false
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
      if (!started && out.includes('"started"')) {
        started = true
        clearTimeout(timer)
        timer = setTimeout(kill, deadlineMs)
      }
    })
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    child.on('close', () => {
      clearTimeout(timer)
      const lines = out.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, unknown>)
      resolve({ lines, killed, stderr })
    })
  })
}

const line = (r: Run, key: string): Record<string, unknown> | undefined => r.lines.find((l) => key in l)

const TIMER_LIMIT_MS = 200
/** How long a scenario may take to print its `started` line. */
const STARTUP_MS = 20_000

for (const scenario of ['flood', 'poll', 'selfsend', 'pingpong']) {
  test(`${scenario}: with the default budget, timers and I/O run and the workload makes progress`, async () => {
    const r = await runScenario(scenario, '4000', 20_000)
    assert.not.ok(r.killed, `the scenario finished (stderr: ${r.stderr})`)
    const res = line(r, 'result')
    assert.ok(res !== undefined, `a result line: ${JSON.stringify(r.lines)} ${r.stderr}`)
    const { timerMs, tcpMs, batches, progress, bystanderRoundTrips } = res as { timerMs: number, tcpMs: number, batches: number, progress: number, bystanderRoundTrips: number }
    assert.ok(timerMs < TIMER_LIMIT_MS, `a 10 ms timer fired after ${timerMs.toFixed(1)} ms`)
    assert.ok(tcpMs < 1000, `TCP echo took ${tcpMs.toFixed(1)} ms`)
    assert.ok(batches > 1, `the scheduler yielded to the event loop (${batches} batches)`)
    assert.ok(progress > 2000, `the workload ran meanwhile (${progress} steps)`)
    assert.ok(bystanderRoundTrips > 2000, `other processes got turns (${bystanderRoundTrips} ping-pong round trips)`)
    const stopped = line(r, 'stopped') as { processCount: number, progressAfterStop: number } | undefined
    assert.ok(stopped !== undefined, 'the flood was stopped')
    assert.is(stopped.processCount, 0)
    assert.is(stopped.progressAfterStop, 0, 'killed processes made no more progress')
  })

  test(`${scenario}: with a budget of Infinity the same workload starves timers (the check can fail)`, async () => {
    // Three times the limit the default budget's timer stays under: a 10 ms timer that has not fired by then is starved.
    const r = await runScenario(scenario, 'Infinity', 3 * TIMER_LIMIT_MS)
    assert.ok(line(r, 'started') !== undefined, `the scenario started: ${r.stderr}`)
    assert.is(line(r, 'result'), undefined, `no timer or I/O got through: ${JSON.stringify(r.lines)}`)
    assert.ok(r.killed, 'it had to be killed')
  })
}

test.run()
