// Jest runs in native ESM mode because the Nest 12 packages are ESM-only
// (NODE_OPTIONS=--experimental-vm-modules is set by the npm scripts).
/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
  // web/src: the admin page's plain functions (no DOM here: hooks and components are tested in test/web.e2e-spec.ts).
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/web/src/**/*.spec.ts', '<rootDir>/test/**/*.e2e-spec.ts'],
  setupFiles: ['<rootDir>/test/setup/env.ts'],
  // Real S3 server (Ceph radosgw on loopback) for the e2e tests; SENTINEL_TEST_S3=off skips it.
  globalSetup: '<rootDir>/test/setup/global-setup.ts',
  globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
  testTimeout: 60000,
};
