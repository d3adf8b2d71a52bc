/** Jest runs TypeScript through ts-jest without type-checking (npm test runs tsc first). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.tsx?$': ['ts-jest', { diagnostics: false }],
  },
  // Synth-heavy suites share two cores; keep workers at the core count.
  maxWorkers: 2,
  testTimeout: 120000,
  snapshotFormat: { printBasicPrototype: false },
};
