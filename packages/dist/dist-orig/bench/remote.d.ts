export {};
//# sourceMappingURL=remote.d.ts.map