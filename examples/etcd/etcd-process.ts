/**
 * A throwaway etcd for the example: one member on loopback (client and peer
 * URLs on 127.0.0.1, free ports unless a client port is asked for), its data
 * in a directory the launcher removes, plain HTTP.
 *
 *   const bin = findEtcd()                   // undefined: not installed
 *   const etcd = await LocalEtcd.start({ bin, dataDir, signal })
 *   ... etcd.url ...
 *   await etcd.stop()                        // SIGTERM, SIGKILL after 5 s
 *
 * It does not outlive the launcher: `killAllEtcdSync()` is there for the
 * launcher's exit path, and a watchdog shell (`sh`, polling once a second)
 * kills it if the launcher disappears without cleaning up (SIGKILL), and
 * then removes the launcher's temporary directory if told which. It
 * runs in a process group of its own, so Ctrl-C in a terminal reaches the
 * launcher only, which stops it after the nodes.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { delimiter, isAbsolute, join } from 'node:path'
import { EtcdStartError } from '../lib/errors.js'
import { freePort } from '../lib/ports.js'
import { etcdReady } from './etcd-gateway.js'

export { EtcdStartError } from '../lib/errors.js'

/** The first executable `cmd` on `path` (PATH's syntax), or undefined. A path with a slash is taken as it is. */
export function findOnPath (cmd: string, path = process.env.PATH ?? ''): string | undefined {
  const candidates = cmd.includes('/') ? [cmd] : path.split(delimiter).filter((d) => d !== '' && isAbsolute(d)).map((d) => join(d, cmd))
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK)
      return c
    } catch {}
  }
  return undefined
}

/** `etcd --version`'s version ("3.4.23"), or undefined if it does not say. */
export function etcdVersion (bin: string): string | undefined {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 10_000 })
  return /etcd Version:\s*(\S+)/.exec(`${r.stdout ?? ''}`)?.[1]
}


export interface LocalEtcdOptions {
  /** The etcd executable. */
  bin: string
  /** Its data directory (created by etcd). */
  dataDir: string
  /** Client port. Default: a free one. */
  clientPort?: number
  /** ms until it must answer with a leader. Default 20000. */
  startTimeout?: number
  /** Aborts the wait for it to start (it is then stopped). */
  signal?: AbortSignal
  /** A directory the watchdog removes if the launcher dies without cleaning up (the launcher's temporary directory). */
  orphanDir?: string
}

export interface EtcdExit { code: number | null, signal: NodeJS.Signals | null }

export class LocalEtcd {
  readonly url: string
  readonly pid: number
  readonly exited: Promise<EtcdExit>
  readonly #child: ChildProcess
  readonly #watchdog: ChildProcess
  readonly #output: string[] = []
  #exit: EtcdExit | undefined

  private constructor (child: ChildProcess, url: string, orphanDir: string | undefined) {
    if (child.pid === undefined) throw new EtcdStartError('etcd could not be started')
    this.#child = child
    this.pid = child.pid
    this.url = url
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.#exit = { code, signal }
        live.delete(this)
        resolve(this.#exit)
      })
    })
    const keep = (d: string): void => {
      for (const line of d.split('\n')) if (line.trim() !== '') this.#output.push(line)
      if (this.#output.length > 100) this.#output.splice(0, this.#output.length - 100)
    }
    for (const s of [child.stdout, child.stderr]) {
      s?.setEncoding('utf8')
      s?.on('data', keep)
    }
    // Kills etcd only if the launcher is gone first (then removes `orphanDir`, once the
    // nodes' own guards have had time to end them); ends by itself once etcd is gone.
    const orphaned = `kill -9 ${this.pid} 2>/dev/null${orphanDir === undefined ? '' : `; sleep 5; rm -rf -- "$1"`}`
    this.#watchdog = spawn('sh', ['-c', `while kill -0 ${process.pid} 2>/dev/null && kill -0 ${this.pid} 2>/dev/null; do sleep 1; done; kill -0 ${process.pid} 2>/dev/null || { ${orphaned}; }`, 'etcd-watchdog', orphanDir ?? ''], { stdio: 'ignore', detached: true })
    this.#watchdog.unref()
    live.add(this)
  }

  /** Starts etcd and resolves once it answers with a leader; rejects with EtcdStartError (or the abort reason), etcd stopped. */
  static async start (opts: LocalEtcdOptions): Promise<LocalEtcd> {
    const clientPort = opts.clientPort ?? await freePort()
    let peerPort = await freePort()
    while (peerPort === clientPort) peerPort = await freePort()
    const url = `http://127.0.0.1:${clientPort}`
    const peer = `http://127.0.0.1:${peerPort}`
    const name = 'tekka-example'
    const child = spawn(opts.bin, [
      '--name', name,
      '--data-dir', opts.dataDir,
      '--listen-client-urls', url,
      '--advertise-client-urls', url,
      '--listen-peer-urls', peer,
      '--initial-advertise-peer-urls', peer,
      '--initial-cluster', `${name}=${peer}`,
      '--initial-cluster-state', 'new',
      '--logger', 'zap',
      '--log-level', 'warn'
    ], { stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    const failed = await new Promise<Error | undefined>((resolve) => {
      child.once('spawn', () => { resolve(undefined) })
      child.once('error', resolve)
    })
    if (failed !== undefined) throw new EtcdStartError(`cannot run ${opts.bin}: ${failed.message}`)
    const etcd = new LocalEtcd(child, url, opts.orphanDir)
    try {
      await etcd.#waitReady(opts.startTimeout ?? 20_000, opts.signal)
    } catch (err) {
      await etcd.stop()
      throw err
    }
    return etcd
  }

  get running (): boolean { return this.#exit === undefined }

  /** Its last lines of output. */
  output (lines = 15): string { return this.#output.slice(-lines).join('\n') }

  async #waitReady (timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      signal?.throwIfAborted()
      if (!this.running) {
        const e = this.#exit as EtcdExit
        throw new EtcdStartError(`etcd exited (${e.signal ?? `code ${String(e.code)}`}) while starting:\n${this.output()}`)
      }
      if (await etcdReady(this.url, signal !== undefined ? { signal } : {})) return
      if (Date.now() > deadline) throw new EtcdStartError(`etcd did not answer on ${this.url} within ${timeoutMs} ms:\n${this.output()}`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }

  /** SIGTERM, then SIGKILL after `timeoutMs`; resolves with how it ended. */
  async stop (timeoutMs = 5000): Promise<EtcdExit> {
    if (this.#exit === undefined) {
      try { this.#child.kill('SIGTERM') } catch {}
      const t = setTimeout(() => { try { this.#child.kill('SIGKILL') } catch {} }, timeoutMs)
      await this.exited
      clearTimeout(t)
    }
    this.#killWatchdog()
    return this.#exit as EtcdExit
  }

  /** SIGKILL to etcd and its watchdog: synchronous, for the launcher's `exit` handler. */
  killSync (): void {
    if (this.#exit === undefined) try { this.#child.kill('SIGKILL') } catch {}
    this.#killWatchdog()
  }

  /** The watchdog's process group: the shell and its `sleep`. */
  #killWatchdog (): void {
    const pid = this.#watchdog.pid
    if (pid === undefined || this.#watchdog.exitCode !== null || this.#watchdog.signalCode !== null) return
    try { process.kill(-pid, 'SIGKILL') } catch {}
  }
}

const live = new Set<LocalEtcd>()

/** SIGKILL to every etcd started here that is still running (and their watchdogs). */
export function killAllEtcdSync (): void {
  for (const e of live) e.killSync()
}
