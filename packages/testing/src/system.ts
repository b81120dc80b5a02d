/**
 * What a test needs of the machine, checked up front: root, a command from a
 * Debian package. A test that cannot have it fails with a MissingSystemError
 * that says what is missing and how to get it; it never skips (a skipped
 * test counted as passing hides that nothing was tested).
 *
 * ```ts
 * requireRoot('the partition tests')
 * requireCommand('etcd', 'etcd-server', 'the etcd strategy tests')
 * ```
 *
 * The modules that need more check it themselves: `requireIptables()`
 * (/iptables: root and a backend whose DROP rules really drop),
 * `requireNetns()` (/netns), `requireEtcd()` (/etcd-server),
 * `requireDnsmasq()` (/dnsmasq), `requireOpenssl()` (/certs).
 */
import { accessSync, constants as fsConstants } from 'node:fs'
import { join } from 'node:path'
import { MissingSystemError } from './errors.js'

export { MissingSystemError } from './errors.js'

/** How the test command installs what the tests need (as root: Debian packages). */
export const INSTALL_HINT = 'node scripts/system-deps.mjs, as root, installs every system package the tests use (npm test runs it)'

/** Full path of an executable on PATH or in the sbin directories (not on every user's PATH), if any. */
export function findCommand (cmd: string): string | undefined {
  const candidates = cmd.includes('/')
    ? [cmd]
    : [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin', '/usr/local/sbin'].filter((d) => d !== '').map((d) => join(d, cmd))
  for (const p of candidates) {
    try { accessSync(p, fsConstants.X_OK); return p } catch {}
  }
  return undefined
}

export function isRoot (): boolean {
  return process.getuid?.() === 0
}

/** Throws MissingSystemError unless this process runs as root on Linux (`as` stands for another process, in tests of this check). */
export function requireRoot (what: string, as: { uid?: number, platform?: string } = {}): void {
  const platform = as.platform ?? process.platform
  const uid = 'uid' in as ? as.uid : process.getuid?.()
  if (platform !== 'linux') throw new MissingSystemError(what, 'Linux', `it cannot run on ${platform}`)
  if (uid !== 0) {
    throw new MissingSystemError(what, 'root', 'run the tests as root (CI does), e.g. sudo node scripts/test.mjs <filter>; node scripts/test.mjs --unit runs only the tests that need no root', `uid ${String(uid)}`)
  }
}

/** Throws MissingSystemError unless `cmd` is installed; returns its path. `pkg` is the Debian package that provides it. */
export function requireCommand (cmd: string, pkg: string, what: string): string {
  const path = findCommand(cmd)
  if (path === undefined) throw new MissingSystemError(what, `the ${cmd} command`, `install the Debian package ${pkg} (apt-get install ${pkg}); ${INSTALL_HINT}`)
  return path
}
