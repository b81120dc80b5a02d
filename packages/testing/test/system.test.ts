// What a test needs of the machine: a missing command or missing root is a
// MissingSystemError that says what is missing and how to get it.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { TekkaError, errorClassOf } from '@tekka/actors'
import { MissingSystemError, findCommand, requireCommand, requireRoot } from '../src/system.js'
import { TESTING_ERRORS } from '../src/errors.js'

test('requireCommand: a missing command names itself, the test, the Debian package and how to install it', () => {
  let err: unknown
  try { requireCommand('tekka-no-such-command', 'tekka-pkg', 'the frob tests') } catch (e) { err = e }
  assert.instance(err, MissingSystemError)
  const e = err as MissingSystemError
  assert.instance(e, TekkaError)
  assert.is(e.code, 'ERR_MISSING_SYSTEM')
  assert.is(e.needs, 'the tekka-no-such-command command')
  assert.match(e.message, 'the frob tests needs the tekka-no-such-command command: install the Debian package tekka-pkg (apt-get install tekka-pkg)')
  assert.match(e.message, 'node scripts/system-deps.mjs')
  assert.is(requireCommand(process.execPath, 'nodejs', 'x'), process.execPath)
})

test('findCommand: looks on PATH and in the sbin directories; only executable files count', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tekka-system-'))
  const saved = process.env.PATH
  try {
    const exe = join(dir, 'tekka-fake-tool')
    const plain = join(dir, 'tekka-not-executable')
    writeFileSync(exe, '#!/bin/sh\n')
    chmodSync(exe, 0o755)
    writeFileSync(plain, 'data')
    process.env.PATH = `/nonexistent:${dir}`
    assert.is(findCommand('tekka-fake-tool'), exe)
    assert.is(findCommand('tekka-not-executable'), undefined)
    assert.is(findCommand(exe), exe, 'a path is checked as it is')
    assert.is(findCommand(join(dir, 'missing')), undefined)
  } finally {
    process.env.PATH = saved
    rmSync(dir, { recursive: true, force: true })
  }
})

test('requireRoot: passes for uid 0 on Linux; otherwise says to run as root (or that it needs Linux)', () => {
  requireRoot('the partition tests', { uid: 0, platform: 'linux' })
  const as = (uid: number | undefined, platform: string): MissingSystemError => {
    try { requireRoot('the partition tests', { uid, platform }) } catch (e) { return e as MissingSystemError }
    throw new Error('requireRoot did not throw')
  }
  const user = as(1000, 'linux')
  assert.instance(user, MissingSystemError)
  assert.is(user.needs, 'root')
  assert.match(user.message, 'the partition tests needs root (uid 1000): run the tests as root')
  assert.match(user.message, '--unit runs only the tests that need no root')
  assert.match(as(undefined, 'darwin').message, 'the partition tests needs Linux: it cannot run on darwin')
})

test('the error table: each class has the code it is listed under and is what the code is rebuilt as', () => {
  const args: Record<string, unknown[]> = { ERR_MISSING_SYSTEM: ['x', 'y', 'z'], ERR_EVENTUALLY_TIMEOUT: ['m', undefined], ERR_WRONG_REJECTION: ['m', undefined] }
  for (const [code, Class] of Object.entries(TESTING_ERRORS)) {
    const e = new (Class as new (...a: unknown[]) => TekkaError)(...(args[code] ?? ['message']))
    assert.is(e.code, code)
    assert.instance(e, TekkaError)
    assert.is(e.name, Class.name)
    assert.is(errorClassOf(code), Class, code)
  }
})

test.run()
