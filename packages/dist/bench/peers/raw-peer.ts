/**
 * The far end of the raw baselines (a plain child node script, no tekka):
 * listens on 127.0.0.1 (port from argv, 0 for any), prints
 * `raw-peer listening <port>`, and on each connection
 * - counts SEND frames after `[CTL, 'sink', n, replyTo]` and answers
 *   `[SEND, null, replyTo, 'done']` at the n-th (remote.oneway's sink);
 * - otherwise answers a SEND with `[SEND, null, msg, 'pong']` (the message is
 *   the sender's pid, as in remote.pingpong);
 * - answers `[RPC_CALL, id, fn, args]` with `[RPC_REPLY, id, true, args[0]]`;
 * - runs a GC on `[CTL, 'gc']` and answers `[CTL, 'gc']`;
 * - answers `[CTL, 'cpu']` with `[CTL, 'cpu', µs of CPU time used]`;
 * - switches the connection to tekka's codec on `[CTL, 'codec']` (see raw-wire.ts).
 */
import { createServer } from 'node:net'
import { createCodec } from '../../src/index.js'
import { CTL, RawLink, RPC_CALL, RPC_REPLY, SEND } from './raw-wire.js'
import { exitWithParent } from './parent-guard.js'

exitWithParent({ exitOnSigterm: true })

const server = createServer((socket) => {
  let left = 0
  let replyTo: unknown = null
  const link = new RawLink(socket, (m) => {
    switch (m[0]) {
      case SEND:
        if (left > 0) {
          if (--left === 0) link.send([SEND, null, replyTo, 'done'])
        } else {
          link.send([SEND, null, m[3], 'pong'])
        }
        break
      case RPC_CALL:
        link.send([RPC_REPLY, m[1], true, (m[3] as unknown[])[0]])
        break
      case CTL:
        if (m[1] === 'sink') { left = m[2] as number; replyTo = m[3] } else if (m[1] === 'gc') {
          (globalThis as { gc?: () => void }).gc?.()
          link.send([CTL, 'gc'])
        } else if (m[1] === 'codec') {
          link.useCodec(createCodec())
        } else if (m[1] === 'cpu') {
          const u = process.cpuUsage()
          link.send([CTL, 'cpu', u.user + u.system])
        }
        break
    }
  })
  socket.on('error', () => { socket.destroy() })
})
server.listen({ host: '127.0.0.1', port: Number(process.argv[2] ?? 0) }, () => {
  const addr = server.address()
  process.stdout.write(`raw-peer listening ${typeof addr === 'object' && addr !== null ? addr.port : '?'}\n`)
})
