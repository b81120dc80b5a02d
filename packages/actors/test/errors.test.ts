/**
 * The error table: every class of ACTORS_ERRORS has the code it is listed
 * under and is what `errorClassOf` rebuilds that code as; `registerErrors`
 * refuses a code taken by another class; TimeoutError for generic waits.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  ACTORS_ERRORS, BadArgError, ChildExistsError, NoProcError, Pid, StartError, TekkaError, TimeoutError, errorClassOf, registerErrors,
  type ActorsErrorCode
} from '../src/index.js'

/** One instance of each class, by its code: a class added to the table without an entry here does not compile. */
const MAKE: { [K in ActorsErrorCode]: () => InstanceType<(typeof ACTORS_ERRORS)[K]> } = {
  ERR_NOPROC: () => new ACTORS_ERRORS.ERR_NOPROC('<0.1.0>'),
  ERR_NAME_TAKEN: () => new ACTORS_ERRORS.ERR_NAME_TAKEN('svc'),
  ERR_CALL_TIMEOUT: () => new ACTORS_ERRORS.ERR_CALL_TIMEOUT('svc', 5000),
  ERR_CALL_EXIT: () => new ACTORS_ERRORS.ERR_CALL_EXIT('svc', 'noproc'),
  ERR_BAD_ARG: () => new ACTORS_ERRORS.ERR_BAD_ARG('bad', 'x'),
  ERR_PROCESS_EXITED: () => new ACTORS_ERRORS.ERR_PROCESS_EXITED(),
  ERR_START_FAILED: () => new ACTORS_ERRORS.ERR_START_FAILED('svc', 'timeout'),
  ERR_BAD_RETURN: () => new ACTORS_ERRORS.ERR_BAD_RETURN('handleCast', 42),
  ERR_NO_HANDLER: () => new ACTORS_ERRORS.ERR_NO_HANDLER('handleCall'),
  ERR_CHILD_NOT_FOUND: () => new ACTORS_ERRORS.ERR_CHILD_NOT_FOUND('a'),
  ERR_CHILD_RUNNING: () => new ACTORS_ERRORS.ERR_CHILD_RUNNING('a'),
  ERR_CHILD_RESTARTING: () => new ACTORS_ERRORS.ERR_CHILD_RESTARTING('a'),
  ERR_CHILD_EXISTS: () => new ACTORS_ERRORS.ERR_CHILD_EXISTS('a', undefined),
  ERR_TIMEOUT: () => new ACTORS_ERRORS.ERR_TIMEOUT('the join', 100)
}

test('every class in ACTORS_ERRORS has the code it is listed under, its own name, and is a TekkaError', () => {
  const codes = Object.keys(ACTORS_ERRORS) as ActorsErrorCode[]
  assert.equal(codes.sort(), Object.keys(MAKE).sort())
  for (const code of codes) {
    const e = MAKE[code]()
    assert.instance(e, ACTORS_ERRORS[code], code)
    assert.instance(e, TekkaError, code)
    assert.instance(e, Error, code)
    assert.is(e.code, code)
    assert.is(e.name, ACTORS_ERRORS[code].name, code)
    assert.ok(e.message.length > 0, code)
  }
})

test('errorClassOf rebuilds each code of the table as its class; an unknown code has none', () => {
  for (const [code, Class] of Object.entries(ACTORS_ERRORS)) assert.is(errorClassOf(code), Class, code)
  assert.is(errorClassOf('ERR_NO_SUCH_CODE'), undefined)
})

test('registerErrors: the same class again is fine; a code taken by another class throws, naming both', () => {
  registerErrors(ACTORS_ERRORS)
  class OtherNoProc extends TekkaError<'ERR_NOPROC'> {
    constructor () { super('other', 'ERR_NOPROC') }
  }
  assert.throws(() => { registerErrors({ ERR_NOPROC: OtherNoProc }) }, /ERR_NOPROC is already NoProcError, not OtherNoProc/)
  assert.is(errorClassOf('ERR_NOPROC'), NoProcError, 'the first registration stands')
  class FreshError extends TekkaError<'ERR_TEST_FRESH'> {
    constructor () { super('fresh', 'ERR_TEST_FRESH') }
  }
  registerErrors({ ERR_TEST_FRESH: FreshError })
  assert.is(errorClassOf('ERR_TEST_FRESH'), FreshError)
})

test('TimeoutError names what did not happen and after how long', () => {
  const e = new TimeoutError('a nodeup from b@host', 250)
  assert.instance(e, TekkaError)
  assert.is(e.code, 'ERR_TIMEOUT')
  assert.is(e.name, 'TimeoutError')
  assert.is(e.timeout, 250)
  assert.is(e.message, 'a nodeup from b@host did not happen within 250 ms')
})

test('TekkaError keeps a cause; subclasses keep their fields', () => {
  const cause = new Error('underneath')
  const e = new TekkaError('on top', 'ERR_X', { cause })
  assert.is(e.cause, cause)
  assert.is(e.name, 'TekkaError')
  const bad = new BadArgError('port must be a number', 'port')
  assert.is(bad.argument, 'port')
  const start = new StartError('svc', cause)
  assert.is(start.reason, cause)
  assert.is(start.cause, cause)
  assert.match(start.message, 'svc failed to start: Error: underneath')
  const pid = new Pid('a@host', 3, 1)
  const exists = new ChildExistsError('w', pid)
  assert.is(exists.pid, pid)
  assert.match(exists.message, `already started as ${String(pid)}`)
})

test.run()
