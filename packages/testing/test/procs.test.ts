// Real processes across real exits: output capture, signals, and no child
// outliving its parent however the parent ends (exit, throw, signal, SIGKILL).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { spawnNode, liveProcesses, stopAll, WaitForLineError } from '../src/procs.js'
import { eventually, sleep, withTimeout } from '../src/wait.js'

const FIXTURE = fileURLToPath(new URL('./fixtures/fixture-child.js', import.meta.url))

/** Gone: no such process, or a zombie nobody reaped yet (PID 1 in a container may not reap). */
function isGone (pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH'
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')
  } catch {
    return true
  }
}

test.after(async () => {
  await stopAll('SIGKILL')
})

test('spawnNode: captures stdout and stderr lines; waitForLine sees lines printed before the call', async () => {
  const p = spawnNode({ entry: FIXTURE, args: ['echo'], name: 'echo' })
  const ready = await p.waitForLine(/^ready pid=(\d+)$/, 5000)
  assert.is(Number(ready[1]), p.pid)
  assert.is(ready.line.stream, 'stdout')
  await p.waitForLine('stderr ready', 5000, { stream: 'stderr' })
  // Already printed: found at once, no race with the output.
  await sleep(50)
  await p.waitForLine(/^ready/, 1)
  const mark = p.mark()
  p.write('hello\n')
  const m = await p.waitForLine(/^echo: (.*)$/, 5000, { since: mark })
  assert.is(m[1], 'hello')
  assert.ok(m.line.index >= mark)
  assert.match(p.output('stdout'), /ready pid=\d+\necho: hello/)
  assert.is(p.output('stderr'), 'stderr ready')
  p.kill('SIGTERM')
  const exit = await p.exited
  assert.equal(exit, { code: 7, signal: null })
  assert.ok(p.lines.some((l) => l.text === 'got SIGTERM'))
  assert.is(p.kill(), false)
  assert.not.ok(liveProcesses().includes(p))
})

test('spawnNode: env (added, removed), cwd and args reach the child', async () => {
  process.env.TEKKA_DROP_ME = 'x'
  const p = spawnNode({ entry: FIXTURE, args: ['env', 'a b', 'c'], env: { TEKKA_X: 'forty-two', TEKKA_DROP_ME: undefined }, cwd: '/tmp' })
  const m = await p.waitForLine(/^env (.*)$/, 5000)
  delete process.env.TEKKA_DROP_ME
  assert.equal(JSON.parse(m[1]), { x: 'forty-two', dropped: null, cwd: '/tmp', args: ['a b', 'c'], guarded: true })
  assert.equal(await p.exited, { code: 0, signal: null })
})

test('waitForLine: a timeout names the pattern and shows the last output', async () => {
  const p = spawnNode({ entry: FIXTURE, args: ['sleep'], name: 'sleeper' })
  await p.waitForLine(/^ready$/, 5000)
  try {
    await p.waitForLine(/never/, 100)
    assert.unreachable()
  } catch (err) {
    assert.instance(err, WaitForLineError)
    assert.match((err as Error).message, /sleeper: no line matching \/never\/ within 100 ms/)
    assert.match((err as Error).message, /ready/)
  }
  p.kill('SIGKILL')
  assert.equal(await p.exited, { code: null, signal: 'SIGKILL' })
})

test('waitForLine: rejects as soon as the process has ended without the line; a last line without newline is kept', async () => {
  const p = spawnNode({ entry: FIXTURE, args: ['lines', '3'] })
  const t0 = Date.now()
  try {
    await p.waitForLine(/never/, 10_000)
    assert.unreachable()
  } catch (err) {
    assert.instance(err, WaitForLineError)
    assert.match((err as Error).message, /exited \(code 0\) before printing a line matching/)
  }
  assert.ok(Date.now() - t0 < 5000)
  assert.equal(p.lines.map((l) => l.text), ['line 1', 'line 2', 'line 3'])
})

test('stop: SIGTERM, then SIGKILL when the child ignores it', async () => {
  const p = spawnNode({ entry: FIXTURE, args: ['stubborn'] })
  await p.waitForLine(/^ready$/, 5000)
  const exit = await p.stop('SIGTERM', 300)
  assert.is(exit.signal, 'SIGKILL')
  assert.ok(p.lines.some((l) => l.text === 'ignoring SIGTERM'))
})

for (const how of ['exit', 'throw', 'reject'] as const) {
  test(`no child survives its parent: parent ends by ${how}`, async () => {
    const parent = spawnNode({ entry: FIXTURE, args: ['parent', how] })
    const m = await parent.waitForLine(/^grandchild (\d+)$/, 10_000)
    const gc = Number(m[1])
    const exit = await withTimeout(parent.exited, 10_000, 'parent exit')
    assert.equal(exit, { code: how === 'exit' ? 0 : 1, signal: null })
    await eventually(() => isGone(gc), { timeout: 3000, message: `grandchild ${gc} gone` })
  })
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`no child survives its parent: parent gets ${signal}`, async () => {
    const parent = spawnNode({ entry: FIXTURE, args: ['parent', 'wait'] })
    const gc = Number((await parent.waitForLine(/^grandchild (\d+)$/, 10_000))[1])
    assert.not.ok(isGone(gc))
    parent.kill(signal)
    // Dies of the signal itself (the handler re-raises it after cleaning up).
    assert.equal(await parent.exited, { code: null, signal })
    await eventually(() => isGone(gc), { timeout: 3000, message: `grandchild ${gc} gone` })
  })
}

test('no child survives its parent: parent gets SIGKILL (the orphan guard ends the child)', async () => {
  const parent = spawnNode({ entry: FIXTURE, args: ['parent', 'wait'] })
  const gc = Number((await parent.waitForLine(/^grandchild (\d+)$/, 10_000))[1])
  parent.kill('SIGKILL')
  await parent.exited
  await eventually(() => isGone(gc), { timeout: 5000, message: `grandchild ${gc} gone` })
})

test.run()
