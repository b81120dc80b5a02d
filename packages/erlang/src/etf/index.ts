/**
 * The Erlang external term format (term_to_binary / binary_to_term), as
 * erts/doc's erl_ext_dist describes it: what a tekka node sends to and reads
 * from Erlang and Elixir nodes.
 *
 * ```ts
 * import { atom, decode, encode, tuple } from '@tekka/erlang'
 *
 * const bytes = encode(tuple(atom('hello'), Buffer.from('world'), [1, 2.5, 2n ** 70n]))
 * decode(bytes)   // Tuple [Atom hello, <Buffer 77 6f 72 6c 64>, [1, 2.5, 1180591620717411303424n]]
 * ```
 *
 * ## The mapping
 *
 * | Erlang | decodes to | encodes from |
 * |---|---|---|
 * | atom | `Atom` (interned: `atom('ok') === atom('ok')`) | `Atom` (at most 255 characters) |
 * | `true`, `false` | `true`, `false` | booleans, or the atoms |
 * | integer | `number` when a safe integer, else `bigint` | a safe-integer `number`, any `bigint` |
 * | float | `number` (`ErlFloat` with `floats: 'boxed'`) | a `number` that is not a safe integer, `-0`, `ErlFloat` (NaN, ±Infinity refused) |
 * | binary | `Buffer` (a copy) | `Buffer`, `Uint8Array` |
 * | bit string | `BitBinary` (`data`, `bits` 1..7 of the last byte) | `BitBinary` |
 * | list | `Array` (`[]` is `[]`) | `Array` |
 * | list of bytes (STRING_EXT) | `string` of those characters (`number[]` with `strings: 'list'`) | `string`: the list of its code points (STRING_EXT when all < 256) |
 * | improper list `[a \| b]` | `ImproperList` (`items`, `tail`) | `ImproperList` |
 * | tuple | `Tuple` (`elements`) | `Tuple`, `tuple(...)` |
 * | map | `Map` with term keys (look up with `mapGet`: tuple keys are objects; a float key next to an integer key of its value is an `ErlFloat`) | `Map` |
 * | pid | `ErlPid` (`node`, `id`, `serial`, `creation`) | `ErlPid` (NEW_PID_EXT) |
 * | reference | `ErlRef` (`node`, `creation`, `ids`) | `ErlRef` (NEWER_REFERENCE_EXT) |
 * | port | `ErlPort` (`node`, `id`, `creation`) | `ErlPort` (NEW_PORT_EXT; V4_PORT_EXT beyond 32 bits) |
 * | fun | refused: EtfDecodeError `ERR_ETF_UNSUPPORTED` | — |
 *
 * Strings: an Erlang string is a list, so a JavaScript string is one too
 * (a list of code points, `"héllo"` is `[104, 233, 108, 108, 111]`), and
 * Erlang writes a list of small integers as STRING_EXT, which decodes to a
 * string: `[1, 2, 3]` sent from Erlang arrives as `'\x01\x02\x03'`, and
 * `termEquals` holds between the two. Text as an Elixir string (a UTF-8
 * binary) is `Buffer.from(text)`; a list of code points beyond 255 (Erlang
 * writes it as LIST_EXT) arrives as a `number[]`. The empty string is `[]`.
 *
 * Integral floats: `1.0` decodes to the number 1, which encodes as the
 * integer 1. To keep floats floats both ways, decode with `floats: 'boxed'`
 * or send an `ErlFloat`. `termEquals` is Erlang's `=:=` over these values.
 *
 * Also read: the deprecated forms older nodes write (ATOM_EXT, SMALL_ATOM_EXT
 * in Latin-1, FLOAT_EXT, PID_EXT, PORT_EXT, REFERENCE_EXT, NEW_REFERENCE_EXT)
 * and compressed terms (tag 80, zlib), as `term_to_binary(T, [compressed])`
 * writes them. Refused with `ERR_ETF_UNSUPPORTED`: funs (NEW_FUN_EXT,
 * EXPORT_EXT, FUN_EXT) and LOCAL_EXT.
 *
 * ## Limits
 *
 * Malformed bytes are an EtfDecodeError (code, offset, tag), never a crash:
 * every length is checked against the bytes left before anything is
 * allocated, nesting stops at `maxDepth` (1000), a compressed term may not
 * state more than `maxInflated` bytes (64 MiB). A map key that comes twice
 * is refused when the keys are equal JavaScript values (atoms, numbers,
 * strings); two equal tuple keys are two Map entries.
 *
 * ## The atom cache (for the distribution layer)
 *
 * A distribution message with a DIST_HEADER (68) or DIST_FRAG_HEADER (69)
 * lists the atoms its terms refer to by ATOM_CACHE_REF (82, one byte of
 * index). The connection owns the cache (its 2048 slots, the header's new
 * entries, fragments): it reads the header, builds the message's list of
 * atoms, index by index as the header gives them, and hands it to the
 * decoder:
 *
 * ```ts
 * const refs: Atom[] = readDistHeader(frame)      // the connection's code
 * let { term: ctl, offset } = decodeAt(frame, afterHeader, { atomCache: refs })
 * const msg = offset < frame.length ? decodeAt(frame, offset, { atomCache: refs }).term : undefined
 * ```
 *
 * `ATOM_CACHE_REF i` is `atomCache[i]`; an index it has no atom for, or any
 * ATOM_CACHE_REF without an `atomCache`, is `ERR_ETF_ATOM_CACHE`. Terms
 * after a distribution header have no version byte (decodeAt's default);
 * `versioned: true` reads one (and then a compressed term) first. To write,
 * `encodeInto` a `TermWriter` (no atom cache is used when sending: every
 * atom is written out).
 */
export { decode, decodeAt, DEFAULT_MAX_DEPTH, DEFAULT_MAX_INFLATED, MAX_ATOM_CHARACTERS } from './decode.js'
export type { DecodeOptions } from './decode.js'
export { encode, encodeInto, TermWriter } from './encode.js'
export type { EncodeOptions } from './encode.js'
export { Atom, atom, BitBinary, ErlFloat, ErlPid, ErlPort, ErlRef, ImproperList, Tuple, tuple, termEquals, mapGet } from './terms.js'
export type { Term } from './terms.js'
export { EtfDecodeError, EtfEncodeError, ETF_ERRORS } from './errors.js'
export type { EtfDecodeErrorCode, EtfErrorCode } from './errors.js'
export { TAG as ETF_TAG, VERSION as ETF_VERSION } from './tags.js'
