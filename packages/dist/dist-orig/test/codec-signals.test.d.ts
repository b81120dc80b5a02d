export {};
//# sourceMappingURL=codec-signals.test.d.ts.map