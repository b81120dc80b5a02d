/**
 * examples/ping-pong as its README runs it: `node
 * examples/build/ping-pong/run.js` starts `tekka --name pong@127.0.0.1` and
 * `tekka --name ping@127.0.0.1` as two OS processes. Checked from their
 * output, in order: remote sends to a registered name on the other node
 * answered three times; a link and a monitor across nodes both report
 * pong's crash with its error; pong's supervisor restarted it; after the
 * pong node is killed with SIGKILL, the link and the monitor fire with
 * `noconnection` and nodedown is seen; exit code 0 and no node left. With
 * pong's port taken: exit 1, saying why. An unknown option: exit 2.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { fileURLToPath } from 'node:url'
import { createServer } from 'node:net'
import { pidAlive as alive } from '@tekka/testing/procs'
import { killAtExit } from '@tekka/testing/exit-hooks'
import * as ports from '@tekka/testing/ports'
import * as procs from '@tekka/testing/procs'

const RUN = fileURLToPath(new URL('../ping-pong/run.js', import.meta.url))

test('run.js: remote send, link and monitor across two tekka nodes, then the pong node dies', async () => {
  const base = await ports.freePort()
  const run = procs.spawnNode({ entry: RUN, args: ['--base-port', String(base)], name: 'ping-pong' })
  const pids: number[] = []
  killAtExit(pids)
  const timer = setTimeout(() => { run.kill('SIGKILL') }, 60_000)
  const exit = await run.exited
  clearTimeout(timer)
  const out = run.output('stdout')
  for (const m of out.matchAll(/^run: tekka --name \S+ .*\(pid (\d+)/gm)) pids.push(Number(m[1]))
  assert.is(exit.code, 0, `exit code (killed after 60 s: ${String(exit.signal)})\n${run.output()}`)
  assert.is(pids.length, 2, out)

  const order = [
    /^\[ping\] ping: connected to pong@127\.0\.0\.1/,
    /^\[ping\] ping: pong #1 from <pong@127\.0\.0\.1\.\d+\.\d+> in [\d.]+ ms/,
    /^\[ping\] ping: pong #3 from <pong@127\.0\.0\.1\.\d+\.\d+>/,
    /^\[ping\] ping: linked to and monitoring <pong@127\.0\.0\.1\.\d+\.\d+>; asking it to crash/,
    /^\[ping\] ping: EXIT from <pong@127\.0\.0\.1\.\d+\.\d+>: Error: pong was asked to crash/,
    /^\[ping\] ping: DOWN from <pong@127\.0\.0\.1\.\d+\.\d+>: Error: pong was asked to crash/,
    /^\[ping\] ping: pong_sup restarted pong as <pong@127\.0\.0\.1\.\d+\.\d+>/,
    /^run: kill -9 pong@127\.0\.0\.1 \(pid \d+\)/,
    /^\[ping\] ping: EXIT from <pong@127\.0\.0\.1\.\d+\.\d+>: noconnection/,
    /^\[ping\] ping: DOWN from <pong@127\.0\.0\.1\.\d+\.\d+>: noconnection/,
    /^\[ping\] ping: nodedown pong@127\.0\.0\.1: connection_closed/,
    /^\[ping\] ping: done/,
    /^run: done/
  ]
  const lines = out.split('\n')
  let at = 0
  for (const re of order) {
    const i = lines.findIndex((l, k) => k >= at && re.test(l))
    assert.ok(i >= 0, `no line matching ${re} after line ${at}\n--- output ---\n${out}`)
    at = i + 1
  }
  // The pong process that crashed and the one that replaced it are different pids.
  const first = /pong #1 from (<[^>]+>)/.exec(out)![1]
  const second = /pong_sup restarted pong as (<[^>]+>)/.exec(out)![1]
  assert.is.not(first, second)
  assert.equal(pids.filter(alive), [], 'no node process left')
})

test('run.js: when the pong node cannot start (its port is taken), it says why and exits 1', async () => {
  const base = await ports.freePort()
  const squatter = createServer()
  await new Promise<void>((resolve) => { squatter.listen(base, '127.0.0.1', resolve) })
  try {
    const run = procs.spawnNode({ entry: RUN, args: ['--base-port', String(base)], name: 'ping-pong-taken' })
    const exit = await run.exited
    const out = run.output('stdout')
    assert.is(exit.code, 1, out)
    assert.match(out, new RegExp(`^run: failed: pong@127\\.0\\.0\\.1 exited \\(code 1\\)`, 'm'))
    assert.match(out, new RegExp(`ERR_PORT_IN_USE: port ${base} on 127\\.0\\.0\\.1`))
    assert.match(out, /^run: failed$/m)
  } finally {
    squatter.close()
  }
})

test('run.js refuses an unknown option with exit code 2', async () => {
  const run = procs.spawnNode({ entry: RUN, args: ['--bogus'], name: 'ping-pong-bad' })
  const exit = await run.exited
  assert.is(exit.code, 2)
  assert.match(run.output('stderr'), /unknown option --bogus/)
})

test.run()
