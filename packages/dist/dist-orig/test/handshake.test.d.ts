export {};
//# sourceMappingURL=handshake.test.d.ts.map