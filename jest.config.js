// Jest runs in native ESM mode because the Nest 12 packages are ESM-only
// (NODE_OPTIONS=--experimental-vm-modules is set by the npm scripts).
//
// Two projects, run by two jest invocations (npm run test:unit, npm run test:e2e; `npm test` runs both):
//   unit  src/**/*.spec.ts and test/**/*.spec.ts: one class or function each, no shared server, so they run
//         in parallel (--maxWorkers in the script).
//   e2e   test/**/*.e2e-spec.ts: the real service against the real S3 server that globalSetup starts,
//         three test files at a time (--maxWorkers=3 in the script, on two cores too): a file spends part
//         of its time waiting on child processes, radosgw, Chromium and the disk, and with two workers
//         those waits left a core idle. Each worker has its own radosgw cluster, as
//         some tests stop and restart theirs; every test file works in its own temp folders and on
//         ephemeral ports.
// A project's globalSetup runs only when a test of that project is selected, so the unit tier never
// starts radosgw.

const shared = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
  setupFiles: ['<rootDir>/test/setup/env.ts'],
};

/** @type {import('jest').Config} */
export default {
  testTimeout: 60000,
  // A worker that has run many files holds every file's copy of the app's modules (jest's ESM registry is per
  // file): past this heap size it is replaced after its current file (same JEST_WORKER_ID, so the same S3
  // server), before forced collections and GC pressure slow the next files down by minutes.
  workerIdleMemoryLimit: '512MB',
  // Longest file first, also in a clone jest has no timings for yet (the Node 24 half of .ci/run): see the file.
  testSequencer: '<rootDir>/test/setup/longest-first-sequencer.js',
  projects: [
    {
      ...shared,
      displayName: 'unit',
      // web/src: the admin page's plain functions (no DOM here: hooks and components are tested in test/web.e2e-spec.ts).
      testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/web/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
    },
    {
      ...shared,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      // Real S3 server (Ceph radosgw on loopback) for the e2e tests; SENTINEL_TEST_S3=off skips it.
      globalSetup: '<rootDir>/test/setup/global-setup.ts',
      globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
    },
  ],
};
