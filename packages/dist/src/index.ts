/**
 * @tekka/dist — distribution for tekka nodes: node names and the port rule
 * that replaces epmd, the cookie handshake, framed links with heartbeats,
 * remote send / link / monitor, RPC, the cluster member table, and the
 * contracts the layers above plug in with (components, plugins, config
 * sections). It names none of those layers: `tekka` (the command's package)
 * puts them together.
 *
 * ```ts
 * import { startNode } from '@tekka/dist'
 *
 * const n1 = await startNode({ name: 'n1@127.0.0.1', cookie: 'secret' })
 * const n2 = await startNode({ name: 'n2@127.0.0.1', cookie: 'secret' })
 * n1.events.on('dist.nodeup', (e) => { console.log(`${e.node} sees ${e.peer}`) })
 * n2.register('hello', (who: string) => `hello, ${who}`)
 * console.log(await n1.call('n2@127.0.0.1', 'hello', ['n1']))   // hello, n1 (connects on first use)
 * await n2.membership.join('n1@127.0.0.1')
 * console.log(n1.membership.leader())                         // n1@127.0.0.1, the oldest member
 * await n2.stop(); await n1.stop()
 * ```
 *
 * The wire layer is public too, for tools that speak the protocol
 * (`dial`, `clientHandshake`, `Connection`, `createCodec`).
 */

// nodes
export { startNode, DistNode } from './node.js'
export type { NodeOptions } from './node.js'
export type { NodeDownReason, HandshakeRefusedReason } from './events.js'

// the contracts of the parts above
export type {
  NodeComponents, NodeIdentity, NetView, RpcService, RpcFunction, RpcCallOptions, MulticallResult,
  MembershipView, ApplicationRegistry, CtlCommands
} from './components.js'
export type { TekkaPlugin, PluginInstance } from './plugin.js'
export type { Application, ApplicationInfo } from './applications.js'
export type { CtlResult, CtlHandler } from './ctl.js'

// configuration
export { loadConfig, configValue, parseConfigText, envVarName, ConfigSchema } from './config/load.js'
export type { LoadConfigOptions, ConfigEntry } from './config/load.js'
export { distConfig, nodeOptions } from './config/node-keys.js'
export type { DistSettings } from './config/node-keys.js'
export { renderConfigTable, renderEkkaTable, formatDefault } from './config/docs.js'
export { parseHocon, isHoconText } from './config/hocon.js'
export type { HoconEntry } from './config/hocon.js'
export { allowedText } from './config/values.js'
export { parseDuration, formatDuration, DURATION_FORMAT } from './config/duration.js'
export type { Config, ConfigTree, ConfigKeySpec, ConfigSection, ConfigValue, ConfigValues, ConfigType, ConfigItemType, EkkaName } from './config/schema.js'
export { resolveCookie } from './cookie.js'
export type { ResolvedCookie, ResolveCookieOptions, CookieSource } from './cookie.js'

// names and membership
export { nodePort, parseNodeName, isNodeName, nodeNameProblem } from './node-name.js'
export type { NodeName } from './node-name.js'
export { ringPosition, guidTime } from './membership/guid.js'
export type { Member, MemberStatus, ClusterStatus, MembershipEvent, MembershipEventType, PartitionEventType, MembershipOptions } from './membership/types.js'
export type { Membership } from './membership/membership.js'

// the wire
export { tcpTransport, dial } from './transport.js'
export type { Transport, Listener, ListenOptions, DialOptions, TlsOptions } from './transport.js'
export type { LinkFaults } from './link-faults.js'
export { clientHandshake, serverHandshake } from './handshake.js'
export type { HandshakeOptions, HandshakeResult, PeerInfo } from './handshake.js'
export { Connection } from './connection.js'
export type { ConnectionOptions, ConnectionStats, CloseReason } from './connection.js'
export { createCodec } from './codec.js'
export type { Codec } from './codec.js'

// errors
export {
  FrameDecodeError, FrameEncodeError, FrameTooLargeError, ProtocolError, HandshakeError, PortInUseError, DialError, BadNodeNameError,
  BadRpcError, JoinError, MembershipStoreError, CookieError, ConfigError, DIST_ERRORS
} from './errors.js'
export type { DistErrorCode, HandshakeErrorCode, BadRpcCode, JoinErrorCode } from './errors.js'
