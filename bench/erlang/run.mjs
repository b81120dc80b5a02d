// Runs the Erlang/OTP side of tekka's side-by-side (tekka_bench.erl beside
// this file) when `erl` and `erlc` are on PATH: compiles it with erlc into a
// temp dir, then runs one group of workloads at a time, handing back the JSON
// lines it prints. scripts/bench.mjs runs the "local" group right after
// packages/actors/build/bench/local.js and the "remote" group right after
// packages/dist/build/bench/remote.js, and puts each Erlang figure next to
// tekka's in its table.
//
// The remote group needs two Erlang nodes on loopback: a private epmd on a
// free port (ERL_EPMD_PORT, so neither a system epmd nor another run is
// touched, and none is left behind), a peer node and a measuring node, both
// `-name x@127.0.0.1` with a cookie made for the run, distribution bound to
// 127.0.0.1. Every child is stopped when its run ends, killed if this
// process exits or gets SIGINT / SIGTERM / SIGHUP first, and halts by itself
// when its stdin (a pipe from this process) closes, for when this process
// dies by SIGKILL. The temp dir is removed by close() and on exit.
//
// Usage on its own: node bench/erlang/run.mjs [local] [remote]
//   prints only the Erlang program's JSON lines (or the skip line); exit 1
//   if a run failed. TEKKA_BENCH_RUNS, TEKKA_BENCH_SCALE and TEKKA_BENCH_ONLY
//   work as for tekka's benches; TEKKA_BENCH_ERLANG=0 turns the side-by-side off.
import { spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { killOnExit } from '@tekka/testing/bench'
import { freePort } from '@tekka/testing/ports'
import { findCommand } from '@tekka/testing/system'

const here = dirname(fileURLToPath(import.meta.url))
/** The Erlang program, as scripts/bench.mjs names it in its results. */
export const ERLANG_SOURCE = 'bench/erlang/tekka_bench.erl'
const MODULE = 'tekka_bench'

/** Each group of Erlang workloads, by the tekka bench file (relative to the repository root) it is compared with. */
export const GROUPS = {
  local: 'packages/actors/build/bench/local.js',
  remote: 'packages/dist/build/bench/remote.js'
}

const DEFAULTS = {
  /** A whole group's run, like scripts/bench.mjs's per-file timeout. */
  timeoutMs: 30 * 60_000,
  /** Waiting for epmd to listen and for the peer node to say it is up. */
  startMs: 20_000,
  /** Between closing a child's stdin (or SIGTERM) and SIGKILL. */
  stopMs: 5_000
}

/** The one line printed when the side-by-side does not run. */
export function skipLine (reason) {
  return `erlang side-by-side skipped: ${reason}`
}

// ---- children: killed with this process (@tekka/testing's killOnExit) -------------

const tempDirs = new Set()
process.on('exit', () => { for (const d of tempDirs) rmSync(d, { recursive: true, force: true }) })

/**
 * Starts `cmd args` with stdin a pipe (closed to stop it), stderr inherited,
 * and each stdout line handed to `onLine`.
 */
function start (cmd, args, env, onLine, killSignal = 'SIGKILL') {
  const child = spawn(cmd, args, { env, stdio: ['pipe', 'pipe', 'inherit'] })
  killOnExit(child, killSignal)
  child.stdin.on('error', () => {})
  const exited = new Promise((resolve) => {
    child.once('error', (err) => { console.error(`${cmd}: ${err.message}`); resolve({ code: null, signal: null }) })
    child.once('close', (code, signal) => { resolve({ code, signal }) })
  })
  let buf = ''
  child.stdout.setEncoding('utf8')
  child.stdout.on('data', (d) => {
    buf += d
    let i
    while ((i = buf.indexOf('\n')) >= 0) { onLine(buf.slice(0, i)); buf = buf.slice(i + 1) }
  })
  child.stdout.once('end', () => { if (buf !== '') onLine(buf); buf = '' })
  /** Closes stdin (the child halts by itself), then SIGKILL after `stopMs`; resolves once it has exited. */
  const stop = async (signal) => {
    if (child.exitCode === null && child.signalCode === null) {
      if (signal !== undefined) child.kill(signal)
      child.stdin.end()
      const timer = setTimeout(() => { child.kill('SIGKILL') }, DEFAULTS.stopMs)
      await exited
      clearTimeout(timer)
    }
    return await exited
  }
  return { child, exited, stop }
}

/** Resolves with the first line of `lines` (fed by a child's onLine) that matches `re`, or rejects after `ms`. */
function waitLine (re, ms, what) {
  let resolveLine
  const got = new Promise((resolve) => { resolveLine = resolve })
  const feed = (line) => {
    const m = re.exec(line)
    if (m !== null) resolveLine(m)
  }
  const wait = (exited) => {
    let timer
    const timeout = new Promise((_resolve, reject) => { timer = setTimeout(() => { reject(new Error(`${what}: not up within ${ms} ms`)) }, ms) })
    const died = exited.then(({ code, signal }) => { throw new Error(`${what}: exited with ${code ?? signal} before it was up`) })
    return Promise.race([got, timeout, died]).finally(() => { clearTimeout(timer) })
  }
  return { feed, wait }
}

/**
 * epmd on `port`, loopback only. epmd ignores its stdin, so a small shell
 * holds it instead: when the shell's stdin closes (this process stopping it,
 * or dying, even by SIGKILL) or it gets SIGTERM, it kills epmd and waits for
 * it. SIGTERM is what stops it on exit: SIGKILL would leave epmd behind.
 */
function startEpmd (epmd, port, env) {
  const script = '"$@" </dev/null & p=$!; trap \'kill $p 2>/dev/null; wait $p 2>/dev/null; exit 0\' EXIT INT TERM HUP; cat >/dev/null'
  return start('/bin/sh', ['-c', script, 'sh', epmd, '-port', String(port), '-address', '127.0.0.1'], env,
    (line) => { console.log(`  | epmd: ${line}`) }, 'SIGTERM')
}

/** Waits until epmd on `port` answers a NAMES_REQ (a bare connect would have it log a partial packet). */
async function waitEpmd (port, ms) {
  const until = Date.now() + ms
  for (;;) {
    const ok = await new Promise((resolve) => {
      const s = connect({ host: '127.0.0.1', port })
      s.once('connect', () => { s.write(Buffer.from([0, 1, 110])) })
      s.once('data', () => { s.destroy(); resolve(true) })
      s.once('error', () => { resolve(false) })
      s.once('close', () => { resolve(false) })
    })
    if (ok) return
    if (Date.now() > until) throw new Error(`epmd: not answering on 127.0.0.1:${port} within ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

// ---- the side-by-side ---------------------------------------------------------------

const TEMP_PREFIX = 'tekka-erlang-bench-'

/** Removes the temp dirs of runs whose process is gone (killed by SIGKILL: no exit handler ran). */
function removeStaleDirs () {
  let names = []
  try { names = readdirSync(tmpdir()) } catch {}
  for (const name of names) {
    const m = new RegExp(`^${TEMP_PREFIX}(\\d+)-`).exec(name)
    if (m === null || Number(m[1]) === process.pid) continue
    try { process.kill(Number(m[1]), 0); continue } catch (err) { if (err.code !== 'ESRCH') continue }
    rmSync(join(tmpdir(), name), { recursive: true, force: true })
  }
}

/**
 * Gets the Erlang side ready: finds erl and erlc, compiles the program, asks
 * the runtime what it is. Resolves with `{ skipped: reason }` when it cannot
 * run here (no erl, or TEKKA_BENCH_ERLANG=0), `{ failed: message }` when it
 * should have and could not (the program does not compile), or
 * `{ info, run(group, onLine), close() }`.
 */
export async function openErlangBench (options = {}) {
  const env = options.env ?? process.env
  const timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs
  if (env.TEKKA_BENCH_ERLANG === '0') return { skipped: 'TEKKA_BENCH_ERLANG=0' }
  const erl = findCommand('erl')
  const erlc = findCommand('erlc')
  const install = 'install Erlang/OTP to compare (Debian: apt-get install erlang-base)'
  if (erl === undefined) return { skipped: `erl is not on PATH; ${install}` }
  if (erlc === undefined) return { skipped: `erlc is not on PATH (erl is, at ${erl}); ${install}` }

  removeStaleDirs()
  const dir = mkdtempSync(join(tmpdir(), `${TEMP_PREFIX}${process.pid}-`))
  tempDirs.add(dir)
  const close = () => {
    rmSync(dir, { recursive: true, force: true })
    tempDirs.delete(dir)
  }
  const failed = (message) => { close(); return { failed: message } }
  const compiled = spawnSync(erlc, ['-Werror', '-o', dir, join(here, `${MODULE}.erl`)], { env, encoding: 'utf8' })
  if (compiled.status !== 0) return failed(`erlc ${ERLANG_SOURCE}: ${(compiled.stderr + compiled.stdout).trim() || `exited with ${compiled.status ?? compiled.signal}`}`)
  const asked = spawnSync(erl, ['-noshell', '-pa', dir, '-run', MODULE, 'info'], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: DEFAULTS.startMs })
  let info
  try { info = JSON.parse(asked.stdout.trim()) } catch {}
  if (asked.status !== 0 || typeof info?.otp !== 'string') return failed(`erl -run ${MODULE} info: ${(asked.stderr ?? '').trim() || `exited with ${asked.status ?? asked.signal}`}`)

  const scale = Number(env.TEKKA_BENCH_SCALE ?? 1)
  // Room for local.spawn's million processes (and more at a larger scale): erl's default limit is 262,144.
  const processLimit = String(Math.min(134_217_727, Math.max(1_048_576, Math.ceil(2 * 1_000_000 * (Number.isFinite(scale) ? scale : 1)) + 65_536)))

  /** Runs one run of `args` to its end (or the timeout), each stdout line to `onLine`. */
  async function runToEnd (args, runEnv, onLine) {
    const main = start(erl, ['-noshell', '-pa', dir, ...args], runEnv, onLine)
    const timer = setTimeout(() => { void main.stop('SIGKILL') }, timeoutMs)
    const r = await main.exited
    clearTimeout(timer)
    return r
  }

  async function runLocal (onLine) {
    return await runToEnd(['+P', processLimit, '-run', MODULE, 'local'], env, onLine)
  }

  async function runRemote (onLine) {
    const epmd = [info.epmd, findCommand('epmd')].find((p) => p !== undefined && existsSync(p))
    if (epmd === undefined) {
      console.error(`epmd not found (neither ${info.epmd} nor on PATH): the remote Erlang benchmarks need it`)
      return { code: null, signal: null }
    }
    const port = await freePort()
    const nodeEnv = { ...env, ERL_EPMD_PORT: String(port) }
    const cookie = randomBytes(16).toString('hex')
    const tag = `${process.pid}_${randomBytes(3).toString('hex')}`
    const peerName = `tekka_bench_peer_${tag}@127.0.0.1`
    const dist = (name) => ['-name', name, '-setcookie', cookie, '-start_epmd', 'false', '-kernel', 'inet_dist_use_interface', '{127,0,0,1}']
    const started = []
    try {
      started.push(startEpmd(epmd, port, nodeEnv))
      await waitEpmd(port, DEFAULTS.startMs)
      const up = waitLine(/^tekka_bench peer ready/, DEFAULTS.startMs, `Erlang peer node ${peerName}`)
      const peer = start(erl, ['-noshell', '-pa', dir, ...dist(peerName), '-run', MODULE, 'peer'], nodeEnv, (line) => {
        up.feed(line)
        if (!line.startsWith('tekka_bench peer ready')) console.log(`  | peer: ${line}`)
      })
      started.push(peer)
      await up.wait(peer.exited)
      return await runToEnd([...dist(`tekka_bench_${tag}@127.0.0.1`), '-run', MODULE, 'remote', peerName], nodeEnv, onLine)
    } catch (err) {
      console.error(err.message)
      return { code: null, signal: null }
    } finally {
      // Each stops when its stdin closes: the peer halts, epmd's shell kills it.
      await Promise.all(started.map((c) => c.stop()))
    }
  }

  /** Runs the group's workloads; resolves with how the measuring node exited and how long it took. */
  async function run (group, onLine) {
    const t0 = Date.now()
    const r = group === 'local' ? await runLocal(onLine) : group === 'remote' ? await runRemote(onLine) : undefined
    if (r === undefined) throw new Error(`unknown Erlang bench group ${group}; expected one of ${Object.keys(GROUPS).join(', ')}`)
    return { ...r, seconds: (Date.now() - t0) / 1000 }
  }

  return { info, run, close }
}

// ---- on its own ----------------------------------------------------------------------

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const groups = process.argv.slice(2)
  const unknown = groups.filter((g) => !(g in GROUPS))
  if (unknown.length > 0) {
    console.error(`unknown group ${unknown.join(' ')}; usage: node bench/erlang/run.mjs [${Object.keys(GROUPS).join('] [')}]`)
    process.exit(2)
  }
  const bench = await openErlangBench()
  if (bench.skipped !== undefined) {
    console.log(skipLine(bench.skipped))
  } else if (bench.failed !== undefined) {
    console.error(bench.failed)
    process.exitCode = 1
  } else {
    try {
      for (const g of groups.length > 0 ? groups : Object.keys(GROUPS)) {
        const r = await bench.run(g, (line) => { console.log(line) })
        if (r.code !== 0) {
          console.error(`erlang ${g}: exited with ${r.code ?? r.signal ?? 'an error'} after ${r.seconds.toFixed(1)} s`)
          process.exitCode = 1
        }
      }
    } finally {
      bench.close()
    }
  }
}
