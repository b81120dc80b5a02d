export declare const DEFAULT_BASE_PORT = 4370;
/** ekka's MAX_PORT_LIMIT: the trailing number is taken modulo this. */
export declare const PORT_OFFSET_LIMIT = 60000;
export interface NodeName {
    /** The full name, `short@host`. */
    readonly name: string;
    /** The part before `@` (Erlang's "alive" name). */
    readonly short: string;
    readonly host: string;
}
/**
 * Why `text` is not a node name, or `undefined` if it is one. A node name is
 * `name@host`: name of letters, digits, `_` and `-` (it becomes part of file
 * names and the port rule reads its trailing digits); host a DNS name or an
 * IPv4 / IPv6 address.
 */
export declare function nodeNameProblem(text: string): string | undefined;
/** Splits and checks `short@host`; throws BadNodeNameError naming what is wrong. */
export declare function parseNodeName(name: string): NodeName;
/** True when `name` is a valid `short@host`. */
export declare function isNodeName(name: unknown): name is string;
/**
 * The listen port of `name` by ekka_dist's rule. Works on a bare short name
 * too (ekka strips `@.*` first). 0 for `remsh*` names.
 */
export declare function nodePort(name: string, basePort?: number): number;
//# sourceMappingURL=node-name.d.ts.map