import { bech32Decode, bech32Encode } from './age-bech32.js';
import { AgeError } from './age-error.js';
import { ageRecipientOf, generateAgeIdentity, parseAgeIdentities, parseAgeRecipient } from './age-keys.js';

// A key pair made by age-keygen 1.1.1 (a test key, never used for anything else).
const KEYGEN_IDENTITY = 'AGE-SECRET-KEY-1ZU52KUYMX978CVV7PM70J0FSV5EVAT57G8653FKR6DREUKDT36TQ9CPEKD';
const KEYGEN_RECIPIENT = 'age1nq39k80c5au4yv4wczh7cw46gjjrtakyfe6gg2j3snf2x3swnqaqfxquqa';

function keyError(run: () => unknown): AgeError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(AgeError);
    expect((error as AgeError).reason).toBe('key-invalid');
    return error as AgeError;
  }
  throw new Error('expected an AgeError');
}

describe('Bech32 (BIP-173 test vectors)', () => {
  it.each([
    'A12UEL5L',
    'a12uel5l',
    'abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw',
    'split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w',
    '?1ezyfcl',
  ])('accepts %s', (s) => {
    expect(() => bech32Decode(s)).not.toThrow();
  });

  it.each(['A1G7SGD8', 'a1LRqk5w', '1pzry9x0s0muk', 'pzry9x0s0muk', 'x1b4n0q5v', 'li1dgmt3', 'A1G7SGD9'])('refuses %s', (s) => {
    expect(() => bech32Decode(s)).toThrow();
  });

  it('round-trips bytes, with no 90-character limit (age keys are longer than BIP-173 allows for some HRPs)', () => {
    const data = Buffer.from(Array.from({ length: 100 }, (_, i) => i));
    const encoded = bech32Encode('age-secret-key-', data);
    expect(encoded.length).toBeGreaterThan(90);
    expect(bech32Decode(encoded)).toEqual({ hrp: 'age-secret-key-', data });
  });
});

describe('age keys', () => {
  it('generates an upper-case identity and its lower-case recipient, as age-keygen writes them', () => {
    const { identity, recipient } = generateAgeIdentity();
    expect(identity).toMatch(/^AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}$/);
    expect(recipient).toMatch(/^age1[qpzry9x8gf2tvdw0s3jn54khce6mua7l]{58}$/);
    expect(ageRecipientOf(identity)).toBe(recipient);
    expect(generateAgeIdentity().identity).not.toBe(identity);
  });

  it('derives the spec\'s example recipient from its example identity (age spec, "The X25519 recipient type")', () => {
    expect(ageRecipientOf('AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX')).toBe(
      'age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj',
    );
  });

  it("derives age-keygen's recipient from age-keygen's identity", () => {
    expect(ageRecipientOf(KEYGEN_IDENTITY)).toBe(KEYGEN_RECIPIENT);
  });

  it('reads an age-keygen key file: comments, blank lines, CRLF, several keys', () => {
    const other = generateAgeIdentity().identity;
    const file = `# created: 2026-12-01T21:00:00Z\r\n# public key: ${KEYGEN_RECIPIENT}\r\n${KEYGEN_IDENTITY}\r\n\r\n  ${other}  \n`;
    expect(parseAgeIdentities(file)).toEqual([KEYGEN_IDENTITY, other]);
    expect(parseAgeIdentities(KEYGEN_IDENTITY)).toEqual([KEYGEN_IDENTITY]);
    expect(parseAgeIdentities(KEYGEN_IDENTITY.toLowerCase())).toEqual([KEYGEN_IDENTITY]);
  });

  it('says what is wrong with an identity without ever quoting it', () => {
    const cases: [string, RegExp][] = [
      ['age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj', /should start with AGE-SECRET-KEY-1/],
      [KEYGEN_IDENTITY.replace('9CPEKD', '9CPEKE'), /checksum does not match: a character was mistyped or lost/],
      [KEYGEN_IDENTITY.slice(0, 40) + KEYGEN_IDENTITY.slice(41), /checksum does not match|whole bytes/],
      [KEYGEN_IDENTITY.slice(0, 30) + 'b' + KEYGEN_IDENTITY.slice(31), /mixes upper- and lower-case/],
      [KEYGEN_IDENTITY.slice(0, 30) + 'B' + KEYGEN_IDENTITY.slice(31), /character 31 is not one Bech32 uses/],
      ['# only a comment\n\n', /no age identity found/],
    ];
    for (const [text, message] of cases) {
      const error = keyError(() => parseAgeIdentities(text));
      expect(error.message).toMatch(message);
      if (text.length > 40) expect(error.message).not.toContain(text.trim().slice(16, 40));
      expect(error.message.toUpperCase()).not.toContain('KUYMX978');
    }
    expect(keyError(() => parseAgeIdentities(`# key\n${KEYGEN_IDENTITY}\nAGE-SECRET-KEY-1QQQ`)).message).toMatch(/^line 3: /);
  });

  it('checks and normalises recipients, naming the problem', () => {
    expect(parseAgeRecipient(` ${KEYGEN_RECIPIENT.toUpperCase()}\n`)).toBe(KEYGEN_RECIPIENT);
    for (const secret of [KEYGEN_IDENTITY, `"${KEYGEN_IDENTITY}"`, `identity: ${KEYGEN_IDENTITY.toLowerCase()}`]) {
      const error = keyError(() => parseAgeRecipient(secret));
      expect(error.message).toMatch(/a secret key \(AGE-SECRET-KEY-1...\) is not an age recipient/);
      expect(error.message.toUpperCase()).not.toContain('KUYMX978');
    }
    // Low-order points (all zero, 1, and one of order 8): the trial X25519 encryption makes refuses them here already.
    for (const point of [
      Buffer.alloc(32),
      Buffer.from([1, ...Buffer.alloc(31)]),
      Buffer.from('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800', 'hex'),
    ]) {
      expect(keyError(() => parseAgeRecipient(bech32Encode('age', point))).message).toMatch(/low-order X25519 point/);
    }
    expect(keyError(() => parseAgeRecipient(KEYGEN_RECIPIENT.replace('fxquqa', 'fxquqq'))).message).toMatch(/checksum does not match/);
    const short = bech32Encode('age', Buffer.alloc(31, 7));
    expect(keyError(() => parseAgeRecipient(short)).message).toMatch(/32-byte X25519 key/);
    expect(keyError(() => parseAgeRecipient('ssh-ed25519 AAAA')).message).toMatch(/not an age recipient/);
  });
});
