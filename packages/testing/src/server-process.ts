// A real server binary (etcd, dnsmasq) run by a test: its output kept for
// failure messages, killed by the test process's exit hooks, and by a
// watchdog shell when the test process dies by SIGKILL (no hook runs then).
import { spawn, type ChildProcess } from 'node:child_process'
import * as hooks from './exit-hooks.js'

const KEEP_LINES = 200

export interface ServerProcessOptions {
  /** Removed by the watchdog when the test process is gone (not when only the server ended: a restart reuses it). */
  orphanDir?: string
}

export class ServerProcess {
  readonly child: ChildProcess
  /** Settles when the process exited, or could not be started. */
  readonly exited: Promise<void>
  #spawnError: Error | undefined
  readonly #lines: string[] = []
  #unhook: (() => void) | undefined
  #watchdog: ChildProcess | undefined

  constructor (bin: string, args: readonly string[], opts: ServerProcessOptions = {}) {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    this.child = child
    const keep = (d: Buffer): void => {
      for (const line of d.toString('utf8').split('\n')) if (line !== '') this.#lines.push(line)
      if (this.#lines.length > KEEP_LINES) this.#lines.splice(0, this.#lines.length - KEEP_LINES)
    }
    child.stdout?.on('data', keep)
    child.stderr?.on('data', keep)
    this.exited = new Promise<void>((resolve) => {
      child.once('error', (err) => { this.#spawnError = err; resolve() })
      child.once('exit', () => { resolve() })
    })
    this.#unhook = hooks.onExit(() => { try { child.kill('SIGKILL') } catch {} })
    const pid = child.pid
    if (pid !== undefined) {
      const cleanDir = opts.orphanDir !== undefined ? `; kill -0 ${process.pid} 2>/dev/null || rm -rf '${opts.orphanDir}'` : ''
      const script = `while kill -0 ${process.pid} 2>/dev/null && kill -0 ${pid} 2>/dev/null; do sleep 1; done; kill -9 ${pid} 2>/dev/null${cleanDir}`
      this.#watchdog = spawn('sh', ['-c', script], { stdio: 'ignore' })
      this.#watchdog.unref()
    }
  }

  /** Why the binary could not be started, if it could not. */
  get spawnError (): Error | undefined { return this.#spawnError }
  get running (): boolean { return this.child.exitCode === null && this.child.signalCode === null && this.#spawnError === undefined }
  get pid (): number | undefined { return this.child.pid }

  /** Its last lines of output. */
  output (lines = 30): string { return this.#lines.slice(-lines).join('\n') }

  /** Sends `signal`, then SIGKILL after `graceMs`; waits until it exited, and drops its exit hook and watchdog. */
  async stop (signal: NodeJS.Signals = 'SIGTERM', graceMs = 5000): Promise<void> {
    if (this.running) {
      this.child.kill(signal)
      const t = setTimeout(() => { try { this.child.kill('SIGKILL') } catch {} }, graceMs)
      await this.exited
      clearTimeout(t)
    }
    this.#unhook?.()
    this.#unhook = undefined
    try { this.#watchdog?.kill('SIGKILL') } catch {}
    this.#watchdog = undefined
  }
}
