// The multi-process test helpers of @tekka/dist (real OS processes with exit
// hooks and an orphan guard, free ports, waiting), used as they are: imported
// from its compiled tests, with their types from the declarations next to
// them. The runtime path is one level deeper than the type path because this
// file runs from examples/dist/test/support/.
import type * as Procs from '../../../packages/dist/dist/test/helpers/procs.js'
import type * as Ports from '../../../packages/dist/dist/test/helpers/ports.js'
import type * as ExitHooks from '../../../packages/dist/dist/test/helpers/exit-hooks.js'

const helper = (file: string): string => new URL(`../../../../packages/dist/dist/test/helpers/${file}`, import.meta.url).href

export const procs = await import(helper('procs.js')) as typeof Procs
export const ports = await import(helper('ports.js')) as typeof Ports
export const exitHooks = await import(helper('exit-hooks.js')) as typeof ExitHooks
export type { NodeProcess } from '../../../packages/dist/dist/test/helpers/procs.js'

/** Whether a process with this pid exists (a zombie counts as gone once reaped by its parent). */
export { processAlive as alive } from '../../lib/launcher.js'

/** Registers a SIGKILL of every pid in `pids` (read at exit time) for however the test process ends. */
export function killAtExit (pids: readonly number[]): () => void {
  return exitHooks.onExit(() => {
    for (const pid of pids) {
      try { process.kill(pid, 'SIGKILL') } catch {}
    }
  })
}
