export {};
//# sourceMappingURL=codec.test.d.ts.map