import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { TekkaError } from '@tekka/actors'
import {
  COOKIE_FILE_NAME, cookieFilePath, cookieProblem, createCookieFile, generateCookie, readCookieFile, resolveCookie
} from '../src/cookie.js'
import { CookieError } from '../src/errors.js'

const root = mkdtempSync(join(tmpdir(), 'tekka-cookie-'))
let n = 0
const newHome = (): string => {
  const d = join(root, `home${n++}`)
  mkdirSync(d)
  return d
}
const writeCookie = (home: string, text: string, mode: number): string => {
  const f = join(home, COOKIE_FILE_NAME)
  writeFileSync(f, text, { mode })
  chmodSync(f, mode)
  return f
}

function cookieError (fn: () => unknown): CookieError {
  try {
    fn()
  } catch (err) {
    assert.instance(err, CookieError)
    assert.instance(err, TekkaError)
    assert.is((err as CookieError).code, 'ERR_COOKIE')
    return err as CookieError
  }
  throw new assert.Assertion({ message: 'expected a CookieError', generated: false, operator: 'throws', expects: 'CookieError', actual: 'no error' })
}

test('--cookie comes first', () => {
  const home = newHome()
  writeCookie(home, 'FILECOOKIE', 0o400)
  assert.equal(resolveCookie({ flag: 'from-flag', env: { TEKKA_COOKIE: 'from-env' }, config: 'from-config', home }), { cookie: 'from-flag', source: 'flag' })
})

test('then TEKKA_COOKIE', () => {
  const home = newHome()
  assert.equal(resolveCookie({ env: { TEKKA_COOKIE: 'from-env' }, config: 'from-config', home }), { cookie: 'from-env', source: 'env' })
  assert.not.ok(existsSync(join(home, COOKIE_FILE_NAME)), 'no file created when the cookie is given')
})

test('then node.cookie from the config', () => {
  const home = newHome()
  assert.equal(resolveCookie({ env: {}, config: 'from-config', home }), { cookie: 'from-config', source: 'config' })
})

test('then ~/.tekka.cookie, first line without surrounding blanks', () => {
  const home = newHome()
  const f = writeCookie(home, '  FILECOOKIE  \nsecond line ignored\n', 0o400)
  assert.equal(resolveCookie({ env: {}, home }), { cookie: 'FILECOOKIE', source: 'file', file: f })
  // 0600 is owner-only too (Erlang accepts it).
  chmodSync(f, 0o600)
  assert.is(resolveCookie({ env: {}, home }).cookie, 'FILECOOKIE')
})

test('env defaults to process.env, home to the user\'s home', () => {
  process.env.TEKKA_COOKIE = 'process-env-cookie'
  try {
    assert.equal(resolveCookie(), { cookie: 'process-env-cookie', source: 'env' })
  } finally {
    delete process.env.TEKKA_COOKIE
  }
  assert.is(cookieFilePath('/h'), '/h/.tekka.cookie')
})

test('the cookie file is created on first use: 20 random uppercase letters, mode 0400; later reads agree', () => {
  const home = newHome()
  const r = resolveCookie({ env: {}, home })
  const f = join(home, COOKIE_FILE_NAME)
  assert.equal(r, { cookie: r.cookie, source: 'file', file: f, created: true })
  assert.match(r.cookie, /^[A-Z]{20}$/)
  assert.is(statSync(f).mode & 0o777, 0o400)
  assert.is(readFileSync(f, 'utf8'), r.cookie)
  assert.equal(readdirSync(home), [COOKIE_FILE_NAME], 'no temporary file left behind')
  const again = resolveCookie({ env: {}, home })
  assert.equal(again, { cookie: r.cookie, source: 'file', file: f })
})

test('created with mode 0400 whatever the umask', () => {
  const home = newHome()
  const script = `
    import { resolveCookie } from ${JSON.stringify(new URL('../src/cookie.js', import.meta.url).href)}
    process.umask(0o000)
    resolveCookie({ env: {}, home: ${JSON.stringify(home)} })
  `
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })
  assert.is(r.status, 0, r.stderr)
  assert.is(statSync(join(home, COOKIE_FILE_NAME)).mode & 0o777, 0o400)
})

test('generated cookies differ', () => {
  const seen = new Set(Array.from({ length: 50 }, () => generateCookie()))
  assert.is(seen.size, 50)
  for (const c of seen) assert.match(c, /^[A-Z]{20}$/)
})

test('two processes creating the cookie at once end up with the same cookie', () => {
  const home = newHome()
  const url = new URL('../src/cookie.js', import.meta.url).href
  const script = `import { resolveCookie } from ${JSON.stringify(url)}; console.log(resolveCookie({ env: {}, home: ${JSON.stringify(home)} }).cookie)`
  // Several at once via a shell, so they really race.
  const cmd = Array.from({ length: 6 }, () => `"${process.execPath}" --input-type=module -e '${script}' &`).join(' ') + ' wait'
  const r = spawnSync('sh', ['-c', cmd], { encoding: 'utf8' })
  const cookies = r.stdout.trim().split('\n')
  assert.is(cookies.length, 6, r.stderr)
  assert.is(new Set(cookies).size, 1, r.stdout)
  assert.is(readFileSync(join(home, COOKIE_FILE_NAME), 'utf8'), cookies[0])
  assert.equal(readdirSync(home), [COOKIE_FILE_NAME])
})

test('a cookie file readable or writable by group or others is refused', () => {
  for (const mode of [0o440, 0o404, 0o644, 0o460, 0o402, 0o666]) {
    const home = newHome()
    const f = writeCookie(home, 'SECRET', mode)
    const e = cookieError(() => resolveCookie({ env: {}, home }))
    assert.is(e.file, f)
    assert.is(e.message, `cookie file ${f} must be accessible by its owner only (mode is 0${mode.toString(8)}; run chmod 400 ${f})`)
    assert.not.match(e.message, 'SECRET')
  }
})

test('an empty cookie file is refused (also blank or with an empty first line)', () => {
  for (const text of ['', '\n', '   \n', '\nSECOND']) {
    const home = newHome()
    const f = writeCookie(home, text, 0o400)
    const e = cookieError(() => resolveCookie({ env: {}, home }))
    assert.is(e.message, `cookie file ${f} is empty`)
  }
})

test('a cookie file that is not a regular file is refused', () => {
  const home = newHome()
  mkdirSync(join(home, COOKIE_FILE_NAME), { mode: 0o700 })
  const e = cookieError(() => resolveCookie({ env: {}, home }))
  assert.match(e.message, /is not a regular file$/)
})

test('a symlink to an owner-only file is followed (as Erlang does)', () => {
  const home = newHome()
  const target = join(home, 'real-cookie')
  writeFileSync(target, 'LINKED', { mode: 0o400 })
  symlinkSync(target, join(home, COOKIE_FILE_NAME))
  assert.is(resolveCookie({ env: {}, home }).cookie, 'LINKED')
})

test('an empty or malformed --cookie, TEKKA_COOKIE or node.cookie is refused, not skipped', () => {
  const home = newHome()
  assert.is(cookieError(() => resolveCookie({ flag: '', home })).message, '--cookie cannot be used as a cookie: it is empty')
  assert.is(cookieError(() => resolveCookie({ env: { TEKKA_COOKIE: '' }, home })).message, 'TEKKA_COOKIE cannot be used as a cookie: it is empty')
  assert.is(cookieError(() => resolveCookie({ env: {}, config: 'a\nb', home })).message, 'node.cookie cannot be used as a cookie: it contains control characters')
  assert.is(cookieError(() => resolveCookie({ flag: 'x'.repeat(256), home })).message, '--cookie cannot be used as a cookie: it is longer than 255 characters')
  assert.not.ok(existsSync(join(home, COOKIE_FILE_NAME)))
  assert.is(cookieProblem('ok cookie!'), undefined)
})

test('a home directory that cannot hold the file gives a clear error', () => {
  const e = cookieError(() => resolveCookie({ env: {}, home: join(root, 'no-such-home') }))
  assert.match(e.message, /^cannot create cookie file .*no-such-home\/\.tekka\.cookie: ENOENT$/)
})

test('readCookieFile / createCookieFile directly', () => {
  const home = newHome()
  const f = join(home, COOKIE_FILE_NAME)
  assert.is(readCookieFile(f), undefined)
  const first = createCookieFile(f)
  assert.ok(first.created)
  const second = createCookieFile(f)
  assert.equal(second, { cookie: first.cookie, created: false })
  assert.is(readCookieFile(f), first.cookie)
})

test.run()
