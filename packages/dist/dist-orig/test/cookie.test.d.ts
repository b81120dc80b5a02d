export {};
//# sourceMappingURL=cookie.test.d.ts.map