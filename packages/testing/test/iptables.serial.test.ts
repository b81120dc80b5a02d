// iptables partitions between loopback addresses, across real processes:
// DROP rules that really drop, healing, and no chain left behind however a
// partitioning process ends. Needs root and a working iptables: without
// them every test here fails with a MissingSystemError saying so. Serial: a
// partition drops packets for every process on the machine that uses those
// addresses.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createServer, type Server } from 'node:net'
import { fileURLToPath } from 'node:url'
import { spawnSync } from 'node:child_process'
import { spawnNode, stopAll } from '../src/procs.js'
import { freePort } from '../src/ports.js'
import { withTimeout } from '../src/wait.js'
import {
  chainName, cleanupIptables, iptablesBackend, listTekkaChains, partition,
  partitionGroups, requireIptables, sweepStaleChains, tryConnect, backendProbes
} from '../src/iptables.js'

const FIXTURE = fileURLToPath(new URL('./fixtures/fixture-child.js', import.meta.url))

test.after(async () => {
  await stopAll('SIGKILL')
  cleanupIptables()
})

async function bind (host: string, port: number): Promise<Server> {
  return await new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen({ host, port, exclusive: true }, () => { resolve(s) })
  })
}

const A = '127.0.0.2'
const B = '127.0.0.3'
const C = '127.0.0.4'

/** A test that needs root and a working iptables: without them it fails, naming what is missing (it never skips). */
function itest (name: string, fn: () => Promise<void>): void {
  test(name, async () => {
    await requireIptables('the iptables tests')
    await fn()
  })
}

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

test('requireIptables: a missing binary is a MissingSystemError naming the Debian package (or root, for a user)', async () => {
  const child = spawnNode({ entry: FIXTURE, args: ['require-iptables'], env: { TEKKA_IPTABLES: '/nonexistent/iptables' } })
  const m = await child.waitForLine(/^(missing|present) (.*)$/, 15_000)
  await child.exited
  assert.is(m[1], 'missing', 'requireIptables threw')
  const detail = JSON.parse(m[2]) as { name: string, code: string, message: string }
  assert.is(detail.name, 'MissingSystemError')
  assert.is(detail.code, 'ERR_MISSING_SYSTEM')
  if (process.getuid?.() === 0) assert.match(detail.message, 'the iptables tests needs the iptables command: install the Debian package iptables (apt-get install iptables)')
  else assert.match(detail.message, /needs root \(uid \d+\): run the tests as root/)
})

test.run()
