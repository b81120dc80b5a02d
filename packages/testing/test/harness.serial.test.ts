// The multi-process test harness, tested across real processes: output
// capture, signals, clean-up on every exit path, free ports, `eventually`,
// and iptables partitions between loopback addresses (skipped unless root
// with a working iptables). Serial: a partition drops packets for every
// process on the machine that uses those addresses.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { fileURLToPath } from 'node:url'
import { spawnSync } from 'node:child_process'
import { spawnNode, liveProcesses, stopAll, WaitForLineError } from '../src/procs.js'
import { freePort, freePortRange, freePorts } from '../src/ports.js'
import { eventually, EventuallyTimeoutError, sleep, withTimeout } from '../src/wait.js'
import {
  chainName, cleanupIptables, iptablesAvailable, iptablesBackend, listTekkaChains, partition,
  partitionGroups, sweepStaleChains, tryConnect, unavailableReason, backendProbes
} from '../src/iptables.js'

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
  cleanupIptables()
})

// ---------------------------------------------------------------- wait

test('eventually: returns the value once fn stops throwing', async () => {
  let n = 0
  const v = await eventually(() => { if (++n < 3) throw new Error('not yet'); return 'done' }, { interval: 5 })
  assert.is(v, 'done')
  assert.is(n, 3)
})

test('eventually: false means not yet', async () => {
  let n = 0
  await eventually(() => ++n >= 3, { interval: 5 })
  assert.is(n, 3)
})

test('eventually: times out with the last failure as message and cause', async () => {
  const cause = new Error('still 1 node')
  try {
    await eventually(() => { throw cause }, { timeout: 100, interval: 10, message: 'cluster of 3' })
    assert.unreachable()
  } catch (err) {
    assert.instance(err, EventuallyTimeoutError)
    assert.match((err as Error).message, /cluster of 3 not met within 100 ms .*still 1 node/)
    assert.is((err as Error).cause, cause)
  }
})

test('withTimeout: rejects naming what did not finish', async () => {
  try {
    await withTimeout(sleep(1000), 20, 'the join')
    assert.unreachable()
  } catch (err) {
    assert.match((err as Error).message, /the join did not finish within 20 ms/)
  }
})

// ---------------------------------------------------------------- ports

async function bind (host: string, port: number): Promise<Server> {
  return await new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen({ host, port, exclusive: true }, () => { resolve(s) })
  })
}

test('freePort: a bindable port on the given loopback address, never the same twice', async () => {
  const ports = await freePorts(5, '127.0.0.2')
  assert.is(new Set(ports).size, 5)
  for (const p of ports) (await bind('127.0.0.2', p)).close()
  assert.ok((await freePort()) > 0)
})

test('freePortRange: consecutive ports free on every host, below the ephemeral range', async () => {
  const base = await freePortRange(3, ['127.0.0.2', '127.0.0.3'])
  assert.ok(base >= 20000 && base + 2 < 30000)
  const servers: Server[] = []
  for (const h of ['127.0.0.2', '127.0.0.3']) for (let p = base; p < base + 3; p++) servers.push(await bind(h, p))
  for (const s of servers) s.close()
})

test('freePort: refuses what is not an IP address', async () => {
  try {
    await freePort('localhost')
    assert.unreachable()
  } catch (err) {
    assert.is((err as { code?: string }).code, 'ERR_BAD_ARG')
  }
})

// ---------------------------------------------------------------- procs

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
  assert.equal(JSON.parse(m[1] as string), { x: 'forty-two', dropped: null, cwd: '/tmp', args: ['a b', 'c'], guarded: true })
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

// ---------------------------------------------------------------- iptables

const A = '127.0.0.2'
const B = '127.0.0.3'
const C = '127.0.0.4'
const haveIptables = await iptablesAvailable()
if (!haveIptables) console.log(`iptables tests skipped: ${unavailableReason()}`)
const itest = haveIptables ? test : test.skip

async function listen (host: string): Promise<{ server: Server, port: number }> {
  const port = await freePort(host)
  const server = await bind(host, port)
  server.on('connection', (s) => { s.on('error', () => {}); s.destroy() })
  return { server, port }
}

/** Connect A -> B:port, B -> A:port and A -> C:port; `timeout` means the packets were dropped. */
async function reach (): Promise<{ ab: string, ba: string, ac: string }> {
  const [sa, sb, sc] = [await listen(A), await listen(B), await listen(C)]
  try {
    const [ab, ba, ac] = await Promise.all([
      tryConnect(A, B, sb.port, 1000), tryConnect(B, A, sa.port, 1000), tryConnect(A, C, sc.port, 1000)
    ])
    return { ab, ba, ac }
  } finally {
    for (const s of [sa, sb, sc]) s.server.close()
  }
}

function chainsOf (pid: number): string[] {
  return listTekkaChains().filter((c) => c.pid === pid).map((c) => `${c.bin} ${c.chain}`)
}

function rulesOf (bin: string, chain: string): string[] {
  const r = spawnSync(bin, ['-w', '10', '-S', chain], { encoding: 'utf8' })
  return r.stdout.split('\n').filter((l) => l.startsWith('-A '))
}

itest('iptables: a working backend is chosen by a functional probe', async () => {
  const bin = await iptablesBackend()
  console.log(`iptables backend: ${bin} (probes: ${JSON.stringify(backendProbes())})`)
  assert.ok(backendProbes().some((p) => p.ok && p.bin === bin))
})

itest('partition: DROP rules block TCP both ways between 127.0.0.2 and 127.0.0.3; heal restores it', async () => {
  assert.equal(await reach(), { ab: 'connected', ba: 'connected', ac: 'connected' })
  const p = await partition(A, B)
  assert.equal(await reach(), { ab: 'timeout', ba: 'timeout', ac: 'connected' })
  const bin = await iptablesBackend()
  assert.is(rulesOf(bin, chainName()).length, 2)
  await p.heal()
  assert.ok(p.healed)
  assert.equal(await reach(), { ab: 'connected', ba: 'connected', ac: 'connected' })
  assert.is(rulesOf(bin, chainName()).length, 0)
  await p.heal() // twice is fine
})

itest('partition: oneWay drops only packets from the first address to the second', async () => {
  const p = await partition(A, B, { oneWay: true })
  const bin = await iptablesBackend()
  assert.equal(rulesOf(bin, chainName()), [`-A ${chainName()} -s ${A}/32 -d ${B}/32 -j DROP`])
  const r = await reach()
  assert.is(r.ab, 'timeout')
  assert.is(r.ac, 'connected')
  await p.heal()
})

itest('partition with ports: cuts links to and from those ports only; other ports on the same addresses still connect', async () => {
  const sb = await listen(B)
  const other = await listen(B)
  const sa = await listen(A)
  try {
    const p = await partition(A, B, { ports: [sb.port, sb.port] })
    try {
      // A dialling B's port in range is dropped; dialling another port of B, or B dialling A's port, is not.
      assert.is(await tryConnect(A, B, sb.port, 800), 'timeout', 'to the port in range')
      assert.is(await tryConnect(A, B, other.port, 1000), 'connected', 'another port on B')
      assert.is(await tryConnect(B, A, sa.port, 1000), 'connected', 'B to A on a port out of range')
      assert.is(rulesOf(await iptablesBackend(), chainName()).length, 4)
    } finally {
      await p.heal()
    }
    assert.is(await tryConnect(A, B, sb.port, 1000), 'connected')
    for (const bad of [[0, 10], [10, 5], [1.5, 3], [1, 70000]] as const) {
      try {
        await partition(A, B, { ports: bad })
        assert.unreachable(`${JSON.stringify(bad)} accepted`)
      } catch (err) {
        assert.is((err as { code?: string }).code, 'ERR_BAD_ARG', JSON.stringify(bad))
      }
    }
  } finally {
    for (const s of [sa, sb, other]) s.server.close()
  }
})

itest('partitionGroups: a majority cut off from a minority; partitions heal independently', async () => {
  const p1 = await partitionGroups([A, C], [B])
  const p2 = await partition(A, C)
  const bin = await iptablesBackend()
  assert.is(rulesOf(bin, chainName()).length, 6)
  await p2.heal()
  assert.equal(await reach(), { ab: 'timeout', ba: 'timeout', ac: 'connected' })
  await p1.heal()
  assert.equal(await reach(), { ab: 'connected', ba: 'connected', ac: 'connected' })
})

itest('partition: only 127.0.0.0/8 addresses, never an address from itself', async () => {
  for (const [a, b] of [['10.0.0.1', B], [A, '192.168.1.1'], [A, '::1'], [A, 'localhost'], [A, A]] as const) {
    try {
      await partition(a, b)
      assert.unreachable(`${a} / ${b} accepted`)
    } catch (err) {
      assert.is((err as { code?: string }).code, 'ERR_BAD_ARG', `${a} / ${b}`)
    }
  }
})

itest('cleanupIptables: removes the chain and its hooks', async () => {
  await partition(A, B)
  assert.is(chainsOf(process.pid).length, 1)
  cleanupIptables()
  assert.equal(chainsOf(process.pid), [])
  const bin = await iptablesBackend()
  const hooks = spawnSync(bin, ['-w', '10', '-S'], { encoding: 'utf8' }).stdout
  assert.not.match(hooks, chainName())
  assert.equal(await reach(), { ab: 'connected', ba: 'connected', ac: 'connected' })
  // And partitions work again afterwards.
  const p = await partition(A, B)
  assert.is((await reach()).ab, 'timeout')
  await p.heal()
})

for (const how of ['SIGTERM', 'SIGINT', 'exit', 'throw', 'reject'] as const) {
  itest(`a partitioning process leaves no chain behind when it ends by ${how}`, async () => {
    const child = spawnNode({ entry: FIXTURE, args: ['partition', A, B, how.startsWith('SIG') ? 'wait' : how] })
    const chain = (await child.waitForLine(/^partitioned (\S+)$/, 15_000))[1]
    assert.is(chain, chainName(child.pid))
    if (how.startsWith('SIG')) {
      // Mid-partition: the chain is there and packets are dropped.
      assert.is(chainsOf(child.pid).length, 1)
      assert.is((await reach()).ab, 'timeout')
      child.kill(how as NodeJS.Signals)
    }
    await withTimeout(child.exited, 10_000, 'child exit')
    assert.equal(chainsOf(child.pid), [], 'iptables -S shows no chain of the child')
    assert.equal(await reach(), { ab: 'connected', ba: 'connected', ac: 'connected' })
  })
}

itest('a chain left by a SIGKILLed process is swept away by the next user', async () => {
  const child = spawnNode({ entry: FIXTURE, args: ['partition', A, B, 'wait'] })
  await child.waitForLine(/^partitioned /, 15_000)
  child.kill('SIGKILL')
  await child.exited
  assert.is(chainsOf(child.pid).length, 1, 'SIGKILL cannot be caught: the chain is still there')
  assert.is((await reach()).ab, 'timeout')
  const removed = sweepStaleChains()
  assert.ok(removed.includes(chainName(child.pid)))
  assert.equal(chainsOf(child.pid), [])
  assert.equal(await reach(), { ab: 'connected', ba: 'connected', ac: 'connected' })
})

test.run()
