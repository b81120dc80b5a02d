/**
 * Preloaded into every `tekka` node the examples start (`node --import
 * stdin-guard.js bin.js ...`): the node ends when the program that started
 * it is gone, however that program ended.
 *
 * The launcher holds the write end of the child's stdin pipe. The kernel
 * closes it when the launcher exits for any reason, SIGKILL included, so the
 * child reads end-of-file: it then sends itself SIGTERM (the `tekka` command
 * stops its app and closes its links), and SIGKILL 3 s later if it is still
 * there. Active only when TEKKA_STDIN_GUARD=1, so a node started by hand
 * from a terminal is not affected.
 */
if (process.env.TEKKA_STDIN_GUARD === '1') {
  // Not inherited by anything the node itself starts.
  delete process.env.TEKKA_STDIN_GUARD
  let fired = false
  const gone = (): void => {
    if (fired) return
    fired = true
    // The launcher held the other ends of stdout and stderr too: writes there
    // now fail with EPIPE, which must not get in the way of a clean stop.
    for (const out of [process.stdout, process.stderr]) out.on('error', () => {})
    process.kill(process.pid, 'SIGTERM')
    setTimeout(() => { process.kill(process.pid, 'SIGKILL') }, 3000).unref()
  }
  const stdin = process.stdin
  stdin.on('end', gone)
  stdin.on('close', gone)
  stdin.on('error', gone)
  // Nothing is expected on stdin: read and drop it, so 'end' can arrive.
  stdin.on('data', () => {})
  // The guard alone must not keep a node that has stopped alive.
  ;(stdin as { unref?: () => void }).unref?.()
}

export {}
