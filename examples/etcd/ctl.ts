/**
 * `tekka ctl --node NODE --config tekka.conf cluster status [--json]`, run
 * as the operator runs it (a child process of the `tekka` command, which
 * connects as a hidden, client-only node and asks NODE over RPC), for the
 * launcher to see what each node thinks its cluster is.
 */
import { execFile } from 'node:child_process'
import type { ClusterStatus } from '@tekka/dist'
import { REPO_ROOT, TEKKA_BIN } from '../lib/tekka-process.js'

export interface CtlOptions {
  /** The shared tekka.conf (for node.dist_base_port and cluster.name, as the nodes have them). */
  config: string
  cookie: string
  /** More configuration keys (`--set key=value`). */
  settings?: Record<string, string | number>
  /** ms the command may take. Default 15000. */
  timeout?: number
  signal?: AbortSignal
}

/** The command's arguments after `tekka`. */
export function ctlArgs (node: string, command: readonly string[], opts: CtlOptions): string[] {
  const args = ['ctl', '--node', node, '--config', opts.config]
  for (const [k, v] of Object.entries(opts.settings ?? {})) args.push('--set', `${k}=${v}`)
  return [...args, ...command]
}

/** Runs `tekka ctl ...`; its exit code and output. */
export async function ctl (node: string, command: readonly string[], opts: CtlOptions): Promise<{ code: number, stdout: string, stderr: string }> {
  return await new Promise((resolve, reject) => {
    execFile(process.execPath, [TEKKA_BIN, ...ctlArgs(node, command, opts)], {
      cwd: REPO_ROOT,
      env: { ...process.env, TEKKA_COOKIE: opts.cookie },
      timeout: opts.timeout ?? 15_000,
      killSignal: 'SIGKILL',
      ...(opts.signal !== undefined ? { signal: opts.signal } : {})
    }, (err, stdout, stderr) => {
      if (err !== null && typeof err.code !== 'number') {
        if (opts.signal?.aborted === true) reject(opts.signal.reason instanceof Error ? opts.signal.reason : new Error('aborted'))
        else if (err.signal !== null && err.signal !== undefined) reject(new Error(`tekka ctl --node ${node} ${command.join(' ')}: no answer within ${opts.timeout ?? 15_000} ms`))
        else reject(err instanceof Error ? err : new Error(String(err)))
        return
      }
      resolve({ code: err === null ? 0 : err.code as number, stdout, stderr })
    })
  })
}

/** `cluster status --json` of `node`, or a line saying why there is none. */
export async function clusterStatus (node: string, opts: CtlOptions): Promise<ClusterStatus | string> {
  const r = await ctl(node, ['cluster', 'status', '--json'], opts)
  if (r.code !== 0) return `tekka ctl exited with code ${r.code}: ${(r.stdout + r.stderr).trim().split('\n')[0] ?? ''}`
  try {
    return JSON.parse(r.stdout) as ClusterStatus
  } catch {
    return `tekka ctl printed no JSON: ${r.stdout.trim().slice(0, 200)}`
  }
}
