export {};
//# sourceMappingURL=dist-remote.test.d.ts.map