/**
 * The errors of the external term format codec: one class for what is wrong
 * with bytes being decoded (`EtfDecodeError`, its code says what, `offset`
 * says where) and one for a JavaScript value that has no Erlang term
 * (`EtfEncodeError`). Registered with @tekka/actors' error table so they
 * keep their class across the tekka wire too.
 *
 * ```ts
 * try { decode(bytes) } catch (err) {
 *   if (err instanceof EtfDecodeError) log.warn(`${err.code} at byte ${err.offset}`)   // drop the message, keep the link
 * }
 * ```
 */
import { TekkaError, registerErrors, type TekkaErrorClass } from '@tekka/actors'

/** What was wrong with the bytes. */
export type EtfDecodeErrorCode =
  /** The first byte is not 131 (the format's version). */
  | 'ERR_ETF_BAD_VERSION'
  /** A tag this codec does not know. */
  | 'ERR_ETF_UNKNOWN_TAG'
  /** The bytes end inside a term (or a length field claims more bytes than there are). */
  | 'ERR_ETF_TRUNCATED'
  /** Bytes left after the one term of `decode`. */
  | 'ERR_ETF_TRAILING_BYTES'
  /** An atom longer than 255 characters, or not valid UTF-8. */
  | 'ERR_ETF_BAD_ATOM'
  /** An ATOM_CACHE_REF with no atom cache, or an index the cache has no atom for. */
  | 'ERR_ETF_ATOM_CACHE'
  /** Terms nested deeper than `maxDepth`. */
  | 'ERR_ETF_DEPTH_LIMIT'
  /** A compressed term that would inflate beyond `maxInflated`. */
  | 'ERR_ETF_SIZE_LIMIT'
  /** A term this codec refuses: funs (NEW_FUN_EXT, EXPORT_EXT, FUN_EXT), LOCAL_EXT. */
  | 'ERR_ETF_UNSUPPORTED'
  /** A field with a value the format does not allow: a bad bit count, reference length, a float that is NaN or infinite, a compressed term that does not inflate to its stated size. */
  | 'ERR_ETF_BAD_TERM'

export type EtfErrorCode = EtfDecodeErrorCode | 'ERR_ETF_UNENCODABLE'

/** Bytes that are no external term format this codec takes. `offset` is the byte (of the buffer given) where it went wrong; `tag` the tag of the term being read there, if any. */
export class EtfDecodeError extends TekkaError<EtfDecodeErrorCode> {
  readonly offset: number
  readonly tag: number | undefined
  constructor (code: EtfDecodeErrorCode, offset: number, what: string, tag?: number) {
    super(`external term format: ${what} at byte ${offset}${tag !== undefined ? ` (tag ${tag})` : ''}`, code)
    this.offset = offset
    this.tag = tag
  }
}

/** A JavaScript value with no Erlang term (a plain object, a function, undefined, NaN, an atom too long). `path` says where in the term it was (`[2].value`). */
export class EtfEncodeError extends TekkaError<'ERR_ETF_UNENCODABLE'> {
  readonly path: string
  constructor (what: string, path: string) {
    super(`cannot encode as an Erlang term: ${what}${path !== '' ? ` (at ${path})` : ''}`, 'ERR_ETF_UNENCODABLE')
    this.path = path
  }
}

/** Every code of the codec and its class. */
export const ETF_ERRORS = {
  ERR_ETF_BAD_VERSION: EtfDecodeError,
  ERR_ETF_UNKNOWN_TAG: EtfDecodeError,
  ERR_ETF_TRUNCATED: EtfDecodeError,
  ERR_ETF_TRAILING_BYTES: EtfDecodeError,
  ERR_ETF_BAD_ATOM: EtfDecodeError,
  ERR_ETF_ATOM_CACHE: EtfDecodeError,
  ERR_ETF_DEPTH_LIMIT: EtfDecodeError,
  ERR_ETF_SIZE_LIMIT: EtfDecodeError,
  ERR_ETF_UNSUPPORTED: EtfDecodeError,
  ERR_ETF_BAD_TERM: EtfDecodeError,
  ERR_ETF_UNENCODABLE: EtfEncodeError
} as const satisfies Record<EtfErrorCode, TekkaErrorClass>

registerErrors(ETF_ERRORS)
