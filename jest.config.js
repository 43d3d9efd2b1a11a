// jest's configuration: the suite in two projects (docs/testing.md, "Two tiers").
// - unit: the files listed in UNIT. They start no process (no browser, no cdktf CLI, no terraform,
//   no tenant or verify process; __tests__/helpers/unit-tier-guard.ts fails a file that tries) and
//   each costs about a second of CPU at most, so `npm run test:unit` stays well under 15 s on two
//   cores. No globalSetup: the prerequisite check and the CLI bundles are for the other project.
// - integration: every other __tests__/**/*.test.ts, processes and heavy in-process files alike. A
//   new file lands here, where nothing is refused, until someone lists it in UNIT.
// `npm test` runs both. __tests__/test-tiers.test.ts checks, with jest's own reading of this file,
// that each test file is in exactly one project.

/** Test files (under __tests__/) of the unit tier, in name order. */
const UNIT = [
  "action.test.ts",
  "app-metadata-claims.test.ts",
  "compile-action.test.ts",
  "flow-runtime-batch.test.ts",
  "flow-runtime.test.ts",
  "layering.test.ts",
  "local-tenant-actions-store.test.ts",
  "post-login-api.test.ts",
  "post-login-flow.test.ts",
  "preview-base-order.test.ts",
  "preview-batch-parse.test.ts",
  "preview-environment.test.ts",
  "preview-report.test.ts",
  "provider-schema.test.ts",
  "review-flow.test.ts",
  "runtime-claims-limit.test.ts",
  "runtime.test.ts",
  "test-tiers.test.ts",
  "verify-compare.test.ts",
  "verify-scrub.test.ts",
];

const escapeRegex = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** What both projects share. */
const common = {
  testEnvironment: "node",
  transform: { "\\.ts$": "<rootDir>/scripts/jest-esbuild.cjs" },
};

module.exports = {
  // On two cores: many integration files wait on child processes and loopback servers (docs/testing.md).
  maxWorkers: 3,
  // A global option: jest ignores it in a project.
  testTimeout: 60000,
  projects: [
    {
      ...common,
      displayName: { name: "unit", color: "cyan" },
      testMatch: UNIT.map((file) => `<rootDir>/__tests__/${file}`),
      setupFilesAfterEnv: ["<rootDir>/__tests__/helpers/unit-tier-guard.ts"],
    },
    {
      ...common,
      displayName: { name: "integration", color: "magenta" },
      testMatch: ["<rootDir>/__tests__/**/*.test.ts"],
      testPathIgnorePatterns: ["/node_modules/", ...UNIT.map((file) => `/__tests__/${escapeRegex(file)}$`)],
      globalSetup: "<rootDir>/__tests__/helpers/global-setup.ts",
      globalTeardown: "<rootDir>/__tests__/helpers/global-teardown.ts",
    },
  ],
};
