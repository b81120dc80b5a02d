/**
 * Which local address a node dials from. A node that listens on a specific
 * address dials from it too when the peer is of the same family and both are
 * loopback or both are not (127.0.0.2 dials 127.0.0.3 from 127.0.0.2), so
 * peers and firewall rules see the address the node is named for; otherwise
 * the OS picks.
 */
import { isIP } from 'node:net'

export function localAddressFor (listen: { host: string } | false, peerHost: string): { localAddress?: string } {
  if (listen === false) return {}
  const own = listen.host
  const fam = isIP(own)
  if (fam === 0 || own === '0.0.0.0' || own === '::' || fam !== isIP(peerHost)) return {}
  const loop = (h: string): boolean => h.startsWith('127.') || h === '::1'
  if (loop(own) !== loop(peerHost)) return {}
  return { localAddress: own }
}
