/**
 * Real OS processes for multi-node tests: start a JS entry with node, read
 * its output line by line, wait for a line, signal it, await its exit.
 *
 * ```ts
 * const n1 = spawnNode({ entry: cliPath, args: ['--name', 'n1@127.0.0.2'], env: { TEKKA_COOKIE: 'c' } })
 * await n1.waitForLine(/started/, 10_000)
 * n1.kill('SIGTERM')
 * assert.equal((await n1.exited).signal, 'SIGTERM')
 * ```
 *
 * No child outlives the test file: every live child is killed when the test
 * process exits, throws, or is signalled (exit-hooks.ts), and each child
 * carries an orphan guard that ends it if the test process dies by SIGKILL.
 *
 * A child does not keep the test process alive by itself (its handles are
 * unref'd), so a test file that forgets to stop a node still ends (and the
 * exit clean-up kills the node) instead of hanging until the runner's timeout.
 * Reading `exited` (directly, or through `stop()`) holds the process alive
 * until the child has exited, so `await p.exited` always settles.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { basename } from 'node:path'
import { fileURLToPath } from 'node:url'
import { onExit } from './exit-hooks.js'
import { SpawnError, WaitForLineError } from './errors.js'

export { SpawnError, WaitForLineError } from './errors.js'

/** Whether a process with this pid exists (EPERM: it does, but is not ours to signal). */
export function pidAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

export interface SpawnNodeOptions {
  /** The JS file to run with node. */
  entry: string
  /** Arguments after the entry. */
  args?: readonly string[]
  /** Arguments to node itself, before the entry (`--expose-gc`). */
  nodeArgs?: readonly string[]
  /** Variables added to this process's environment (a value of `undefined` removes one). */
  env?: NodeJS.ProcessEnv
  /** Start from an empty environment instead of this process's (PATH and HOME are kept). */
  cleanEnv?: boolean
  cwd?: string
  /** Label used in errors and echoed output. Default: the entry's file name and the pid. */
  name?: string
  /** Mirror the child's lines to this process's stderr. Default: TEKKA_TEST_ECHO=1. */
  echo?: boolean
  /**
   * End the child if this process disappears without cleaning up (SIGKILL,
   * test-runner timeout). Default true. Works by preloading orphan-guard.js.
   */
  orphanGuard?: boolean
  /** Signal the exit clean-up sends to children still alive. Default SIGKILL (it cannot wait for a graceful stop). */
  exitSignal?: NodeJS.Signals
  /** Lines kept in memory; older ones are dropped. Default 20000. */
  maxLines?: number
}

export interface OutputLine {
  readonly stream: 'stdout' | 'stderr'
  readonly text: string
  /** Index of the line since the start (stable even when old lines are dropped). */
  readonly index: number
  readonly time: number
}

export interface ExitInfo {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
}

export interface WaitForLineOptions {
  /** Only consider lines with an index >= since (see `mark()`). Default 0: the whole output so far. */
  since?: number
  /** Only this stream. Default both. */
  stream?: 'stdout' | 'stderr'
  signal?: AbortSignal
}


interface Waiter {
  readonly pattern: RegExp
  readonly since: number
  readonly stream: 'stdout' | 'stderr' | undefined
  resolve: (m: LineMatch) => void
  reject: (e: Error) => void
}

/** A regex match plus the line it matched. */
export type LineMatch = RegExpExecArray & { readonly line: OutputLine }

const live = new Set<NodeProcess>()
let unregisterExitHook: (() => void) | undefined

const ORPHAN_GUARD = new URL('./orphan-guard.js', import.meta.url).href

/** A child node process and its captured output. */
export class NodeProcess {
  readonly name: string
  readonly pid: number
  readonly child: ChildProcess
  readonly #exited: Promise<ExitInfo>
  #exitInfo: ExitInfo | undefined
  #closed = false
  readonly #lines: OutputLine[] = []
  #count = 0
  readonly #maxLines: number
  readonly #echo: boolean
  readonly #waiters = new Set<Waiter>()
  readonly #exitSignal: NodeJS.Signals

  /** @internal use spawnNode */
  constructor (child: ChildProcess, name: string, opts: { echo: boolean, maxLines: number, exitSignal: NodeJS.Signals }) {
    if (child.pid === undefined) throw new SpawnError(`${name}: spawn failed`)
    this.child = child
    this.pid = child.pid
    this.name = name
    this.#echo = opts.echo
    this.#maxLines = opts.maxLines
    this.#exitSignal = opts.exitSignal
    this.#exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.#exitInfo = { code, signal }
        live.delete(this)
        resolve(this.#exitInfo)
      })
    })
    // 'close' comes after the output streams ended: only then can no more
    // lines arrive, so only then do pending waits fail.
    child.once('close', () => {
      this.#closed = true
      for (const w of [...this.#waiters]) w.reject(this.#endedError(w.pattern))
    })
    this.#read(child.stdout, 'stdout')
    this.#read(child.stderr, 'stderr')
    child.unref()
    for (const s of [child.stdin, child.stdout, child.stderr]) (s as { unref?: () => void } | null)?.unref?.()
  }

  /** Resolves (never rejects) when the process has exited. Reading it keeps the test process alive until then. */
  get exited (): Promise<ExitInfo> {
    if (this.#exitInfo === undefined) this.child.ref()
    return this.#exited
  }

  /** Exit code and signal once exited, else undefined. */
  get exitInfo (): ExitInfo | undefined { return this.#exitInfo }
  get running (): boolean { return this.#exitInfo === undefined }

  /** Lines kept so far, oldest first (both streams, in arrival order). */
  get lines (): readonly OutputLine[] { return this.#lines }

  /** Index the next line will have: pass as `since` to wait only for lines printed after this point. */
  mark (): number { return this.#count }

  /** Captured output as text, one line per line (`stream` to pick one). */
  output (stream?: 'stdout' | 'stderr'): string {
    return this.#lines.filter((l) => stream === undefined || l.stream === stream).map((l) => l.text).join('\n')
  }

  /**
   * The first line (at or after `since`) that matches. Lines already printed
   * count, so there is no race with a line printed before the call. Rejects
   * with the tail of the output when `timeoutMs` passes or the process ends.
   */
  async waitForLine (pattern: RegExp | string, timeoutMs = 10_000, opts: WaitForLineOptions = {}): Promise<LineMatch> {
    const re = typeof pattern === 'string' ? new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : pattern
    const since = opts.since ?? 0
    for (const line of this.#lines) {
      const m = this.#match(re, line, since, opts.stream)
      if (m !== undefined) return m
    }
    if (this.#closed) throw this.#endedError(re)
    opts.signal?.throwIfAborted()
    return await new Promise<LineMatch>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer)
        this.#waiters.delete(waiter)
        opts.signal?.removeEventListener('abort', onAbort)
      }
      const waiter: Waiter = {
        pattern: re,
        since,
        stream: opts.stream,
        resolve: (m) => { done(); resolve(m) },
        reject: (e) => { done(); reject(e) }
      }
      const onAbort = (): void => { waiter.reject(opts.signal?.reason as Error) }
      const timer = setTimeout(() => {
        waiter.reject(new WaitForLineError(`${this.name}: no line matching ${String(re)} within ${timeoutMs} ms\n${this.#tail()}`))
      }, timeoutMs)
      opts.signal?.addEventListener('abort', onAbort, { once: true })
      this.#waiters.add(waiter)
    })
  }

  /** Write to the child's stdin (a newline is not added). */
  write (text: string): void {
    this.child.stdin?.write(text)
  }

  /** Send a signal (default SIGTERM). False if the process had already exited. */
  kill (signal: NodeJS.Signals = 'SIGTERM'): boolean {
    if (this.#exitInfo !== undefined) return false
    try {
      return this.child.kill(signal)
    } catch {
      return false
    }
  }

  /** Signal, then SIGKILL if it has not exited after `timeoutMs`; resolves with how it ended. */
  async stop (signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 5000): Promise<ExitInfo> {
    if (this.#exitInfo !== undefined) return this.#exitInfo
    this.kill(signal)
    const timer = setTimeout(() => { this.kill('SIGKILL') }, timeoutMs)
    try {
      return await this.exited
    } finally {
      clearTimeout(timer)
    }
  }

  /** @internal exit clean-up */
  killForExit (): void {
    this.kill(this.#exitSignal)
  }

  #match (re: RegExp, line: OutputLine, since: number, stream: string | undefined): LineMatch | undefined {
    if (line.index < since || (stream !== undefined && line.stream !== stream)) return undefined
    re.lastIndex = 0
    const m = re.exec(line.text)
    if (m === null) return undefined
    return Object.assign(m, { line })
  }

  #read (stream: NodeJS.ReadableStream | null, name: 'stdout' | 'stderr'): void {
    if (stream === null) return
    stream.setEncoding('utf8')
    let partial = ''
    stream.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n')
      partial = parts.pop() ?? ''
      for (const p of parts) this.#push(name, p.endsWith('\r') ? p.slice(0, -1) : p)
    })
    stream.on('end', () => { if (partial !== '') this.#push(name, partial); partial = '' })
  }

  #push (stream: 'stdout' | 'stderr', text: string): void {
    const line: OutputLine = { stream, text, index: this.#count++, time: Date.now() }
    this.#lines.push(line)
    if (this.#lines.length > this.#maxLines) this.#lines.shift()
    if (this.#echo) process.stderr.write(`[${this.name}${stream === 'stderr' ? '!' : ''}] ${text}\n`)
    for (const w of [...this.#waiters]) {
      const m = this.#match(w.pattern, line, w.since, w.stream)
      if (m !== undefined) w.resolve(m)
    }
  }

  #tail (n = 30): string {
    const lines = this.#lines.slice(-n).map((l) => `  ${l.stream === 'stderr' ? '!' : ' '} ${l.text}`)
    return lines.length === 0 ? '  (no output)' : `last output:\n${lines.join('\n')}`
  }

  #endedError (re: RegExp): WaitForLineError {
    const how = this.#exitInfo === undefined ? 'closed its output' : `exited (${this.#exitInfo.signal ?? `code ${String(this.#exitInfo.code)}`})`
    return new WaitForLineError(`${this.name}: ${how} before printing a line matching ${String(re)}\n${this.#tail()}`)
  }
}

/** Start `node [nodeArgs] entry [args]` with output captured line by line. */
export function spawnNode (opts: SpawnNodeOptions): NodeProcess {
  const base: NodeJS.ProcessEnv = opts.cleanEnv === true
    ? { PATH: process.env.PATH, HOME: process.env.HOME }
    : { ...process.env }
  // Text log lines unless asked otherwise: tests match them (a pipe would get JSON by default).
  const env: NodeJS.ProcessEnv = { ...base, TEKKA_LOG__FORMAT: process.env.TEKKA_LOG__FORMAT ?? 'text' }
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === undefined) delete env[k]
    else env[k] = v
  }
  const guard = opts.orphanGuard ?? true
  const nodeArgs = [...(opts.nodeArgs ?? [])]
  if (guard) {
    nodeArgs.unshift('--import', ORPHAN_GUARD)
    env.TEKKA_TEST_PARENT_PID = String(process.pid)
  }
  const child = spawn(process.execPath, [...nodeArgs, opts.entry, ...(opts.args ?? [])], {
    cwd: opts.cwd,
    env,
    // Same process group as the test: the test runner's group kill reaches children too.
    stdio: ['pipe', 'pipe', 'pipe']
  })
  // A child that exits while we write to it must not crash the test with EPIPE.
  child.stdin?.on('error', () => {})
  const label = opts.name ?? `${basename(opts.entry)}#${String(child.pid)}`
  if (child.pid === undefined) {
    throw new SpawnError(`${label}: cannot start ${process.execPath} ${opts.entry}`)
  }
  const proc = new NodeProcess(child, label, {
    echo: opts.echo ?? process.env.TEKKA_TEST_ECHO === '1',
    maxLines: opts.maxLines ?? 20_000,
    exitSignal: opts.exitSignal ?? 'SIGKILL'
  })
  live.add(proc)
  unregisterExitHook ??= onExit(() => {
    unregisterExitHook = undefined
    killAllChildren()
  })
  return proc
}

/** Children started by spawnNode that have not exited yet. */
export function liveProcesses (): NodeProcess[] {
  return [...live]
}

/** Signal every live child (each with its own exit signal unless `signal` is given). Synchronous, for exit paths. */
export function killAllChildren (signal?: NodeJS.Signals): void {
  for (const p of live) {
    if (signal === undefined) p.killForExit()
    else p.kill(signal)
  }
}

/** Stop every live child gracefully (signal, then SIGKILL after `timeoutMs`); for `test.after`. */
export async function stopAll (signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 5000): Promise<void> {
  await Promise.all([...live].map(async (p) => await p.stop(signal, timeoutMs)))
}

/** The `tekka` command's entry (built), for tests that start real nodes. */
export const TEKKA_BIN = fileURLToPath(new URL('../../../tekka/build/src/bin.js', import.meta.url))
