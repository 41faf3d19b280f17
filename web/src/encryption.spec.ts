import { describe, expect, it } from '@jest/globals';
import { ApiError } from './api/client';
import type { EncryptionStatus } from './api/encryption';
import { accessNeeded, createdKeyOf, identityFromText, parseRecipientList, recoveryKeyFile, shortRecipient, stateInWords } from './encryption';

const RECIPIENT = 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p';
const IDENTITY = 'AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX';

function status(overrides: Partial<EncryptionStatus> = {}): EncryptionStatus {
  return {
    target: 'local',
    state: 'off',
    write_only: false,
    recipients: [],
    key_recipient: null,
    pending_recipient: null,
    user_recipients: [],
    keys: [],
    ...overrides,
  };
}

describe('shortRecipient', () => {
  it('keeps the start and the end of a recipient, enough to tell keys apart', () => {
    expect(shortRecipient(RECIPIENT)).toBe('age1ql3z…ac8p');
  });

  it('leaves a short string as it is', () => {
    expect(shortRecipient('age1short')).toBe('age1short');
  });
});

describe('recoveryKeyFile (recovery-key.txt)', () => {
  it('is laid out like age-keygen’s output, so `age -d -i` reads it: created, public key, the key', () => {
    expect(recoveryKeyFile(`${IDENTITY}\n`, RECIPIENT, new Date('2026-12-01T21:17:44.123Z'))).toBe(
      `# created: 2026-12-01T21:17:44Z\n# public key: ${RECIPIENT}\n${IDENTITY}\n`,
    );
  });

  it('leaves out the public key line when the recipient is unknown', () => {
    expect(recoveryKeyFile(IDENTITY, null, new Date('2026-01-02T03:04:05Z'))).toBe(`# created: 2026-01-02T03:04:05Z\n${IDENTITY}\n`);
  });
});

describe('identityFromText (a pasted key or a loaded recovery-key.txt)', () => {
  it('takes the key out of a key file and ignores the comment lines', () => {
    expect(identityFromText(recoveryKeyFile(IDENTITY, RECIPIENT, new Date()))).toBe(IDENTITY);
  });

  it('accepts a bare key with surrounding spaces and Windows line ends', () => {
    expect(identityFromText(`  ${IDENTITY}  \r\n`)).toBe(IDENTITY);
  });

  it('keeps several keys, one a line', () => {
    const other = IDENTITY.replace('GFPQ', 'GFPR');
    expect(identityFromText(`${IDENTITY}\n# another\n${other}\n`)).toBe(`${IDENTITY}\n${other}`);
  });

  it('finds nothing in text that holds no key (a public key, an empty field)', () => {
    expect(identityFromText(RECIPIENT)).toBeNull();
    expect(identityFromText('')).toBeNull();
    expect(identityFromText('AGE-SECRET-KEY-1 with spaces')).toBeNull();
  });
});

describe('accessNeeded (what a refused restore or verify needs from the user)', () => {
  it('asks for the recovery key when the key is missing, wrong or not a key', () => {
    for (const code of ['ENCRYPTION_KEY_REQUIRED', 'ENCRYPTION_KEY_WRONG', 'ENCRYPTION_KEY_INVALID']) {
      expect(accessNeeded(new ApiError(422, code, 'needs a key'))).toBe('key');
    }
  });

  it('asks for trust when the archive was not made here', () => {
    expect(accessNeeded(new ApiError(409, 'ARCHIVE_NOT_MADE_HERE', 'not made here'))).toBe('trust');
  });

  it('asks nothing for any other failure, or a failure that is not an API answer', () => {
    expect(accessNeeded(new ApiError(409, 'RESTORE_IN_PROGRESS', 'busy'))).toBeNull();
    expect(accessNeeded(new Error('network'))).toBeNull();
    expect(accessNeeded(null)).toBeNull();
  });
});

describe('stateInWords', () => {
  it('says that encryption is not active until the recovery key is confirmed', () => {
    expect(stateInWords(status({ state: 'awaiting_confirmation' }))).toMatch(/^Not active yet: .*until you confirm/);
  });

  it('says when the server keeps no key, and that a restore then asks for it', () => {
    expect(stateInWords(status({ state: 'active', write_only: true }))).toMatch(/^On: .*Write-only: the server keeps no key/);
    expect(stateInWords(status({ state: 'active' }))).not.toMatch(/Write-only/);
    expect(stateInWords(status({ state: 'off', write_only: true }))).toMatch(/^Off: /);
  });
});

describe('createdKeyOf (the key a recovery key panel shows)', () => {
  it('is the key waiting for confirmation, with its creation time', () => {
    const answer = status({
      state: 'active',
      key_recipient: 'age1old',
      pending_recipient: RECIPIENT,
      keys: [
        {
          recipient: RECIPIENT,
          created_at: '2026-12-01T20:00:00Z',
          confirmed_at: null,
          retired_at: null,
          identity_stored: true,
          current: false,
          pending: true,
        },
      ],
    });
    expect(createdKeyOf(answer)).toEqual({ recipient: RECIPIENT, created: new Date('2026-12-01T20:00:00Z') });
  });

  it('is the target’s key when nothing waits, created now when the key list does not name it', () => {
    const before = Date.now();
    const key = createdKeyOf(status({ state: 'awaiting_confirmation', key_recipient: RECIPIENT }));
    expect(key.recipient).toBe(RECIPIENT);
    expect(key.created.getTime()).toBeGreaterThanOrEqual(before);
  });
});

describe('parseRecipientList', () => {
  it('splits on lines, commas and spaces, and drops empty entries and duplicates', () => {
    expect(parseRecipientList(`${RECIPIENT}\n\n age1other , ${RECIPIENT}`)).toEqual([RECIPIENT, 'age1other']);
    expect(parseRecipientList('  ')).toEqual([]);
  });
});
