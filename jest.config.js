/**
 * Three kinds of tests, one run (`npm test`); each kind can run alone (`jest --selectProjects`):
 * - unit: pure code (domain rules, property tests, page rendering): no server, seconds
 *   (`npm run test:unit`);
 * - workflows: workflow branches in Temporal's time-skipping test environment with mocked
 *   activities (the test server binary is cached like the other binaries);
 * - integration: everything on real services, a Temporal dev server and FerretDB started once for
 *   the run (a project's global setup only runs when one of its tests is selected);
 * - replay: the replay gate — checked-in workflow histories replayed against this workflow code,
 *   offline (no server), the code bundled once by its global setup (`npm run test:replay`).
 */
const transform = { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] };
const UNIT = [
  '<rootDir>/test/domain/**/*.test.ts',
  '<rootDir>/test/web/**/*.test.ts',
  '<rootDir>/test/**/*.unit.test.ts',
];
const WORKFLOWS = ['<rootDir>/test/workflows/**/*.test.ts'];
const REPLAY = ['<rootDir>/test/replay/**/*.test.ts'];

/** @type {import('jest').Config} */
module.exports = {
  testTimeout: 60_000,
  projects: [
    { displayName: 'unit', testEnvironment: 'node', transform, testMatch: UNIT },
    { displayName: 'workflows', testEnvironment: 'node', transform, testMatch: WORKFLOWS },
    {
      displayName: 'replay',
      testEnvironment: 'node',
      transform,
      testMatch: REPLAY,
      globalSetup: '<rootDir>/test/replay/setup.ts',
      globalTeardown: '<rootDir>/test/replay/teardown.ts',
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testPathIgnorePatterns: [
        '/node_modules/',
        '/test/domain/',
        '/test/web/',
        '\\.unit\\.test\\.ts$',
        '/test/workflows/',
        '/test/replay/',
      ],
      globalSetup: '<rootDir>/test/setup/global-setup.ts',
      globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
    },
  ],
};
