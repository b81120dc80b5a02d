// Loopback socket pairs and raw handshake messages for the tests of the
// Erlang handshake and links (no erl needed).
import { createServer, connect, type Socket } from 'node:net'

export interface SocketPair {
  a: Socket
  b: Socket
  close: () => void
}

/** A connected pair of real TCP sockets on 127.0.0.1 (a dialled b). */
export async function socketPair (): Promise<SocketPair> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve))
  const a = connect(port, '127.0.0.1')
  await new Promise<void>((resolve, reject) => { a.once('connect', resolve); a.once('error', reject) })
  const b = await accepted
  server.close()
  return { a, b, close: () => { a.destroy(); b.destroy() } }
}

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
