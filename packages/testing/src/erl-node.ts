/**
 * Real Erlang/OTP for the tests of @tekka/erlang's distribution: an epmd of
 * the test's own (never the system's 4369) and erl nodes that print what
 * they see, driven by lines on their stdin.
 *
 * ```ts
 * const epmd = await Epmd.start()
 * const e1 = await ErlNode.start({ name: 'e1@127.0.0.1', cookie: 'c', epmdPort: epmd.port, tickTime: 4 })
 * assert.is(await e1.connect('tk@127.0.0.1'), true)        // net_kernel:connect_node/1
 * await e1.waitForLine(/^nodedown tk@127\.0\.0\.1$/, 10_000)  // net_kernel:monitor_nodes(true)
 * await e1.stop(); await epmd.stop()
 * ```
 *
 * An erl node prints `ready` once up, then one line per event:
 * `nodeup N`, `nodedown N`, `connect N true|false`, `nodes [..]`,
 * `eval {ok, V} | {error, C, R}` (printed with ~w). Its stdin takes
 * `connect N`, `disconnect N`, `nodes`, `eval Exprs.` (one line, evaluated
 * in the node's main process: `eval(expr)`); it halts when stdin closes, so
 * it ends with the test process even when that dies by SIGKILL. Exit hooks
 * kill every erl and epmd started here however the test process ends.
 *
 * `portRule: { basePort }` starts erl without epmd (`-start_epmd false`)
 * with an epmd module compiled here that follows ekka_epmd's rule
 * (`basePort + trailing digits of the short name rem 60000`, kernel's
 * inet_dist_base_port), as an EMQX node runs.
 *
 * `requireErl()` throws a MissingSystemError naming Debian's erlang-base
 * when erl, erlc or epmd are missing.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import { connect } from 'node:net'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as hooks from './exit-hooks.js'
import { freePort } from './ports.js'
import { eventually } from './wait.js'
import { ServerProcess } from './server-process.js'
import { requireCommand } from './system.js'
import { requireErlang } from './erlang.js'
import { TestServerError } from './errors.js'

export { TestServerError } from './errors.js'

/** Paths of erl, erlc and epmd; a MissingSystemError (Debian erlang-base) if one is missing. */
export function requireErl (what = 'this test'): { erl: string, erlc: string, epmd: string } {
  return {
    erl: requireErlang(what),
    erlc: requireCommand('erlc', 'erlang-base', what),
    epmd: requireCommand('epmd', 'erlang-base', what)
  }
}

async function accepts (port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port })
    s.once('connect', () => { s.destroy(); resolve(true) })
    s.once('error', () => { resolve(false) })
  })
}

/** An epmd in the foreground on 127.0.0.1 and a free port: a test's own. */
export class Epmd {
  readonly port: number
  readonly #proc: ServerProcess

  private constructor (port: number, proc: ServerProcess) {
    this.port = port
    this.#proc = proc
  }

  static async start (): Promise<Epmd> {
    const { epmd } = requireErl('a test epmd')
    const port = await freePort()
    const proc = new ServerProcess(epmd, ['-port', String(port), '-address', '127.0.0.1'])
    const e = new Epmd(port, proc)
    await eventually(async () => {
      if (proc.spawnError !== undefined) throw new TestServerError(`cannot run ${epmd}: ${proc.spawnError.message}`)
      if (!proc.running) throw new TestServerError(`epmd exited: ${proc.output()}`)
      return await accepts(port)
    }, { timeout: 10_000, message: `epmd listening on 127.0.0.1:${port}` })
    return e
  }

  get running (): boolean { return this.#proc.running }
  output (): string { return this.#proc.output() }
  async stop (): Promise<void> { await this.#proc.stop('SIGTERM', 2000) }
}

/** The node's program: monitor nodes, print events, obey stdin. */
const PROGRAM = [
  'net_kernel:monitor_nodes(true, [{node_type, all}]),',
  'Main = self(),',
  "spawn_link(fun() -> Read = fun R() -> case io:get_line('') of eof -> erlang:halt(0); {error, _} -> erlang:halt(0); L -> Main ! {cmd, string:trim(L)}, R() end end, Read() end),",
  'io:format("ready~n"),',
  'Loop = fun Loop() -> receive',
  '  {cmd, "connect " ++ N} -> io:format("connect ~s ~p~n", [N, net_kernel:connect_node(list_to_atom(N))]), Loop();',
  '  {cmd, "disconnect " ++ N} -> io:format("disconnect ~s ~p~n", [N, erlang:disconnect_node(list_to_atom(N))]), Loop();',
  '  {cmd, "nodes"} -> io:format("nodes ~w~n", [nodes(connected)]), Loop();',
  '  {cmd, "eval " ++ E} -> io:format("eval ~w~n", [try {ok, Ts, _} = erl_scan:string(E), {ok, Es} = erl_parse:parse_exprs(Ts), {value, V, _} = erl_eval:exprs(Es, []), {ok, V} catch C:R -> {error, C, R} end]), Loop();',
  '  {nodeup, N, _} -> io:format("nodeup ~s~n", [N]), Loop();',
  '  {nodedown, N, _} -> io:format("nodedown ~s~n", [N]), Loop();',
  '  _ -> Loop()',
  'end end,',
  'Loop().'
].join(' ')

/** ekka_epmd's rule as an epmd module for erl's -epmd_module (no epmd at all). */
const PORT_RULE_MODULE = `-module(tekka_port_rule_epmd).
-export([start_link/0, register_node/2, register_node/3, listen_port_please/2, port_please/2, port_please/3, address_please/3, names/0, names/1]).
start_link() -> ignore.
register_node(Name, Port) -> register_node(Name, Port, inet_tcp).
register_node(_Name, _Port, _Family) -> {ok, 3 + rand:uniform(16#fffffff0)}.
listen_port_please(Name, _Host) -> {ok, port(Name)}.
port_please(Name, _Ip) -> {port, port(Name), 6}.
port_please(Name, Ip, _Timeout) -> port_please(Name, Ip).
address_please(_Name, Host, Family) -> inet:getaddr(Host, Family).
names() -> {error, no_epmd}.
names(_Host) -> {error, no_epmd}.
port(Name) ->
    Base = application:get_env(kernel, inet_dist_base_port, 4370),
    Short = re:replace(to_list(Name), "@.*$", "", [{return, list}]),
    case re:run(Short, "[0-9]+$", [{capture, first, list}]) of
        nomatch -> Base;
        {match, [Digits]} -> Base + list_to_integer(Digits) rem 60000
    end.
to_list(A) when is_atom(A) -> atom_to_list(A);
to_list(B) when is_binary(B) -> binary_to_list(B);
to_list(L) -> L.
`

export interface ErlNodeOptions {
  /** `name@host`: a long name (-name) when the host has a dot, else a short one (-sname). */
  name: string
  cookie: string
  /** The test's epmd (ERL_EPMD_PORT). Required unless `portRule`. */
  epmdPort?: number
  /** No epmd: ekka's port rule from this base port. */
  portRule?: { basePort: number }
  /** net_ticktime in seconds (erl's unit). Default erl's 60. */
  tickTime?: number
  /** More arguments to erl. */
  args?: readonly string[]
}

export class ErlNode {
  readonly name: string
  readonly child: ChildProcess
  readonly #lines: string[] = []
  readonly #exited: Promise<void>
  #unhook: (() => void) | undefined
  #dir: string | undefined

  private constructor (name: string, child: ChildProcess, dir: string | undefined) {
    this.name = name
    this.child = child
    this.#dir = dir
    let partial = ''
    const read = (d: Buffer): void => {
      const parts = (partial + d.toString('utf8')).split('\n')
      partial = parts.pop() ?? ''
      for (const p of parts) this.#lines.push(p.replace(/\r$/, ''))
      if (process.env.TEKKA_TEST_ECHO === '1') for (const p of parts) process.stderr.write(`[${name}] ${p}\n`)
    }
    child.stdout?.on('data', read)
    child.stderr?.on('data', read)
    child.stdin?.on('error', () => {})
    this.#exited = new Promise((resolve) => { child.once('exit', () => { resolve() }); child.once('error', () => { resolve() }) })
    this.#unhook = hooks.onExit(() => {
      try { child.kill('SIGKILL') } catch {}
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
    })
  }

  /** Starts erl and waits until it printed `ready` (distribution up). */
  static async start (opts: ErlNodeOptions): Promise<ErlNode> {
    const { erl, erlc } = requireErl('the Erlang distribution tests')
    const host = opts.name.slice(opts.name.indexOf('@') + 1)
    const args = ['-noshell', host.includes('.') ? '-name' : '-sname', opts.name, '-setcookie', opts.cookie]
    if (opts.tickTime !== undefined) args.push('-kernel', 'net_ticktime', String(opts.tickTime))
    const env: NodeJS.ProcessEnv = { ...process.env }
    let dir: string | undefined
    if (opts.portRule !== undefined) {
      dir = mkdtempSync(join(tmpdir(), 'tekka-erl-'))
      writeFileSync(join(dir, 'tekka_port_rule_epmd.erl'), PORT_RULE_MODULE)
      execFileSync(erlc, ['-o', dir, join(dir, 'tekka_port_rule_epmd.erl')], { stdio: 'pipe' })
      args.push('-pa', dir, '-start_epmd', 'false', '-epmd_module', 'tekka_port_rule_epmd', '-kernel', 'inet_dist_base_port', String(opts.portRule.basePort))
      delete env.ERL_EPMD_PORT
    } else {
      if (opts.epmdPort === undefined) throw new TestServerError('an erl node needs the test\'s epmdPort, or portRule (never the system epmd)')
      // Never start or use a system epmd: only the test's.
      args.push('-start_epmd', 'false')
      env.ERL_EPMD_PORT = String(opts.epmdPort)
    }
    args.push(...(opts.args ?? []), '-eval', PROGRAM)
    const child = spawn(erl, args, { env, stdio: ['pipe', 'pipe', 'pipe'] })
    const node = new ErlNode(opts.name, child, dir)
    try {
      await node.waitForLine(/^ready$/, 20_000)
    } catch (err) {
      await node.stop()
      throw err
    }
    return node
  }

  get pid (): number | undefined { return this.child.pid }
  get running (): boolean { return this.child.exitCode === null && this.child.signalCode === null }
  /** Lines printed so far (stdout and stderr). */
  get lines (): readonly string[] { return this.#lines }
  /** Index of the next line: pass to waitForLine to see only later lines. */
  mark (): number { return this.#lines.length }
  output (last = 40): string { return this.#lines.slice(-last).join('\n') }

  /** The first line (from index `since`) matching `re`; rejects with the output's tail after `timeout` ms. */
  async waitForLine (re: RegExp, timeout = 10_000, since = 0): Promise<string> {
    const found = await eventually(() => {
      const hit = this.#lines.slice(since).find((l) => re.test(l))
      if (hit !== undefined) return hit
      // Exited: stop waiting at once (undefined ends the wait; no line can come).
      return this.running ? false : undefined
    }, { timeout, interval: 20, message: `${this.name} printing ${String(re)}` }).catch((err: Error) => {
      throw new TestServerError(`${err.message}\n--- ${this.name} output:\n${this.output()}`)
    })
    if (found === undefined) throw new TestServerError(`${this.name} exited before printing ${String(re)}:\n${this.output()}`)
    return found
  }

  /** A line on its stdin (a command). */
  command (line: string): void { this.child.stdin?.write(line + '\n') }

  /** net_kernel:connect_node(peer) on the node: its answer. */
  async connect (peer: string, timeout = 15_000): Promise<boolean> {
    const since = this.mark()
    this.command(`connect ${peer}`)
    const line = await this.waitForLine(new RegExp(`^connect ${peer.replace(/[.]/g, '\\.')} (true|false|ignored)$`), timeout, since)
    return line.endsWith(' true')
  }

  /**
   * Evaluates `exprs` (Erlang expressions, one line, no final dot) in the
   * node's main process: what it printed with ~w, `{ok,V}` or
   * `{error,Class,Reason}`. Evals are answered in order; run one at a time.
   */
  async eval (exprs: string, timeout = 15_000): Promise<string> {
    const since = this.mark()
    this.command(`eval ${exprs}.`)
    const line = await this.waitForLine(/^eval /, timeout, since)
    return line.slice('eval '.length)
  }

  kill (signal: NodeJS.Signals = 'SIGKILL'): void {
    try { this.child.kill(signal) } catch {}
  }

  /** Closes its stdin (it halts), SIGKILL after `graceMs`; removes its files. */
  async stop (graceMs = 3000): Promise<void> {
    if (this.running) {
      this.child.stdin?.end()
      const t = setTimeout(() => { this.kill('SIGKILL') }, graceMs)
      await this.#exited
      clearTimeout(t)
    }
    this.#unhook?.()
    this.#unhook = undefined
    if (this.#dir !== undefined) rmSync(this.#dir, { recursive: true, force: true })
    this.#dir = undefined
  }
}
