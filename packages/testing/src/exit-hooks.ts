/**
 * Synchronous clean-ups that run however the test process ends: a normal
 * end, a thrown error or unhandled rejection (Node still emits 'exit'), or
 * SIGINT / SIGTERM / SIGHUP. Test helpers that leave something outside the
 * process (child processes, iptables rules) register here, so a failing or
 * interrupted test never leaves the machine partitioned or full of nodes.
 *
 * SIGKILL cannot be caught: helpers cover it separately (the orphan guard in
 * children, the stale-chain sweep for iptables).
 */

type Cleanup = () => void

const cleanups = new Set<Cleanup>()
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP']
let exitInstalled = false
let signalsInstalled = false

/** Run every registered clean-up once, newest first; one failing does not stop the others. */
export function runExitHooks (): void {
  const all = [...cleanups].reverse()
  cleanups.clear()
  for (const fn of all) {
    try { fn() } catch (err) { process.stderr.write(`exit hook failed: ${String(err)}\n`) }
  }
}

function onSignal (signal: NodeJS.Signals): void {
  runExitHooks()
  for (const s of SIGNALS) process.removeListener(s, onSignal)
  signalsInstalled = false
  // Die of the signal as if we had not caught it (exit status 128 + n), unless
  // someone else also listens and so has taken over what the signal means.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal)
}

function install (): void {
  if (!exitInstalled) {
    exitInstalled = true
    process.on('exit', runExitHooks)
  }
  if (!signalsInstalled) {
    signalsInstalled = true
    for (const s of SIGNALS) process.on(s, onSignal)
  }
}

/** Register `fn` to run at exit; returns a function that unregisters it (call it once the resource is released). */
export function onExit (fn: Cleanup): () => void {
  install()
  cleanups.add(fn)
  return () => { cleanups.delete(fn) }
}

/** SIGKILLs every pid in `pids` (read at exit time) however the test process ends; returns the unregister. */
export function killAtExit (pids: readonly number[]): () => void {
  return onExit(() => {
    for (const pid of pids) {
      try { process.kill(pid, 'SIGKILL') } catch {}
    }
  })
}
