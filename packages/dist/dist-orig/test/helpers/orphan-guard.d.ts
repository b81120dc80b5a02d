export {};
//# sourceMappingURL=orphan-guard.d.ts.map