// Debian packages the system-tier tests need (real servers and tools, never
// mocks). Installed with apt-get when missing; `node scripts/test.mjs` (the
// full suite, npm test) runs this first so a fresh machine needs nothing by
// hand. Needs root, as CI runs; as another user it only says what is missing,
// and the tests that need it then fail with a MissingSystemError that names
// the package (packages/testing/src/system.ts). The unit tier
// (`test.mjs --unit`) needs none of these and never runs this.
import { execFileSync, spawnSync } from 'node:child_process'

/** command on PATH -> Debian package that provides it */
export const SYSTEM_DEPS = {
  // partitions between loopback addresses in dist / heal / lock tests (packages/testing/src/iptables.ts)
  iptables: 'iptables',
  // test certificates for mutual TLS between nodes (packages/testing/src/certs.ts)
  openssl: 'openssl',
  // the etcd discovery strategy's real server, on loopback (packages/testing/src/etcd-server.ts)
  etcd: 'etcd-server',
  // the dns discovery strategy's real server, on a loopback port, no upstream (packages/testing/src/dnsmasq.ts)
  dnsmasq: 'dnsmasq-base',
  // network namespaces and veth pairs for the mdns tests, multicast never on the host's interfaces (packages/testing/src/netns.ts)
  ip: 'iproute2',
  // Prometheus's checker of the /metrics page of the management endpoint (packages/testing/src/promtool.ts)
  promtool: 'prometheus',
  // a real Erlang runtime: the external term format's round trips and fuzz corpus (packages/testing/src/erlang.ts), and real Erlang nodes with epmd for the distribution tests (packages/testing/src/erl-node.ts); erlc and epmd come with it
  erl: 'erlang-base'
}

// sbin directories too: iptables and ip live there, and a user's PATH may not have them.
const have = (cmd) => spawnSync('sh', ['-c', `PATH="$PATH:/usr/sbin:/sbin:/usr/local/sbin" command -v ${cmd}`], { stdio: 'ignore' }).status === 0

export async function ensureSystemDeps (deps = SYSTEM_DEPS) {
  const missing = [...new Set(Object.entries(deps).filter(([cmd]) => !have(cmd)).map(([, pkg]) => pkg))]
  if (missing.length === 0) return
  if (process.getuid?.() !== 0) {
    console.log(`missing system packages (need root to install; the tests that use them will fail saying so): ${missing.join(' ')}`)
    return
  }
  console.log(`installing system packages: ${missing.join(' ')}`)
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env })
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env })
}

if (import.meta.url === `file://${process.argv[1]}`) await ensureSystemDeps()
