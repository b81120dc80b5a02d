// The `tekka` command as a user runs it (TEKKA_BIN, a real process): usage
// errors exit 2 with the usage; bad names, bad config values, keys nobody
// claims and a taken port are refused with a message naming what was wrong;
// the plugins start from the config; `tekka ctl` asks a running node; a node
// stops cleanly on SIGTERM and SIGINT; the cookie comes from ~/.tekka.cookie
// (created 0400) when no other source gives one.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, statSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError } from '@tekka/dist'
import { spawnNode, stopAll, TEKKA_BIN, type NodeProcess } from '@tekka/testing/procs'
import { freePortRange } from '@tekka/testing/ports'
import { defaultPlugins, loadTekkaConfig } from '../src/index.js'

const run = (args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null, out: string, err: string } => {
  const merged: NodeJS.ProcessEnv = { ...process.env, ...env }
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete merged[k]
  const r = spawnSync(process.execPath, [TEKKA_BIN, ...args], { encoding: 'utf8', timeout: 20_000, env: merged })
  return { status: r.status, out: r.stdout, err: r.stderr }
}

test.after(async () => { await stopAll('SIGKILL') })

// ---------------------------------------------------------------- usage

test('usage errors exit 2 and print the usage: an unknown option, --set without =, two app modules, ctl without --node or a command', () => {
  const cases: Array<[string[], RegExp]> = [
    [['--nme', 'x@y'], /Unknown option '--nme'/],
    [['--name', 'n1@127.0.0.1', '--set', 'node.hidden'], /--set needs key=value, got "node\.hidden"/],
    [['--name', 'n1@127.0.0.1', 'a.js', 'b.js'], /one app module at most, got a\.js b\.js/],
    [['ctl', 'ping'], /ctl needs --node NAME@HOST/],
    [['ctl', '--node', 'n1@127.0.0.1'], /ctl needs a command/]
  ]
  for (const [args, why] of cases) {
    const r = run(args)
    assert.is(r.status, 2, `${args.join(' ')}: ${r.err}`)
    assert.match(r.err, why, args.join(' '))
    assert.match(r.err, /^usage:\n {2}tekka --name NAME@HOST/m, `${args.join(' ')}: the usage follows`)
  }
})

test('--help prints the usage on stdout and exits 0, for the node and for ctl', () => {
  for (const args of [['--help'], ['ctl', '-h']]) {
    const r = run(args)
    assert.is(r.status, 0, r.err)
    assert.match(r.out, /tekka ctl --node NAME@HOST/)
  }
})

// ---------------------------------------------------------------- refused configurations

test('a bad node name is refused with a message naming it', () => {
  const r = run(['--name', 'no-at-sign', '--cookie', 'c'])
  assert.is(r.status, 1)
  assert.match(r.err, /node\.name/)
  assert.match(r.err, /no-at-sign/)
})

test('a bad config value is refused naming the key, the value and what is allowed, from the file and from the environment', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tekka-cli-'))
  const conf = join(dir, 'tekka.conf')
  writeFileSync(conf, 'node.name = n1@127.0.0.1\nnode.cookie = c\ncluster.autoheal = maybe\n')
  const r = run(['--config', conf])
  assert.is(r.status, 1)
  assert.match(r.err, /cluster\.autoheal: "maybe" is not allowed \(on \| off \| true \| false\)/)
  assert.match(r.err, `[${conf}:3]`)
  const env = run(['--name', 'n1@127.0.0.1', '--cookie', 'c'], { TEKKA_NODE__TICK_TIME: 'soon' })
  assert.is(env.status, 1)
  assert.match(env.err, /node\.tick_time: "soon" is not allowed/)
  assert.match(env.err, /\[env TEKKA_NODE__TICK_TIME\]/)
})

test('a config key that no section claims is refused with the key, the file and its line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tekka-cli-'))
  const conf = join(dir, 'tekka.conf')
  writeFileSync(conf, 'node.name = n1@127.0.0.1\n# a comment\ncluster.autoheel = off\n')
  const r = run(['--config', conf, '--cookie', 'c'])
  assert.is(r.status, 1)
  assert.match(r.err, `${conf}:3: unknown key "cluster.autoheel" (did you mean cluster.autoheal?)`)
  assert.match(r.err, /ERR_CONFIG/)
  const nobody = run(['--name', 'n1@127.0.0.1', '--cookie', 'c', '--set', 'cluster.consul.server=x'])
  assert.is(nobody.status, 1)
  assert.match(nobody.err, /unknown key "cluster\.consul\.server"/)
})

test('a key of a plugin the node does not run is refused when set, not silently ignored', () => {
  const plugins = defaultPlugins().filter((p) => p.name !== '@tekka/discovery')
  try {
    loadTekkaConfig({ plugins, config: { env: {}, overrides: { 'node.name': 'n1@127.0.0.1', 'cluster.discovery': 'static' } } })
    assert.unreachable()
  } catch (err) {
    assert.instance(err, ConfigError)
    assert.is((err as ConfigError).key, 'cluster.discovery')
    assert.match((err as Error).message, /unknown key "cluster\.discovery"/)
  }
  // Left unset, the keys of a missing plugin cost nothing.
  loadTekkaConfig({ plugins, config: { env: {}, overrides: { 'node.name': 'n1@127.0.0.1' } } })
})

test('a taken port gives an error naming the port', async () => {
  const base = await freePortRange(2)
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(base + 1, '127.0.0.1', resolve))
  try {
    const r = run(['--name', 'n1@127.0.0.1', '--cookie', 'c', '--set', `node.dist_base_port=${base}`])
    assert.is(r.status, 1)
    assert.match(r.err, `port ${base + 1} on 127.0.0.1 is in use`)
    assert.match(r.err, /ERR_PORT_IN_USE/)
  } finally {
    server.close()
  }
})

test('node.name and node.listen_port given with --set are honoured when --name and --port are absent', async () => {
  const port = await freePortRange(1)
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  try {
    // The taken port proves both keys arrived: the name was accepted and the node tried to listen on that port.
    const r = run(['--cookie', 'c', '--set', 'node.name=n1@127.0.0.1', '--set', `node.listen_port=${port}`])
    assert.is(r.status, 1, r.err)
    assert.match(r.err, `port ${port} on 127.0.0.1 is in use`)
  } finally {
    server.close()
  }
})

// ---------------------------------------------------------------- a running node, its plugins, ctl

async function startNodeProcess (name: string, base: number, extra: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<NodeProcess> {
  const p = spawnNode({ entry: TEKKA_BIN, args: ['--name', name, '--cookie', 'c', '--set', `node.dist_base_port=${base}`, ...extra], env: { TEKKA_LOG: 'info', ...env } })
  await p.waitForLine(/tekka: node .* listening on 127\.0\.0\.1:\d+/, 15_000)
  return p
}

test('the plugins start from the config: every default plugin, and discovery with the strategy the config names', async () => {
  const base = await freePortRange(2)
  const p = await startNodeProcess('n1@127.0.0.1', base, ['--set', 'cluster.discovery=static', '--set', 'cluster.static.seeds=n1@127.0.0.1'])
  try {
    for (const plugin of defaultPlugins()) {
      await p.waitForLine(new RegExp(`plugin started plugin=${plugin.name.replace('/', '\\/')}`), 10_000, { stream: 'stderr' })
    }
    const r = run(['ctl', '--node', 'n1@127.0.0.1', '--cookie', 'c', '--set', `node.dist_base_port=${base}`, 'autocluster', 'status', '--json'])
    assert.is(r.status, 0, r.err)
    const status = JSON.parse(r.out) as { strategy: string, node: string }
    assert.is(status.strategy, 'static')
    assert.is(status.node, 'n1@127.0.0.1')
  } finally {
    p.kill('SIGTERM')
    await p.exited
  }
})

test('ctl: ping, nodes and cluster status of a running node; pang and exit 1 for one that is not there; an unknown command lists the commands', async () => {
  const base = await freePortRange(3)
  const p = await startNodeProcess('n1@127.0.0.1', base)
  const ctl = (...words: string[]): ReturnType<typeof run> => run(['ctl', '--node', 'n1@127.0.0.1', '--cookie', 'c', '--set', `node.dist_base_port=${base}`, ...words])
  try {
    const ping = ctl('ping')
    assert.is(ping.status, 0, ping.err)
    assert.is(ping.out, 'pong\n')
    const nodes = ctl('nodes', '--json')
    assert.is(nodes.status, 0, nodes.err)
    assert.equal(JSON.parse(nodes.out), { node: 'n1@127.0.0.1', nodes: [] }, 'the ctl node itself is hidden')
    const status = ctl('cluster', 'status')
    assert.is(status.status, 0, status.err)
    assert.match(status.out, /^cluster tekka \(seen from n1@127\.0\.0\.1\)$/m)
    assert.match(status.out, /^leader: n1@127\.0\.0\.1/m)
    const unknown = ctl('frobnicate')
    assert.is(unknown.status, 1)
    assert.match(unknown.out, /unknown command: frobnicate/)
    assert.match(unknown.out, /cluster status/)
    const pang = run(['ctl', '--node', 'n2@127.0.0.1', '--cookie', 'c', '--set', `node.dist_base_port=${base}`, 'ping'])
    assert.is(pang.status, 1)
    assert.is(pang.out, 'pang\n')
    const wrongCookie = run(['ctl', '--node', 'n1@127.0.0.1', '--cookie', 'not-c', '--set', `node.dist_base_port=${base}`, 'nodes'])
    assert.is(wrongCookie.status, 1)
    assert.is(wrongCookie.out, 'cannot reach n1@127.0.0.1\n')
  } finally {
    p.kill('SIGTERM')
    await p.exited
  }
})

for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  test(`${sig} stops the node cleanly with exit code 0`, async () => {
    const base = await freePortRange(2)
    const p = await startNodeProcess('n1@127.0.0.1', base)
    p.kill(sig)
    const exit = await p.exited
    assert.is(exit.code, 0)
    await p.waitForLine(new RegExp(`tekka: ${sig}, stopping n1@127\\.0\\.0\\.1`), 5000)
    await p.waitForLine(/tekka: n1@127\.0\.0\.1 stopped/, 5000)
  })
}

test('without --cookie or TEKKA_COOKIE, ~/.tekka.cookie is created with mode 0400 and used', async () => {
  const home = mkdtempSync(join(tmpdir(), 'tekka-home-'))
  const base = await freePortRange(2)
  const p = spawnNode({ entry: TEKKA_BIN, args: ['--name', 'n1@127.0.0.1', '--set', `node.dist_base_port=${base}`], env: { HOME: home, TEKKA_COOKIE: undefined } })
  await p.waitForLine(/cookie from file/, 15_000)
  const mode = statSync(join(home, '.tekka.cookie')).mode & 0o777
  assert.is(mode, 0o400)
  const ping = run(['ctl', '--node', 'n1@127.0.0.1', '--set', `node.dist_base_port=${base}`, 'ping'], { HOME: home, TEKKA_COOKIE: undefined })
  assert.is(ping.out.trim(), 'pong', ping.err)
  p.kill('SIGTERM')
  await p.exited
})

// ---------------------------------------------------------------- logs

test('bad log settings are refused at start naming the bad entry: TEKKA_LOG, --log-level (log.level), --log-format (log.format), for the node and for ctl', () => {
  const cases: Array<[string[], NodeJS.ProcessEnv, RegExp]> = [
    [[], { TEKKA_LOG: 'warn,heal=loud' }, /TEKKA_LOG: bad level "loud" for part heal; allowed: error, warn, info, debug/],
    [[], { TEKKA_LOG: 'verbose' }, /TEKKA_LOG: bad level "verbose"/],
    [['--log-level', 'warn,dist=nope'], {}, /log\.level: "warn,dist=nope" is not allowed \(.*\): bad level "nope" for part dist.* \[override\]/],
    [['--log-level', 'warn,he al=info'], {}, /log\.level: .*bad part "he al"/],
    [['--log-format', 'pretty'], {}, /log\.format: "pretty" is not allowed \(auto \| text \| json\)/],
    [[], { TEKKA_LOG__LEVEL: 'debug,lock=x' }, /log\.level: .*bad level "x" for part lock.*\[env TEKKA_LOG__LEVEL\]/]
  ]
  for (const [flags, env, why] of cases) {
    for (const args of [['--name', 'n1@127.0.0.1', '--cookie', 'c', ...flags], ['ctl', '--node', 'n1@127.0.0.1', '--cookie', 'c', ...flags, 'ping']]) {
      const r = run(args, env)
      assert.is(r.status, 1, `${args.join(' ')} ${JSON.stringify(env)}: ${r.err}`)
      assert.match(r.err, why, `${args.join(' ')} ${JSON.stringify(env)}`)
    }
  }
})

test('on a pipe the log is JSON, one object a line, each with the node (the logger is made before the node is named)', async () => {
  const base = await freePortRange(2)
  const p = await startNodeProcess('n1@127.0.0.1', base, [], { TEKKA_LOG__FORMAT: undefined })
  p.kill('SIGTERM')
  await p.exited
  const lines = p.lines.filter((l) => l.stream === 'stderr').map((l) => l.text)
  assert.ok(lines.length > 3, lines.join('\n'))
  const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>)
  for (const r of records) {
    assert.equal(Object.keys(r).slice(0, 5), ['time', 'level', 'node', 'part', 'msg'], JSON.stringify(r))
    assert.is(r.node, 'n1@127.0.0.1')
    assert.match(String(r.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
  }
  const listening = records.find((r) => r.msg === 'listening')
  assert.equal([listening?.level, listening?.part, listening?.port], ['info', 'tekka:dist', base + 1])
  assert.ok(records.some((r) => r.part === 'tekka' && r.msg === 'plugin started' && r.plugin === '@tekka/heal'), 'startTekka\'s own lines carry the node too')
})

test('--log-level with per-part levels and --log-format text: the longest matching part decides, on a pipe too', async () => {
  const base = await freePortRange(2)
  const p = await startNodeProcess('n1@127.0.0.1', base, ['--log-level', 'warn,dist=info,tekka:dist:handshake=warn', '--log-format', 'text'], { TEKKA_LOG: 'error', TEKKA_LOG__FORMAT: 'json' })
  p.kill('SIGTERM')
  await p.exited
  const lines = p.lines.filter((l) => l.stream === 'stderr').map((l) => l.text)
  assert.ok(lines.some((l) => /^\S+Z info tekka:dist listening node=n1@127\.0\.0\.1 /.test(l)), `dist at info, as text: ${lines.join('\n')}`)
  assert.not.ok(lines.some((l) => / info tekka plugin started/.test(l)), `tekka itself at warn: ${lines.join('\n')}`)
  assert.not.ok(lines.some((l) => l.startsWith('{')), 'no JSON line')
})

test.run()
