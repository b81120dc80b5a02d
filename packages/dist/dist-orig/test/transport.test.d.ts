export {};
//# sourceMappingURL=transport.test.d.ts.map