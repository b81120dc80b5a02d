/**
 * What every example launcher needs around its `tekka` child processes: a
 * cookie and a data directory of its own for this run, Ctrl-C handling, and
 * cleanup on every way out.
 *
 * - SIGINT, SIGTERM and SIGHUP abort `signal` (the launcher then stops its
 *   nodes in order and exits); the handlers stay installed, so a second
 *   Ctrl-C (npm forwards it again) cannot cut the shutdown short.
 * - On exit, however it comes (an exception included), nodes still running
 *   get SIGKILL and the data directory is removed. A launcher killed with
 *   SIGKILL cannot run this: its nodes then end by the stdin guard.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { UsageError } from 'tekka'
import { killAllSync, stopAll } from './tekka-process.js'

/** A mistake on a launcher's command line: the `tekka` command's own (`ERR_USAGE`); the launchers exit 2 with it. */
export { UsageError }

export class Launcher {
  /** A fresh cookie: nodes of another run (or anyone else's) cannot join these. */
  readonly cookie = randomBytes(12).toString('hex')
  /** Parent of the nodes' `node.data_dir`s; removed at exit. */
  readonly dataDir: string
  readonly #abort = new AbortController()
  /** Which signal interrupted the run, if one did. */
  interruptedBy: NodeJS.Signals | undefined

  constructor (prefix: string) {
    this.dataDir = mkdtempSync(join(tmpdir(), prefix))
    const onSignal = (sig: NodeJS.Signals): void => {
      if (this.#abort.signal.aborted) return
      this.interruptedBy = sig
      this.#abort.abort(new Error(`interrupted by ${sig}`))
    }
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, onSignal)
    process.on('exit', () => {
      killAllSync()
      this.removeData()
    })
  }

  /** Aborted when the run is interrupted. */
  get signal (): AbortSignal { return this.#abort.signal }

  dataDirOf (node: string): string {
    return join(this.dataDir, node.replace(/@.*/, ''))
  }

  /** Stops every node still running (SIGTERM, then SIGKILL after `timeoutMs`) and removes the data. */
  async shutdown (timeoutMs = 5000): Promise<void> {
    await stopAll(timeoutMs)
    this.removeData()
  }

  removeData (): void {
    try { rmSync(this.dataDir, { recursive: true, force: true }) } catch {}
  }
}

/** Whether a process with this pid exists (EPERM: it does, but is not ours to signal). */
export function processAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export async function pause (ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted === true) return
  await new Promise<void>((resolve) => {
    const t = setTimeout(done, ms)
    signal?.addEventListener('abort', done, { once: true })
    function done (): void {
      clearTimeout(t)
      signal?.removeEventListener('abort', done)
      resolve()
    }
  })
}

/** `--flag value` and `--flag` arguments, with a usage error naming what is wrong. */
export function readFlags (argv: readonly string[], spec: Record<string, 'number' | 'boolean' | 'string'>): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {}
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (!a.startsWith('--')) throw new UsageError(`unexpected argument ${JSON.stringify(a)}`)
    const [key, inline] = a.slice(2).split('=', 2) as [string, string | undefined]
    const type = spec[key]
    if (type === undefined) throw new UsageError(`unknown option --${key}`)
    if (type === 'boolean') { out[key] = true; continue }
    const v = inline ?? argv[++i]
    if (v === undefined) throw new UsageError(`--${key} needs a value`)
    if (type === 'number') {
      const n = Number(v)
      if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${key}: ${JSON.stringify(v)} is not a number >= 0`)
      out[key] = n
    } else out[key] = v
  }
  return out
}
