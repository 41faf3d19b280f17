/**
 * SENTINEL_MASTER_KEY of the tests' services: 64 hex characters, used as the key as it is. A passphrase
 * would be stretched with scrypt (N = 2^15) at every start, a real share of each start's CPU in a suite
 * that starts the service hundreds of times; the passphrase path has its own tests (secret-cipher.spec.ts,
 * and the "changed key" tests, which start again with a passphrase).
 */
export const TEST_MASTER_KEY = '5e7e11e1b0c4a0f1de5e7e11e1b0c4a0f1de5e7e11e1b0c4a0f1de5e7e11e1b0';
