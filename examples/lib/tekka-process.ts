/**
 * `tekka` nodes as child processes, for the examples' launchers and the
 * cluster demo: start one (`spawnTekka`: `tekka --name NAME ... app.js`;
 * not the `tekka` package's `startTekka`, which starts a node in this
 * process), read its output
 * line by line, wait for a line, stop it (SIGTERM, then SIGKILL after a
 * timeout) or kill it.
 *
 * No child outlives its launcher: each one is started with the stdin guard
 * (stdin-guard.ts), which ends it when the launcher's end of its stdin pipe
 * closes, and `killAllSync()` is there for the launcher's exit path.
 * Children run in a process group of their own, so Ctrl-C in a terminal
 * reaches the launcher only, which then stops them in order.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { EventEmitter } from 'node:events'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The `tekka` command's entry: bin.js next to the `tekka` package's index (packages/tekka/build/src/bin.js). */
export const TEKKA_BIN = join(dirname(fileURLToPath(import.meta.resolve('tekka'))), 'bin.js')

/** The repository root: children run there, so the `tekka` command finds the plugin packages. */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')

const GUARD = new URL('./stdin-guard.js', import.meta.url).href

export interface TekkaSpec {
  /** `name@host`. */
  name: string
  cookie: string
  /** The app module (a compiled .js file), or none. */
  app?: string
  /** More arguments of the command (`--port 0`). */
  args?: readonly string[]
  /** Configuration keys, passed as `--set key=value`. */
  settings?: Record<string, string | number>
  /** Added to the environment (`undefined` removes a variable). */
  env?: NodeJS.ProcessEnv
  /** TEKKA_LOG of the node (default `error`: the examples print what matters themselves). */
  log?: 'debug' | 'info' | 'warn' | 'error'
}

export interface ExitInfo { code: number | null, signal: NodeJS.Signals | null }

/** What a TekkaProcess emits: each line of its output, and its exit. */
interface TekkaProcessEvents {
  line: [text: string, stream: 'stdout' | 'stderr']
  exit: [info: ExitInfo]
}

/**
 * A `tekka` node running as a child process. Emits `line` (text, stream)
 * and `exit` (ExitInfo). An EventEmitter as ChildProcess is one: this is an
 * OS process seen from its launcher, not a tekka part, and what the node
 * itself sees is on its own event stream, in its own process.
 */
export class TekkaProcess extends EventEmitter<TekkaProcessEvents> {
  readonly name: string
  readonly pid: number
  readonly child: ChildProcess
  /** Resolves once the process has exited. */
  readonly exited: Promise<ExitInfo>
  #exit: ExitInfo | undefined
  readonly #lines: Array<{ text: string, stream: 'stdout' | 'stderr' }> = []

  /** @internal use spawnTekka */
  constructor (name: string, child: ChildProcess) {
    super()
    if (child.pid === undefined) throw new Error(`${name}: the tekka command could not be started`)
    this.name = name
    this.pid = child.pid
    this.child = child
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.#exit = { code, signal }
        live.delete(this)
        this.emit('exit', this.#exit)
        resolve(this.#exit)
      })
    })
    this.#read(child.stdout, 'stdout')
    this.#read(child.stderr, 'stderr')
  }

  get running (): boolean { return this.#exit === undefined }
  get exitInfo (): ExitInfo | undefined { return this.#exit }

  /** The output so far (both streams, in arrival order). */
  output (): string { return this.#lines.map((l) => l.text).join('\n') }

  /** Resolves with the first line (printed so far or later) that matches; rejects after `timeoutMs`, or when the process ends first. */
  async waitForLine (re: RegExp, timeoutMs: number, signal?: AbortSignal): Promise<string> {
    const seen = this.#lines.find((l) => re.test(l.text))
    if (seen !== undefined) return seen.text
    return await new Promise<string>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer)
        this.off('line', onLine)
        this.off('exit', onExit)
        signal?.removeEventListener('abort', onAbort)
      }
      const onLine = (text: string): void => { if (re.test(text)) { done(); resolve(text) } }
      const onExit = (e: ExitInfo): void => {
        done()
        reject(new Error(`${this.name} exited (${e.signal ?? `code ${String(e.code)}`}) before printing ${String(re)}\n${this.#tail()}`))
      }
      const onAbort = (): void => { done(); reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted')) }
      const timer = setTimeout(() => {
        done()
        reject(new Error(`${this.name}: no line matching ${String(re)} within ${timeoutMs} ms\n${this.#tail()}`))
      }, timeoutMs)
      this.on('line', onLine)
      this.once('exit', onExit)
      signal?.addEventListener('abort', onAbort, { once: true })
      if (!this.running) onExit(this.#exit!)
    })
  }

  /** Sends a signal; false if the process has already exited. */
  kill (signal: NodeJS.Signals = 'SIGTERM'): boolean {
    if (!this.running) return false
    try { return this.child.kill(signal) } catch { return false }
  }

  /** SIGTERM (the node stops its app and closes its links), then SIGKILL after `timeoutMs`. */
  async stop (timeoutMs = 5000): Promise<ExitInfo> {
    if (this.#exit !== undefined) return this.#exit
    this.kill('SIGTERM')
    const timer = setTimeout(() => { this.kill('SIGKILL') }, timeoutMs)
    try { return await this.exited } finally { clearTimeout(timer) }
  }

  #read (stream: NodeJS.ReadableStream | null, name: 'stdout' | 'stderr'): void {
    if (stream === null) return
    stream.setEncoding('utf8')
    let partial = ''
    const push = (text: string): void => {
      this.#lines.push({ text, stream: name })
      if (this.#lines.length > 2000) this.#lines.shift()
      this.emit('line', text, name)
    }
    stream.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n')
      partial = parts.pop() ?? ''
      for (const p of parts) push(p)
    })
    stream.on('end', () => { if (partial !== '') push(partial); partial = '' })
  }

  #tail (): string {
    return this.#lines.slice(-15).map((l) => `  ${l.stream === 'stderr' ? '!' : ' '} ${l.text}`).join('\n')
  }
}

const live = new Set<TekkaProcess>()

/** Starts `tekka --name NAME [--set k=v ...] [app]` with the stdin guard; returns at once. */
export function spawnTekka (spec: TekkaSpec): TekkaProcess {
  const args = ['--import', GUARD, TEKKA_BIN, '--name', spec.name]
  args.push(...(spec.args ?? []))
  for (const [k, v] of Object.entries(spec.settings ?? {})) args.push('--set', `${k}=${v}`)
  if (spec.app !== undefined) args.push(spec.app)
  const env: NodeJS.ProcessEnv = { ...process.env, TEKKA_COOKIE: spec.cookie, TEKKA_LOG: spec.log ?? 'error', TEKKA_LOG__FORMAT: process.env.TEKKA_LOG__FORMAT ?? 'text', TEKKA_STDIN_GUARD: '1' }
  for (const [k, v] of Object.entries(spec.env ?? {})) {
    if (v === undefined) delete env[k]
    else env[k] = v
  }
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true })
  // A child that is gone must not crash the launcher with EPIPE.
  child.stdin?.on('error', () => {})
  const p = new TekkaProcess(spec.name, child)
  live.add(p)
  return p
}

/** Children still running. */
export function liveTekkaProcesses (): TekkaProcess[] {
  return [...live]
}

/** SIGKILL to every child still running: synchronous, for a launcher's `exit` handler. */
export function killAllSync (): void {
  for (const p of live) p.kill('SIGKILL')
}

/** Stops every child still running (SIGTERM, then SIGKILL after `timeoutMs`). */
export async function stopAll (timeoutMs = 5000): Promise<void> {
  await Promise.all([...live].map(async (p) => await p.stop(timeoutMs)))
}
