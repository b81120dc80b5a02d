/** 48 bits of the node name's SHA-1, as 12 hex digits. */
export declare function nodeHash(node: string): string;
/** A new guid for `node`. */
export declare function makeGuid(node: string): string;
export declare function isGuid(v: unknown): v is string;
/** The time a guid was made, in ms since the epoch. */
export declare function guidTime(guid: string): number;
/** Position of a node on the 32-bit hash ring (the first 4 bytes of SHA-1 of its name). */
export declare function ringPosition(node: string): number;
//# sourceMappingURL=guid.d.ts.map