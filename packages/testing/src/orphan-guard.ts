/**
 * Preloaded into every child that spawnNode starts (`node --import`): ends
 * the child when the test process that started it is gone. A test process
 * killed by SIGKILL (or by the runner's timeout) cannot run its exit
 * clean-up, and its children would otherwise live on, holding ports and
 * joining the next run's clusters.
 *
 * The child notices by its parent pid changing (it was re-parented to init or
 * a subreaper). It is sent SIGTERM so it can clean up (its own iptables
 * chain, its data), then SIGKILL if it is still alive 3 s later.
 */
const parent = Number(process.env.TEKKA_TEST_PARENT_PID)
// Children of this child get their own guard, watching this process instead.
delete process.env.TEKKA_TEST_PARENT_PID

if (Number.isInteger(parent) && parent > 0) {
  let since: number | undefined
  const timer = setInterval(() => {
    if (process.ppid === parent) return
    if (since === undefined) {
      since = Date.now()
      process.kill(process.pid, 'SIGTERM')
    } else if (Date.now() - since > 3000) {
      process.kill(process.pid, 'SIGKILL')
    }
  }, 200)
  // The guard alone must never keep a finished child alive.
  timer.unref()
}

export {}
