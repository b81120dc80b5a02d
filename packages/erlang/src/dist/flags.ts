/**
 * Erlang's distribution capability flags (erts' DFLAG_*; kernel's dist.hrl),
 * as 64-bit bigints, and the set this side advertises.
 *
 * OTP 25 refuses a peer that lacks any of MANDATORY_DFLAGS_25 (dist_util),
 * so we require it of peers too and advertise it with
 * DFLAG_MANDATORY_25_DIGEST. We do not ask for the atom cache
 * (DIST_HDR_ATOM_CACHE) or fragments: erl then sends every message as a
 * pass-through packet (112) with plain external-format terms.
 */

export const DFLAG = {
  PUBLISHED: 0x01n,
  ATOM_CACHE: 0x02n,
  EXTENDED_REFERENCES: 0x04n,
  DIST_MONITOR: 0x08n,
  FUN_TAGS: 0x10n,
  DIST_MONITOR_NAME: 0x20n,
  HIDDEN_ATOM_CACHE: 0x40n,
  NEW_FUN_TAGS: 0x80n,
  EXTENDED_PIDS_PORTS: 0x100n,
  EXPORT_PTR_TAG: 0x200n,
  BIT_BINARIES: 0x400n,
  NEW_FLOATS: 0x800n,
  UNICODE_IO: 0x1000n,
  DIST_HDR_ATOM_CACHE: 0x2000n,
  SMALL_ATOM_TAGS: 0x4000n,
  UTF8_ATOMS: 0x10000n,
  MAP_TAG: 0x20000n,
  BIG_CREATION: 0x40000n,
  SEND_SENDER: 0x80000n,
  BIG_SEQTRACE_LABELS: 0x100000n,
  EXIT_PAYLOAD: 0x400000n,
  FRAGMENTS: 0x800000n,
  HANDSHAKE_23: 0x1000000n,
  UNLINK_ID: 0x2000000n,
  MANDATORY_25_DIGEST: 0x4000000n,
  SPAWN: 1n << 32n,
  NAME_ME: 2n << 32n,
  V4_NC: 4n << 32n,
  ALIAS: 8n << 32n
} as const

export type DflagName = keyof typeof DFLAG

/** What OTP 25 requires of every peer (kernel's MANDATORY_DFLAGS_25). */
export const MANDATORY_DFLAGS_25 = DFLAG.EXTENDED_REFERENCES | DFLAG.FUN_TAGS | DFLAG.EXTENDED_PIDS_PORTS |
  DFLAG.NEW_FUN_TAGS | DFLAG.EXPORT_PTR_TAG | DFLAG.BIT_BINARIES | DFLAG.NEW_FLOATS | DFLAG.UTF8_ATOMS |
  DFLAG.MAP_TAG | DFLAG.BIG_CREATION | DFLAG.HANDSHAKE_23

/** What a tekka node advertises: the mandatory set, UNLINK_ID, V4_NC, monitors by pid and by name, exit payloads; PUBLISHED unless hidden. */
export const DEFAULT_DFLAGS = MANDATORY_DFLAGS_25 | DFLAG.MANDATORY_25_DIGEST | DFLAG.UNLINK_ID | DFLAG.V4_NC |
  DFLAG.DIST_MONITOR | DFLAG.DIST_MONITOR_NAME | DFLAG.EXIT_PAYLOAD | DFLAG.PUBLISHED

/** The names of the flags set in `flags`, for messages and logs. */
export function flagNames (flags: bigint): DflagName[] {
  return (Object.keys(DFLAG) as DflagName[]).filter((k) => (flags & DFLAG[k]) !== 0n)
}
