export {};
//# sourceMappingURL=raw-peer.d.ts.map