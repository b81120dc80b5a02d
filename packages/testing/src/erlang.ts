// A real Erlang/OTP runtime for the tests of @tekka/erlang: one `erl` per
// test file (starting one costs about a second), kept running and asked
// questions over a length-prefixed protocol, so a test can have Erlang
// encode a term, decode ours, and compare them with =:=.
//
//   const erl = await ErlangPeer.start()
//   const bytes = await erl.eval('term_to_binary({ok, 1})')        // Erlang's bytes for the term
//   await erl.compare('{ok, 1}', encode(tuple(atom('ok'), 1)))      // 'true', or why not
//   await erl.decode(bytes)                                          // Erlang's term_to_binary(binary_to_term(bytes)), or undefined if it refuses them
//   await erl.stop()
//
// The Erlang side is an -eval program (ERLANG_PEER below): it reads
// requests from fd 3 and answers on fd 4, both `{packet, 4}` (its stdout
// stays free for anything the runtime prints). A request is one byte of
// operation and its payload; an answer is `o` (ok) or `x` (an error, as
// text) and its payload:
//
//   e <source>                      evaluate; answer: the value, which must be a binary. `Last` in
//                                   the source is the value the previous `e` or `k` gave
//   k <source>                      evaluate, keep it as Last; answer: term_to_binary of it
//   c <u32 n> <source: n> <bytes>   binary_to_term(bytes) =:= the source's value? answer: true, or why not
//   d <bytes>                       binary_to_term(bytes); answer: term_to_binary of it, or x badarg
//
// `requireErlang()` (which start() calls first) throws a MissingSystemError
// naming the Debian package when erl is not installed. erl never outlives
// the test file: an exit hook kills it however the test process ends, and
// it halts by itself when fd 3 closes (the test process died by SIGKILL).
import { spawn, type ChildProcess } from 'node:child_process'
import type { Readable, Writable } from 'node:stream'
import { killAtExit } from './exit-hooks.js'
import { ErlangEvalError, TestServerError } from './errors.js'
import { requireCommand } from './system.js'

export { ErlangEvalError, TestServerError } from './errors.js'

/** Throws a MissingSystemError unless erl is installed (Debian erlang-base); returns its path. */
export function requireErlang (what = 'this test'): string {
  return requireCommand(process.env.TEKKA_ERL_BIN ?? 'erl', 'erlang-base', what)
}

/** The Erlang program (erl -eval): the request loop described at the top of this file. */
export const ERLANG_PEER = `
Eval = fun (Src, Last) ->
  {ok, Toks, _} = erl_scan:string(unicode:characters_to_list(<<Src/binary, " ">>)),
  {ok, Exprs} = erl_parse:parse_exprs(Toks),
  {value, V, _} = erl_eval:exprs(Exprs, erl_eval:add_binding('Last', Last, erl_eval:new_bindings())),
  V
end,
Why = fun (Class, Reason) -> iolist_to_binary(io_lib:format("~p: ~0p", [Class, Reason])) end,
Handle = fun
  ($e, Src, Last) -> V = Eval(Src, Last), true = is_binary(V), {V, Last};
  ($k, Src, Last) -> V = Eval(Src, Last), {term_to_binary(V), V};
  ($c, <<N:32, Src:N/binary, Ours/binary>>, Last) ->
    Theirs = Eval(Src, Last),
    try binary_to_term(Ours) of
      Same when Same =:= Theirs -> {<<"true">>, Last};
      Other -> {iolist_to_binary(io_lib:format("false: ours ~0p, Erlang's ~0p", [Other, Theirs])), Last}
    catch C:R -> {<<"binary_to_term refused ours: ", (Why(C, R))/binary>>, Last}
    end;
  ($d, Bytes, Last) ->
    try binary_to_term(Bytes) of T -> {term_to_binary(T), Last}
    catch _:_ -> throw(badarg)
    end
end,
Port = open_port({fd, 3, 4}, [{packet, 4}, binary, eof]),
Loop = fun L(Last) ->
  receive
    {Port, {data, <<Op, Payload/binary>>}} ->
      {Reply, Next} = try Handle(Op, Payload, Last) of
        {R, N} -> {[$o, R], N}
      catch C:R2 -> {[$x, Why(C, R2)], Last}
      end,
      port_command(Port, Reply),
      L(Next);
    {Port, eof} -> halt(0)
  end
end,
Loop(undefined).
`

export interface ErlangPeerOptions {
  /** How long one request may take before the peer counts as hung. Default 30 s. */
  requestTimeoutMs?: number
}

export class ErlangPeer {
  readonly #child: ChildProcess
  readonly #in: Writable
  readonly #out: Readable
  readonly #unhook: () => void
  readonly #timeoutMs: number
  #buf = Buffer.alloc(0)
  #waiting: Array<{ resolve: (b: Buffer) => void, reject: (e: Error) => void }> = []
  #ended: Error | undefined
  #stderr = ''
  /** The OTP release, e.g. '25'. */
  otp = ''

  private constructor (erl: string, opts: ErlangPeerOptions) {
    this.#timeoutMs = opts.requestTimeoutMs ?? 30_000
    this.#child = spawn(erl, ['-noinput', '-eval', ERLANG_PEER], { stdio: ['ignore', 'inherit', 'pipe', 'pipe', 'pipe'] })
    const pid = this.#child.pid
    this.#unhook = pid !== undefined ? killAtExit([pid]) : () => {}
    this.#in = this.#child.stdio[3] as Writable
    this.#out = this.#child.stdio[4] as Readable
    this.#in.on('error', () => {})
    this.#child.stderr?.setEncoding('utf8')
    this.#child.stderr?.on('data', (d: string) => { this.#stderr = (this.#stderr + d).slice(-4000) })
    this.#out.on('data', (d: Buffer) => { this.#read(d) })
    this.#child.once('error', (err) => { this.#end(new TestServerError(`erl could not start: ${err.message}`)) })
    this.#child.once('exit', (code, signal) => {
      this.#unhook()
      this.#end(new TestServerError(`erl exited (${code ?? signal})${this.#stderr !== '' ? `: ${this.#stderr.trim()}` : ''}`))
    })
  }

  /** Starts erl (about a second) and waits until it answers. */
  static async start (opts: ErlangPeerOptions = {}): Promise<ErlangPeer> {
    const peer = new ErlangPeer(requireErlang('the Erlang interop tests'), opts)
    peer.otp = (await peer.eval('list_to_binary(erlang:system_info(otp_release))')).toString()
    return peer
  }

  #end (err: Error): void {
    if (this.#ended !== undefined) return
    this.#ended = err
    for (const w of this.#waiting.splice(0)) w.reject(err)
  }

  #read (d: Buffer): void {
    this.#buf = Buffer.concat([this.#buf, d])
    while (this.#buf.length >= 4) {
      const n = this.#buf.readUInt32BE(0)
      if (this.#buf.length < 4 + n) return
      const packet = this.#buf.subarray(4, 4 + n)
      this.#buf = this.#buf.subarray(4 + n)
      const w = this.#waiting.shift()
      if (w === undefined) continue
      if (packet[0] === 0x6f) w.resolve(Buffer.from(packet.subarray(1)))
      else w.reject(new ErlangEvalError(packet.subarray(1).toString('utf8')))
    }
  }

  async #request (op: string, payload: Uint8Array): Promise<Buffer> {
    if (this.#ended !== undefined) throw this.#ended
    const head = Buffer.alloc(5)
    head.writeUInt32BE(payload.length + 1, 0)
    head[4] = op.charCodeAt(0)
    const answer = new Promise<Buffer>((resolve, reject) => { this.#waiting.push({ resolve, reject }) })
    this.#in.write(Buffer.concat([head, payload]))
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => { reject(new TestServerError(`erl did not answer a '${op}' request within ${this.#timeoutMs} ms`)) }, this.#timeoutMs)
    })
    try {
      return await Promise.race([answer, timeout])
    } finally {
      clearTimeout(timer)
    }
  }

  /** The value of the Erlang expression `source` (no trailing dot), which must be a binary; `Last` is the last value `keep` made. */
  async eval (source: string): Promise<Buffer> {
    return await this.#request('e', Buffer.from(`${source}.`))
  }

  /** Evaluates `source`, keeps its value as `Last` (for a later `compare('Last', ...)`), and gives Erlang's term_to_binary of it. */
  async keep (source: string): Promise<Buffer> {
    return await this.#request('k', Buffer.from(`${source}.`))
  }

  /** Whether Erlang's binary_to_term of `ours` is =:= the value of `source`: 'true', or text saying what it was instead (or why it was refused). */
  async compare (source: string, ours: Uint8Array): Promise<string> {
    const src = Buffer.from(`${source}.`)
    const n = Buffer.alloc(4)
    n.writeUInt32BE(src.length, 0)
    return (await this.#request('c', Buffer.concat([n, src, ours]))).toString('utf8')
  }

  /** Erlang's term_to_binary(binary_to_term(bytes)), or undefined when binary_to_term refuses the bytes. */
  async decode (bytes: Uint8Array): Promise<Buffer | undefined> {
    try {
      return await this.#request('d', bytes)
    } catch (err) {
      if (err instanceof ErlangEvalError) return undefined
      throw err
    }
  }

  /** Closes its input (it halts), SIGKILL after `graceMs`; resolves once it has exited. */
  async stop (graceMs = 5000): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return
    const exited = new Promise<void>((resolve) => { this.#child.once('exit', () => { resolve() }) })
    this.#in.end()
    const timer = setTimeout(() => { this.#child.kill('SIGKILL') }, graceMs)
    await exited
    clearTimeout(timer)
  }
}
