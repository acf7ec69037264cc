/**
 * Tests import the built packages (`@tessera/engine`, `@tessera/engine/internal`), exactly as
 * users do: worker threads load compiled JavaScript, so the suites exercise what ships.
 * `npm test` builds first; ts-jest only transpiles the test files themselves.
 */
/** @type {import('jest').Config} */
export default {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  extensionsToTreatAsEsm: [".ts"],
  moduleNameMapper: { "^(\\.{1,2}/.*)\\.js$": "$1" },
  transform: {
    "^.+\\.ts$": ["ts-jest", { useESM: true, tsconfig: "<rootDir>/test/tsconfig.json" }],
  },
  testTimeout: 60000,
};
