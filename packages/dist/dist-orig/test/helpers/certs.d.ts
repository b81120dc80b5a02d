export interface Certs {
    ca: string;
    key: string;
    cert: string;
    rogueCa: string;
    rogueKey: string;
    rogueCert: string;
}
export declare function haveOpenssl(): boolean;
export declare function makeCerts(): Certs;
//# sourceMappingURL=certs.d.ts.map