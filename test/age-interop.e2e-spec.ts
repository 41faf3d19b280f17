import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createAgeDecryptStream } from '../src/encryption/age/age-decrypt-stream.js';
import { ageEncryptedSizeBound, createAgeEncryptStream } from '../src/encryption/age/age-encrypt-stream.js';
import { AgeError, type AgeErrorReason } from '../src/encryption/age/age-error.js';
import { AGE_CHUNK_SIZE } from '../src/encryption/age/age-format.js';
import { ageRecipientOf, generateAgeIdentity, parseAgeIdentities, type AgeKeyPair } from '../src/encryption/age/age-keys.js';

// Interoperability with the real `age` command (Debian's age package, 1.1.1), both ways. The commands are the
// peer, so a missing one fails the suite rather than skipping it.
const AGE = '/usr/bin/age';
const AGE_KEYGEN = '/usr/bin/age-keygen';

let dir: string;

beforeAll(() => {
  for (const command of [AGE, AGE_KEYGEN]) {
    if (!fs.existsSync(command)) throw new Error(`${command} is missing: install Debian's age package (apt-get install age)`);
  }
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'age-interop-'));
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Writes `identity` as age-keygen would (comments, then the key) and returns the file's path. */
function keyFile(name: string, identity: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `# created: ${new Date().toISOString()}\n# public key: ${ageRecipientOf(identity)}\n${identity}\n`, { mode: 0o600 });
  return file;
}

describe('age keys against age-keygen and age', () => {
  it('an identity we generate is one age reads: age-keygen -y prints our recipient, age -d -i decrypts to it', () => {
    const { identity, recipient } = generateAgeIdentity();
    const file = keyFile('ours.txt', identity);
    expect(execFileSync(AGE_KEYGEN, ['-y', file]).toString().trim()).toBe(recipient);
    const encrypted = execFileSync(AGE, ['-e', '-r', recipient], { input: 'hello' });
    expect(execFileSync(AGE, ['-d', '-i', file], { input: encrypted }).toString()).toBe('hello');
  });

  it('a key file age-keygen makes parses, and gives the recipient age-keygen -y prints', () => {
    const file = path.join(dir, 'keygen.txt');
    execFileSync(AGE_KEYGEN, ['-o', file], { stdio: 'pipe' });
    const identities = parseAgeIdentities(fs.readFileSync(file, 'utf8'));
    expect(identities).toHaveLength(1);
    expect(ageRecipientOf(identities[0])).toBe(execFileSync(AGE_KEYGEN, ['-y', file]).toString().trim());
  });
});

const K = AGE_CHUNK_SIZE;
const SEALED = K + 16;

/** `input` through `stream`, fed in 10 000-byte pieces (not aligned to chunks). */
async function through(stream: Transform, input: Buffer): Promise<Buffer> {
  const out: Buffer[] = [];
  const pieces = Array.from({ length: Math.ceil(input.length / 10_000) }, (_, i) => input.subarray(i * 10_000, (i + 1) * 10_000));
  await pipeline(Readable.from(pieces), stream, async (source: AsyncIterable<Buffer>) => {
    for await (const b of source) out.push(b);
  });
  return Buffer.concat(out);
}

async function refusedBy(file: Buffer, identities: string[]): Promise<AgeError> {
  const error = await through(createAgeDecryptStream(identities), file).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AgeError);
  return error as AgeError;
}

/** `age -d -i keyFile` of `file`: the plaintext, or undefined when age refuses it. */
function ageDecrypt(file: Buffer, keyFilePath: string): Buffer | undefined {
  const result = spawnSync(AGE, ['-d', '-i', keyFilePath], { input: file, maxBuffer: 64 * 1024 * 1024 });
  return result.status === 0 ? result.stdout : undefined;
}

describe('our age files, read by age -d', () => {
  const people: AgeKeyPair[] = [generateAgeIdentity(), generateAgeIdentity(), generateAgeIdentity()];

  it.each([1, 2, 3])('to %i recipients: each decrypts alone with age -d -i, for sizes around the chunk size', async (n) => {
    const recipients = people.slice(0, n);
    // Every size for one recipient; for more, the sizes that end on and off a chunk boundary (age runs are slow here).
    const sizes = n === 1 ? [0, 1, K - 1, K, K + 1, 3 * K, 2 * 1024 * 1024 + 7] : [0, 2 * K, 2 * K + 7];
    for (const size of sizes) {
      const plain = randomBytes(size);
      const file = await through(createAgeEncryptStream(recipients.map((p) => p.recipient)), plain);
      recipients.forEach((person, i) => {
        expect(ageDecrypt(file, keyFile(`reader-${i}.txt`, person.identity))?.equals(plain)).toBe(true);
      });
      expect(ageDecrypt(file, keyFile('outsider.txt', generateAgeIdentity().identity))).toBeUndefined();
    }
  });
});

describe("age's files, read by our decryption", () => {
  const me = generateAgeIdentity();
  const friend = generateAgeIdentity();

  it('age -r, for sizes around the chunk size (and the size bound holds for what age writes)', async () => {
    for (const size of [0, 1, K - 1, K, K + 1, 3 * K, 2 * 1024 * 1024 + 7]) {
      const plain = randomBytes(size);
      const file = execFileSync(AGE, ['-e', '-r', me.recipient], { input: plain, maxBuffer: 64 * 1024 * 1024 });
      expect(file.length).toBeLessThanOrEqual(ageEncryptedSizeBound(size, 1));
      expect((await through(createAgeDecryptStream([me.identity]), file)).equals(plain)).toBe(true);
    }
  });

  it('age -R with several recipients: each identity alone decrypts', async () => {
    const third = generateAgeIdentity();
    const recipientsFile = path.join(dir, 'recipients.txt');
    fs.writeFileSync(recipientsFile, `# ours\n${me.recipient}\n${friend.recipient}\n`);
    const plain = randomBytes(K * 2 + 99);
    const file = execFileSync(AGE, ['-e', '-R', recipientsFile, '-r', third.recipient], { input: plain });
    for (const person of [me, friend, third]) {
      expect((await through(createAgeDecryptStream([person.identity]), file)).equals(plain)).toBe(true);
    }
  });

  it('a file also encrypted to an ssh-ed25519 key: the ssh stanza is skipped', async () => {
    const sshKey = path.join(dir, 'id_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', sshKey]);
    const plain = randomBytes(1000);
    const file = execFileSync(AGE, ['-e', '-R', `${sshKey}.pub`, '-r', me.recipient], { input: plain });
    expect(file.toString('latin1')).toContain('-> ssh-ed25519 ');
    expect((await through(createAgeDecryptStream([me.identity]), file)).equals(plain)).toBe(true);
  });

  // No scrypt case: age 1.1.1 refuses "-p/--passphrase can't be combined with -r/--recipient", and the spec
  // requires an scrypt stanza to be a file's only one, so no file has both.

  describe('damaged or cut files from age, refused with their reason (age refuses them too)', () => {
    const plain = randomBytes(3 * K + 1000);
    let file: Buffer;
    let payload: number;
    let key: string;
    beforeAll(() => {
      file = execFileSync(AGE, ['-e', '-r', me.recipient], { input: plain });
      payload = file.indexOf('\n', file.indexOf('\n---') + 1) + 1 + 16;
      key = keyFile('me.txt', me.identity);
    });

    const expectRefused = async (changed: Buffer, reason: AgeErrorReason, chunk?: number): Promise<AgeError> => {
      expect(ageDecrypt(changed, key)).toBeUndefined();
      const error = await refusedBy(changed, [me.identity]);
      expect(error.reason).toBe(reason);
      if (chunk !== undefined) expect(error.chunk).toBe(chunk);
      return error;
    };
    const withByte = (at: number, value: number): Buffer => {
      const copy = Buffer.from(file);
      copy[at] = value;
      return copy;
    };

    it('a byte changed in the header: in the MAC, in the wrapped file key', async () => {
      const macAt = payload - 16 - 10;
      await expectRefused(withByte(macAt, file[macAt] === 0x41 ? 0x42 : 0x41), 'header-mac');
      const bodyAt = file.indexOf('\n', file.indexOf('-> X25519')) + 5;
      await expectRefused(withByte(bodyAt, file[bodyAt] === 0x41 ? 0x42 : 0x41), 'no-matching-identity');
    });

    it('a byte flipped in the middle chunk and in the last chunk', async () => {
      await expectRefused(withByte(payload + SEALED + 1234, file[payload + SEALED + 1234] ^ 1), 'damaged', 1);
      await expectRefused(withByte(file.length - 100, file[file.length - 100] ^ 1), 'damaged', 3);
    });

    it('cut exactly at a chunk boundary: truncated; cut in the middle of a chunk: refused at that chunk', async () => {
      await expectRefused(file.subarray(0, payload + 2 * SEALED), 'truncated');
      await expectRefused(file.subarray(0, payload + SEALED), 'truncated');
      const midChunk = await expectRefused(file.subarray(0, payload + SEALED + 5000), 'damaged', 1);
      expect(midChunk.message).toMatch(/cut short/);
    });
  });
});
