export declare class Reassembly {
    #private;
    readonly maxSize: number;
    constructor(maxSize: number);
    /** True between a first fragment and the last one. */
    get active(): boolean;
    /** Starts a message of `total` bytes; returns it if this first fragment already holds all of it. */
    begin(total: number, chunk: Buffer): Buffer | undefined;
    /** Adds the next fragment; returns the whole message once it is complete. */
    append(chunk: Buffer): Buffer | undefined;
    reset(): void;
}
//# sourceMappingURL=reassembly.d.ts.map