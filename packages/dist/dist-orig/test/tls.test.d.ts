export {};
//# sourceMappingURL=tls.test.d.ts.map