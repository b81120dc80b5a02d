// Loopback socket pairs and raw handshake messages for the tests of the
// Erlang handshake and links (no erl needed).
import type { Socket } from 'node:net'

export { socketPair, type SocketPair } from '@tekka/testing/sockets'

/** A handshake message: 2-byte length, then the body. */
export function hsMessage (body: Buffer): Buffer {
  const len = Buffer.alloc(2)
  len.writeUInt16BE(body.length)
  return Buffer.concat([len, body])
}

/** A v6 send_name ('N', flags, creation, name). */
export function sendNameV6 (name: string, flags: bigint, creation = 77): Buffer {
  const n = Buffer.from(name)
  const m = Buffer.alloc(15 + n.length)
  m[0] = 0x4e
  m.writeBigUInt64BE(flags, 1)
  m.writeUInt32BE(creation, 9)
  m.writeUInt16BE(n.length, 13)
  n.copy(m, 15)
  return m
}

/** Resolves once `socket` is closed (true), or false after `ms`. */
export async function closedWithin (socket: Socket, ms: number): Promise<boolean> {
  if (socket.destroyed || socket.closed) return true
  // A paused socket never sees the peer's FIN: read (and drop) what comes.
  socket.resume()
  return await new Promise((resolve) => {
    const t = setTimeout(() => { resolve(false) }, ms)
    socket.once('close', () => { clearTimeout(t); resolve(true) })
  })
}
