/**
 * A connected pair of real TCP sockets on loopback, for the wire-layer tests
 * of both protocols (tekka's handshake and connection in @tekka/dist,
 * Erlang's in @tekka/erlang): `client` dialled `server`'s listener, which is
 * closed again once the one connection is accepted. Both sockets carry a
 * no-op 'error' listener, so a test that resets one does not crash on the
 * other's ECONNRESET; a test that cares listens for errors itself.
 *
 * ```ts
 * const { client, server, close } = await socketPair()
 * client.write(bytes)
 * close()
 * ```
 */
import { createServer, connect, type Socket } from 'node:net'

export interface SocketPair {
  client: Socket
  server: Socket
  /** Destroys both sockets. */
  close: () => void
}

export async function socketPair (): Promise<SocketPair> {
  const listener = createServer()
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve))
  const port = (listener.address() as { port: number }).port
  const accepted = new Promise<Socket>((resolve) => listener.once('connection', resolve))
  const client = connect(port, '127.0.0.1')
  await new Promise<void>((resolve, reject) => { client.once('connect', resolve); client.once('error', reject) })
  const server = await accepted
  listener.close()
  for (const s of [client, server]) s.on('error', () => {})
  return { client, server, close: () => { client.destroy(); server.destroy() } }
}
