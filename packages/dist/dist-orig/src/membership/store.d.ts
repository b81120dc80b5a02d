import { TekkaError } from '@tekka/actors';
import { type Entry } from './member-table.js';
export declare class MembershipStoreError extends TekkaError {
    readonly file: string;
    constructor(file: string, why: string, cause?: unknown);
}
export interface StoredMembership {
    node: string;
    cluster: string;
    entries: Entry[];
}
export declare class MembershipStore {
    readonly dir: string;
    readonly file: string;
    constructor(dataDir: string, node: string);
    /** The stored table, or undefined when there is none yet. Throws MembershipStoreError for anything unreadable. */
    load(node: string, cluster: string): Entry[] | undefined;
    save(node: string, cluster: string, entries: readonly Entry[]): void;
}
//# sourceMappingURL=store.d.ts.map