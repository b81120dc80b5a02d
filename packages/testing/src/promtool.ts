/**
 * Prometheus's own checker of the text exposition format: `promtool check
 * metrics` (Debian package prometheus) reads a metrics page on stdin and
 * reports what a Prometheus server would refuse to parse, and what breaks
 * its naming conventions (a counter without `_total`, a family without
 * HELP). For the tests of the management endpoint's /metrics.
 *
 * ```ts
 * const r = await promtoolCheckMetrics(await (await fetch(url + '/metrics')).text())
 * assert.ok(r.ok, r.output)
 * ```
 */
import { spawn } from 'node:child_process'
import { requireCommand } from './system.js'

export interface PromtoolResult {
  /** Exit code 0: parsed, no lint problems. */
  readonly ok: boolean
  readonly code: number | null
  /** What promtool printed (its problems, one a line). */
  readonly output: string
}

/** Runs `promtool check metrics` on `text`; throws MissingSystemError when promtool is not installed. */
export async function promtoolCheckMetrics (text: string): Promise<PromtoolResult> {
  const bin = requireCommand('promtool', 'prometheus', 'checking a Prometheus metrics page')
  return await new Promise<PromtoolResult>((resolve, reject) => {
    const child = spawn(bin, ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (d: Buffer) => { output += d.toString() })
    child.stderr.on('data', (d: Buffer) => { output += d.toString() })
    child.on('error', reject)
    child.on('close', (code) => { resolve({ ok: code === 0, code, output }) })
    child.stdin.end(text)
  })
}
