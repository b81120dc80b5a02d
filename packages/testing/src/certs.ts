// Test certificates made with the openssl CLI in a temp dir: a cluster CA
// with one node certificate (IP 127.0.0.1, DNS localhost, client and server
// use), and a rogue CA with a certificate of its own. `requireOpenssl()`
// (which makeCerts calls first) throws a MissingSystemError naming the
// Debian package when the openssl command is missing.
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { requireCommand } from './system.js'

export interface Certs {
  ca: string
  key: string
  cert: string
  rogueCa: string
  rogueKey: string
  rogueCert: string
}

export function haveOpenssl (): boolean {
  return spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0
}

const CONFIG = `[req]
distinguished_name = dn
prompt = no
[dn]
CN = tekka-test
[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[v3_node]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth,clientAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`

/** Throws a MissingSystemError unless the openssl command is installed (Debian openssl). */
export function requireOpenssl (what = 'this test'): void {
  requireCommand('openssl', 'openssl', what)
}

export function makeCerts (): Certs {
  requireOpenssl('test certificates')
  const dir = mkdtempSync(join(tmpdir(), 'tekka-certs-'))
  try {
    const cnf = join(dir, 'openssl.cnf')
    writeFileSync(cnf, CONFIG)
    const run = (...args: string[]): void => { execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' }) }
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
    const issue = (ca: string, name: string): void => {
      run('req', '-new', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-config', cnf, '-subj', `/CN=${name}`)
      run('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial',
        '-out', `${name}.crt`, '-days', '2', '-extfile', cnf, '-extensions', 'v3_node')
    }
    for (const ca of ['ca', 'rogue-ca']) {
      run('req', '-x509', '-new', ...ec, '-keyout', `${ca}.key`, '-out', `${ca}.crt`, '-days', '2', '-config', cnf, '-extensions', 'v3_ca', '-subj', `/CN=${ca}`)
    }
    issue('ca', 'node')
    issue('rogue-ca', 'rogue')
    const read = (f: string): string => readFileSync(join(dir, f), 'utf8')
    return {
      ca: read('ca.crt'),
      key: read('node.key'),
      cert: read('node.crt'),
      rogueCa: read('rogue-ca.crt'),
      rogueKey: read('rogue.key'),
      rogueCert: read('rogue.crt')
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
