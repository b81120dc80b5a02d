/**
 * The shared cookie, found as Erlang finds it: given on the command line,
 * else in the environment, else in the configuration, else in a file in the
 * home directory that is created with a random cookie on first use. Nodes
 * started by the same user on one machine thus share a cookie with no setup,
 * and nothing but the owner can read it.
 *
 * ```ts
 * const { cookie, source } = resolveCookie({ flag: args.cookie, config: config.node.cookie })
 * ```
 */
import { closeSync, fchmodSync, fstatSync, linkSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs'
import { randomBytes, randomInt } from 'node:crypto'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { CookieError } from './errors.js'

/** The cookie file's name in the home directory (Erlang: `.erlang.cookie`). */
export const COOKIE_FILE_NAME = '.tekka.cookie'
/** Environment variable holding the cookie. */
export const COOKIE_ENV = 'TEKKA_COOKIE'


export type CookieSource = 'flag' | 'env' | 'config' | 'file'

export interface ResolvedCookie {
  readonly cookie: string
  /** Where it came from, for the start-up log line (never log the cookie itself). */
  readonly source: CookieSource
  /** The cookie file, when source is `file`. */
  readonly file?: string
  /** True when this call created the cookie file. */
  readonly created?: boolean
}

export interface ResolveCookieOptions {
  /** The `--cookie` value, if given. */
  flag?: string
  /** Environment to read TEKKA_COOKIE from. Default `process.env`. */
  env?: NodeJS.ProcessEnv
  /** `node.cookie` from the loaded configuration, if set. */
  config?: string
  /** Directory holding `.tekka.cookie`. Default the user's home directory. */
  home?: string
}

/**
 * Why a cookie text cannot be used, or `undefined`. Cookies are at most 255
 * characters (an Erlang atom) and have no control characters, so one always
 * survives a file, an environment variable and a command line unchanged.
 */
export function cookieProblem (cookie: string): string | undefined {
  if (cookie === '') return 'it is empty'
  if (cookie.length > 255) return 'it is longer than 255 characters'
  if (/\p{Cc}/u.test(cookie)) return 'it contains control characters'
  return undefined
}

function checked (cookie: string, what: string, file?: string): string {
  const problem = cookieProblem(cookie)
  if (problem !== undefined) throw new CookieError(`${what} cannot be used as a cookie: ${problem}`, file)
  return cookie
}

/** 20 random uppercase letters, as Erlang generates for `.erlang.cookie` (about 94 bits). */
export function generateCookie (): string {
  let s = ''
  for (let i = 0; i < 20; i++) s += String.fromCharCode(65 + randomInt(26))
  return s
}

/** `<home>/.tekka.cookie`. */
export function cookieFilePath (home: string = homedir()): string {
  return join(home, COOKIE_FILE_NAME)
}

/**
 * The cookie to use: `flag`, else TEKKA_COOKIE, else `config`, else the cookie
 * file (created on first use). An empty flag or variable is refused rather
 * than skipped: falling through to another cookie would only surface later as
 * a handshake failure that names no cause.
 */
export function resolveCookie (opts: ResolveCookieOptions = {}): ResolvedCookie {
  if (opts.flag !== undefined) return { cookie: checked(opts.flag, '--cookie'), source: 'flag' }
  const fromEnv = (opts.env ?? process.env)[COOKIE_ENV]
  if (fromEnv !== undefined) return { cookie: checked(fromEnv, COOKIE_ENV), source: 'env' }
  if (opts.config !== undefined) return { cookie: checked(opts.config, 'node.cookie'), source: 'config' }
  const file = cookieFilePath(opts.home)
  const read = readCookieFile(file)
  if (read !== undefined) return { cookie: read, source: 'file', file }
  const created = createCookieFile(file)
  return { cookie: created.cookie, source: 'file', file, created: created.created }
}

/**
 * Read a cookie file; `undefined` if it does not exist. Refuses a file that
 * group or others may read or write (as Erlang does: a cookie anyone can read
 * lets anyone run code on the node), one that is not a regular file, and an
 * empty one. The cookie is the first line, without surrounding whitespace.
 */
export function readCookieFile (file: string): string | undefined {
  let fd: number
  try {
    fd = openSync(file, 'r')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return undefined
    throw new CookieError(`cannot read cookie file ${file}: ${code ?? String(err)}`, file, err)
  }
  try {
    // fstat on the opened descriptor: the mode checked is that of the file read.
    const st = fstatSync(fd)
    if (!st.isFile()) throw new CookieError(`cookie file ${file} is not a regular file`, file)
    if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
      const mode = (st.mode & 0o777).toString(8).padStart(4, '0')
      throw new CookieError(`cookie file ${file} must be accessible by its owner only (mode is ${mode}; run chmod 400 ${file})`, file)
    }
    const first = readFileSync(fd, 'utf8').split(/\r?\n/)[0]?.trim() ?? ''
    if (first === '') throw new CookieError(`cookie file ${file} is empty`, file)
    return checked(first, `the first line of cookie file ${file}`, file)
  } finally {
    closeSync(fd)
  }
}

/**
 * Create the cookie file with a new random cookie, mode 0400. The file is
 * written under a temporary name and hard-linked into place, so two nodes
 * starting at once never see a half-written file: the second link fails with
 * EEXIST and that node reads the winner's cookie instead.
 */
export function createCookieFile (file: string): { cookie: string, created: boolean } {
  const cookie = generateCookie()
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  let fd: number
  try {
    fd = openSync(tmp, 'wx', 0o400)
  } catch (err) {
    throw new CookieError(`cannot create cookie file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, file, err)
  }
  try {
    try {
      // The umask may only clear bits; set the mode explicitly anyway so the
      // file is exactly owner-read-only whatever the umask.
      fchmodSync(fd, 0o400)
      writeSync(fd, cookie)
    } finally {
      closeSync(fd)
    }
    try {
      linkSync(tmp, file)
      return { cookie, created: true }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      // File systems without hard links: create in place (a racing reader may
      // then see the file empty for a moment, and says so).
      if (code === 'EPERM' || code === 'ENOTSUP' || code === 'ENOSYS' || code === 'EOPNOTSUPP') return createInPlace(file, cookie)
      if (code !== 'EEXIST') {
        throw new CookieError(`cannot create cookie file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, file, err)
      }
      const other = readCookieFile(file)
      if (other === undefined) throw new CookieError(`cookie file ${file} vanished while being created`, file)
      return { cookie: other, created: false }
    }
  } finally {
    try { unlinkSync(tmp) } catch {}
  }
}

function createInPlace (file: string, cookie: string): { cookie: string, created: boolean } {
  let fd: number
  try {
    fd = openSync(file, 'wx', 0o400)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      const other = readCookieFile(file)
      if (other !== undefined) return { cookie: other, created: false }
    }
    throw new CookieError(`cannot create cookie file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, file, err)
  }
  try {
    fchmodSync(fd, 0o400)
    writeSync(fd, cookie)
  } finally {
    closeSync(fd)
  }
  return { cookie, created: true }
}
