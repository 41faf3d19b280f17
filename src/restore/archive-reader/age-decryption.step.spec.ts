import { randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createAgeEncryptStream } from '../../encryption/age/age-encrypt-stream.js';
import { generateAgeIdentity } from '../../encryption/age/age-keys.js';
import { AgeDecryptionStep } from './age-decryption.step.js';
import type { ArchiveKeys } from './archive-read-step.js';

const PLAIN = 'sentinel-backup-2026-01-08-143022.tar.gz';
const ENCRYPTED = `${PLAIN}.age`;

/** `bytes` fed in pieces of `piece` bytes (odd sizes, so the first bytes arrive split). */
function source(bytes: Buffer, piece: number): Readable {
  const parts: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += piece) parts.push(bytes.subarray(at, at + piece));
  return Readable.from(parts);
}

async function read(archive: string, bytes: Buffer, keys?: ArchiveKeys, piece = 7): Promise<Buffer> {
  const out: Buffer[] = [];
  const sink = new Writable({ write: (chunk: Buffer, _e, callback) => (out.push(chunk), callback()) });
  await pipeline(source(bytes, piece), new AgeDecryptionStep().create({ archive, keys }), sink);
  return Buffer.concat(out);
}

async function encrypt(plain: Buffer, recipients: string[]): Promise<Buffer> {
  const out: Buffer[] = [];
  const sink = new Writable({ write: (chunk: Buffer, _e, callback) => (out.push(chunk), callback()) });
  await pipeline(Readable.from([plain]), createAgeEncryptStream(recipients), sink);
  return Buffer.concat(out);
}

describe('AgeDecryptionStep', () => {
  const key = generateAgeIdentity();
  const other = generateAgeIdentity();
  // A gzip magic number first, as every plain archive has, and more than two 64 KiB chunks.
  const plain = Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), randomBytes(150_000)]);
  let sealed: Buffer;
  beforeAll(async () => (sealed = await encrypt(plain, [other.recipient, key.recipient])));

  it('passes a plain archive through unchanged, whatever the sizes of its pieces', async () => {
    for (const piece of [1, 5, 21, 22, 23, 65_536]) expect((await read(PLAIN, plain, undefined, piece)).equals(plain)).toBe(true);
    expect((await read(PLAIN, Buffer.from([0x1f]))).equals(Buffer.from([0x1f]))).toBe(true);
    expect((await read(PLAIN, Buffer.alloc(0))).length).toBe(0);
  });

  it('decrypts a .tar.gz.age with any one of the keys given', async () => {
    for (const piece of [3, 4096, 1 << 20]) {
      expect((await read(ENCRYPTED, sealed, { identities: [generateAgeIdentity().identity, key.identity] }, piece)).equals(plain)).toBe(true);
    }
  });

  it('refuses a name and bytes that disagree, each with its own check', async () => {
    await expect(read(PLAIN, sealed)).rejects.toMatchObject({ code: 'ARCHIVE_INVALID', details: { check: 'unexpected-encryption', file: PLAIN } });
    await expect(read(ENCRYPTED, plain, { identities: [key.identity] })).rejects.toMatchObject({
      code: 'ARCHIVE_INVALID',
      message: expect.stringMatching(/expected an age-encrypted archive, found a plain gzip/) as unknown,
      details: { check: 'missing-encryption', file: ENCRYPTED },
    });
  });

  it('says which key is needed: none given, or none that opens it; never the keys tried', async () => {
    const recipients = [key.recipient];
    await expect(read(ENCRYPTED, sealed, { identities: [], recipients })).rejects.toMatchObject({
      code: 'ENCRYPTION_KEY_REQUIRED',
      details: { recipients },
    });
    const stranger = generateAgeIdentity();
    const error = (await read(ENCRYPTED, sealed, { identities: [stranger.identity], recipients }).catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ code: 'ENCRYPTION_KEY_WRONG', message: expect.stringContaining(`is encrypted for key ${key.recipient}`) as unknown });
    expect(JSON.stringify({ message: error.message, details: (error as { details?: unknown }).details })).not.toContain(stranger.identity);
  });

  it('refuses a changed byte at its chunk and a cut at a chunk boundary, before that chunk is released', async () => {
    const changed = Buffer.from(sealed);
    changed[changed.length - 70_000] ^= 0x40;
    await expect(read(ENCRYPTED, changed, { identities: [key.identity] })).rejects.toMatchObject({
      details: { check: 'age', reason: 'damaged', chunk: 1 },
    });
    const payload = sealed.indexOf('\n', sealed.indexOf('\n--- ') + 1) + 1 + 16;
    await expect(read(ENCRYPTED, sealed.subarray(0, payload + 65_552), { identities: [key.identity] })).rejects.toMatchObject({
      details: { check: 'age', reason: 'truncated' },
      message: expect.stringMatching(/is cut short/) as unknown,
    });
  });
});
