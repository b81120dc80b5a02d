export type MemberState = 'member' | 'removed';
export interface Entry {
    readonly node: string;
    readonly state: MemberState;
    readonly version: number;
    /** The node that made this change: breaks ties between equal versions. */
    readonly by: string;
    /** The node's guid (32 hex digits), '' when not known yet. */
    readonly guid: string;
    /** Wall-clock ms of the change, for operators. */
    readonly at: number;
}
export interface Change {
    readonly node: string;
    readonly before: Entry | undefined;
    readonly after: Entry;
}
/** Checks an entry that came from a peer; undefined if it is not one. */
export declare function parseEntry(v: unknown): Entry | undefined;
export declare class MemberTable {
    #private;
    readonly self: string;
    constructor(self: string, entries?: readonly Entry[]);
    get(node: string): Entry | undefined;
    entries(): Entry[];
    isMember(node: string): boolean;
    /** Member entries, oldest (smallest guid) first; unknown guids last, by name. */
    members(): Entry[];
    /** Records a change made here: `state` for `node`, one version above what is known. */
    set(node: string, state: MemberState, guid?: string, at?: number): Change;
    /** A node's own report of its guid (a newer incarnation); no version change. */
    setGuid(node: string, guid: string): boolean;
    /** Merges a peer's entries; returns the entries whose state changed here. */
    merge(theirs: readonly Entry[]): Change[];
    /** Forgets everything but `keep` (a node that left starts a cluster of its own). */
    reset(keep: Entry): void;
}
/** Oldest first: by guid, unknown guids last, then by name. */
export declare function byAge(a: {
    guid: string;
    node: string;
}, b: {
    guid: string;
    node: string;
}): number;
//# sourceMappingURL=member-table.d.ts.map