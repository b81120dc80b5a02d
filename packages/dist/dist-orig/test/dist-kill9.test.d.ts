export {};
//# sourceMappingURL=dist-kill9.test.d.ts.map