/**
 * @tekka/erlang: Erlang/OTP's distribution protocol for tekka nodes, so a
 * tekka node can join real Erlang and Elixir nodes (the tekka protocol stays
 * the default between tekka nodes).
 *
 * ```ts
 * import { startErlDist } from '@tekka/erlang'
 * const node = await startErlDist({ name: 'tk@127.0.0.1', cookie: 'secret' })   // registers with epmd
 * const link = await node.connect('e1@127.0.0.1')                               // handshake v6, MD5 cookie
 * link.on('frame', (packet) => ...)                                             // each distribution packet, unparsed
 *
 * const tk = await startErlangNode({ name: 'tk@127.0.0.1', cookie: 'secret' })  // a tekka runtime on it
 * await tk.ping('e1@127.0.0.1')                                                 // 'pong'; SEND / REG_SEND both ways
 * ```
 */

// the external term format (./etf/index.ts has the mapping to JavaScript values)
export * from './etf/index.js'

// the distribution handshake, links, epmd
export { startErlDist, ErlDistNode } from './dist/node.js'
export type { ErlDistNodeOptions, ErlDistNodeEvents } from './dist/node.js'
export { initiateHandshake, acceptHandshake, challengeDigest, randomCreation, DEFAULT_SETUP_TIME } from './dist/handshake.js'
export type { ErlHandshakeOptions, InitiateOptions, AcceptOptions, ErlHandshakeResult, ErlPeer, HandshakeStatus } from './dist/handshake.js'
export { ErlConnection, DEFAULT_TICK_TIME, DEFAULT_MAX_PACKET } from './dist/connection.js'
export type { ErlConnectionOptions, ErlConnectionStats, ErlCloseReason } from './dist/connection.js'
export { DFLAG, MANDATORY_DFLAGS_25, DEFAULT_DFLAGS, flagNames } from './dist/flags.js'
export type { DflagName } from './dist/flags.js'
export { epmdRegister, epmdPortPlease, epmdNames, epmdResolver, portRuleResolver, epmdPortOf, EPMD_DEFAULT_PORT, EKKA_BASE_PORT } from './epmd.js'
export type { EpmdOptions, EpmdRegisterOptions, EpmdRegistration, EpmdNodeEntry, EpmdNames, DistAddress, PortResolver, PortRuleOptions } from './epmd.js'
export { EpmdError, ErlPacketError, ERLANG_DIST_ERRORS } from './dist/errors.js'
export type { EpmdErrorCode, ErlPacketErrorCode } from './dist/errors.js'

// distribution packets and control messages
export { PacketReader, passThrough, encodeMessage, packetOf, PASS_THROUGH } from './dist/packet.js'
export type { DistMessage, PacketReaderOptions, EncodedMessage } from './dist/packet.js'
export { CONTROL, readControl, sendControl, regSendControl, linkControl, unlinkControl, unlinkAckControl, exitControl, monitorControl, monitorExitControl } from './dist/control.js'
export type { Control } from './dist/control.js'

// a tekka runtime on Erlang's distribution
export { startErlangNode, ErlangNode, ERLANG_NODE_DFLAGS } from './node/erlang-node.js'
export type { ErlangNodeOptions, ErlangNodeEvents } from './node/erlang-node.js'
export { PidMapping, ForeignRef } from './node/mapping.js'
export type { PidMappingOptions } from './node/mapping.js'
