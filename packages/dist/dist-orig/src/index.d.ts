/**
 * @tekka/dist — distribution for tekka nodes.
 *
 * The wire layer: node names and ports, sockets (TCP or mutual TLS), the
 * cookie handshake, framing and the msgpack codec, connections with ticks and
 * back-pressure.
 *
 * ```ts
 * import { dial, clientHandshake, Connection, nodePort } from '@tekka/dist'
 *
 * const socket = await dial({ host: '127.0.0.1', port: nodePort('node2@127.0.0.1') })
 * const { peer, rest } = await clientHandshake(socket, {
 *   localName: 'node1@127.0.0.1', expectedName: 'node2@127.0.0.1',
 *   cookie: 'secret', creation: 1, cluster: 'tekka'
 * })
 * const conn = new Connection(socket, { peer, rest })
 * conn.on('message', (m) => { console.log(peer.name, m) })
 * conn.send({ hello: 'world' })
 * ```
 */
export * from './errors.js';
export * from './codec.js';
export * from './frame.js';
export * from './handshake.js';
export * from './connection.js';
export * from './transport.js';
export * from './protocol.js';
export * from './net-kernel.js';
export * from './rpc.js';
export * from './ctl.js';
export * from './node.js';
export * from './config.js';
export * from './cookie.js';
export * from './duration.js';
export { main, nodeOptions, loadPlugins, refuseUnsupported, UsageError } from './cli.js';
export * from './plugin.js';
export type { AppModule, AppStop } from './cli.js';
export * from './membership/membership.js';
export { MemberTable, parseEntry, type Entry, type MemberState, type Change } from './membership/member-table.js';
export { MembershipStore, MembershipStoreError } from './membership/store.js';
export { makeGuid, guidTime, ringPosition, nodeHash, isGuid } from './membership/guid.js';
export * from './applications.js';
//# sourceMappingURL=index.d.ts.map