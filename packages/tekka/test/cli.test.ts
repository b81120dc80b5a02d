// The `tekka` command as a user runs it: bad names, bad config values and a
// taken port are refused with a message naming what was wrong; a node stops
// cleanly on SIGTERM and SIGINT; the cookie comes from ~/.tekka.cookie
// (created 0400) when no other source gives one.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, statSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { spawnNode, stopAll } from '@tekka/testing/procs'
import { loadConfig, refuseUnsupported, ConfigError } from '../src/index.js'
import { freePortRange } from '@tekka/testing/ports'

const BIN = fileURLToPath(new URL('../src/bin.js', import.meta.url))
const run = (args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null, out: string, err: string } => {
  const merged: NodeJS.ProcessEnv = { ...process.env, ...env }
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete merged[k]
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 20_000, env: merged })
  return { status: r.status, out: r.stdout, err: r.stderr }
}

test.after(async () => { await stopAll('SIGKILL') })

test('a bad node name is refused with a message naming it', () => {
  const r = run(['--name', 'no-at-sign', '--cookie', 'c'])
  assert.is.not(r.status, 0)
  assert.match(r.err, /node\.name/)
  assert.match(r.err, /no-at-sign/)
})

test('a bad config value is refused naming the key, the value and what is allowed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tekka-cli-'))
  const conf = join(dir, 'tekka.conf')
  writeFileSync(conf, 'node.name = n1@127.0.0.1\nnode.cookie = c\ncluster.autoheal = maybe\n')
  const r = run(['--config', conf])
  assert.is(r.status, 1)
  assert.match(r.err, /cluster\.autoheal/)
  assert.match(r.err, /maybe/)
  assert.match(r.err, /on \| off|on, off|on\/off/)
  const env = run(['--name', 'n1@127.0.0.1', '--cookie', 'c'], { TEKKA_NODE__TICK_TIME: 'soon' })
  assert.is(env.status, 1)
  assert.match(env.err, /node\.tick_time/)
})

test('a key whose plugin is not installed is refused when set, not silently ignored', () => {
  const config = loadConfig({ env: {}, overrides: { 'node.name': 'n1@127.0.0.1', 'cluster.discovery': 'static' } })
  try {
    refuseUnsupported(config, [])
    assert.unreachable()
  } catch (err) {
    assert.instance(err, ConfigError)
    assert.match((err as Error).message, /cluster\.discovery/)
    assert.match((err as Error).message, /@tekka\/discovery\) is not installed/)
  }
  // At their defaults, the keys of a missing plugin are fine.
  refuseUnsupported(loadConfig({ env: {}, overrides: { 'node.name': 'n1@127.0.0.1' } }), [])
})

test('a taken port gives an error naming the port', async () => {
  const base = await freePortRange(2)
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(base + 1, '127.0.0.1', resolve))
  try {
    const r = run(['--name', 'n1@127.0.0.1', '--cookie', 'c', '--set', `node.dist_base_port=${base}`])
    assert.is(r.status, 1)
    assert.match(r.err, new RegExp(`${base + 1}`))
    assert.match(r.err, /in use/i)
  } finally {
    server.close()
  }
})

test('node.name and node.listen_port given with --set are honoured when --name and --port are absent', async () => {
  const [port] = [await freePortRange(1)]
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  try {
    // The taken port proves both keys arrived: the name was accepted and the node tried to listen on that port.
    const r = run(['--cookie', 'c', '--set', 'node.name=n1@127.0.0.1', '--set', `node.listen_port=${port}`])
    assert.is(r.status, 1, r.err)
    assert.not.match(r.err, /a node name is needed/)
    assert.match(r.err, `port ${port} on 127.0.0.1 is in use`)
  } finally {
    server.close()
  }
})

test('an unknown option is a usage error', () => {
  const r = run(['--nme', 'x@y'])
  assert.is(r.status, 2)
  assert.match(r.err, /usage/)
})

for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  test(`${sig} stops the node cleanly with exit code 0`, async () => {
    const base = await freePortRange(2)
    const p = spawnNode({ entry: BIN, args: ['--name', 'n1@127.0.0.1', '--cookie', 'c', '--set', `node.dist_base_port=${base}`] })
    await p.waitForLine(/listening on 127\.0\.0\.1:\d+/, 15_000)
    p.kill(sig)
    const exit = await p.exited
    assert.is(exit.code, 0)
    await p.waitForLine(/stopped/, 5000)
  })
}

test('without --cookie or TEKKA_COOKIE, ~/.tekka.cookie is created with mode 0400 and used', async () => {
  const home = mkdtempSync(join(tmpdir(), 'tekka-home-'))
  const base = await freePortRange(2)
  const p = spawnNode({ entry: BIN, args: ['--name', 'n1@127.0.0.1', '--set', `node.dist_base_port=${base}`], env: { HOME: home, TEKKA_COOKIE: undefined } })
  await p.waitForLine(/cookie from file/, 15_000)
  const mode = statSync(join(home, '.tekka.cookie')).mode & 0o777
  assert.is(mode, 0o400)
  const ping = run(['ctl', '--node', 'n1@127.0.0.1', '--set', `node.dist_base_port=${base}`, 'ping'], { HOME: home, TEKKA_COOKIE: undefined })
  assert.is(ping.out.trim(), 'pong', ping.err)
  p.kill('SIGTERM')
  await p.exited
})

test.run()
