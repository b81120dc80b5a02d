export {};
//# sourceMappingURL=frame.test.d.ts.map