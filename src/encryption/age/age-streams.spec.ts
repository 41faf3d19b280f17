import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { createAgeDecryptStream } from './age-decrypt-stream.js';
import { ageEncryptedSizeBound, createAgeEncryptStream } from './age-encrypt-stream.js';
import { AgeError, type AgeErrorReason } from './age-error.js';
import { AGE_CHUNK_SIZE, AGE_HEADER_LINE, looksLikeAge } from './age-format.js';
import { writeAgeHeader, type AgeStanza } from './age-header.js';
import { ageRecipientKey, generateAgeIdentity } from './age-keys.js';
import { PAYLOAD_NONCE_LENGTH, payloadKey, SEALED_CHUNK_SIZE, sealChunk } from './age-payload.js';
import { SLICE_BYTES } from './age-slices.js';
import { wrapFileKey } from './age-x25519-stanza.js';
import type { Transform } from 'node:stream';

const K = AGE_CHUNK_SIZE;
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** Write sizes that cross every path: single bytes, just under/at/over a chunk, several chunks at once. */
const ODD_PIECES = [1, 3, K - 1, K, K + 1, 2 * K + 5, 7, 4093, 3 * K];

/** Everything `stream` outputs for `input` written in pieces of the given sizes (cycled), and the error it ends with. */
async function run(stream: Transform, input: Buffer, pieces: readonly number[] = [input.length || 1]): Promise<{ output: Buffer; error?: AgeError }> {
  const out: Buffer[] = [];
  stream.on('data', (b: Buffer) => out.push(b));
  const ended = new Promise<AgeError | undefined>((resolve) => {
    stream.on('end', () => resolve(undefined));
    stream.on('error', (e) => resolve(e as AgeError));
  });
  let offset = 0;
  for (let i = 0; offset < input.length && !stream.destroyed; i++) {
    const size = pieces[i % pieces.length];
    if (!stream.write(input.subarray(offset, offset + size))) {
      await new Promise((resolve) => {
        stream.once('drain', resolve);
        stream.once('error', resolve);
      });
    }
    offset += size;
  }
  if (!stream.destroyed) stream.end();
  const error = await ended;
  return { output: Buffer.concat(out), error };
}

async function encrypt(plain: Buffer, recipients: string[], pieces?: number[]): Promise<Buffer> {
  const { output, error } = await run(createAgeEncryptStream(recipients), plain, pieces);
  if (error) throw error;
  return output;
}

async function decrypt(file: Buffer, identities: string[], pieces?: number[]): Promise<{ output: Buffer; error?: AgeError }> {
  return run(createAgeDecryptStream(identities), file, pieces);
}

async function refusal(file: Buffer, identities: string[], reason: AgeErrorReason): Promise<{ output: Buffer; error: AgeError }> {
  const result = await decrypt(file, identities);
  expect(result.error).toBeInstanceOf(AgeError);
  expect(result.error!.reason).toBe(reason);
  return result as { output: Buffer; error: AgeError };
}

function flipped(file: Buffer, at: number): Buffer {
  const copy = Buffer.from(file);
  copy[at] ^= 0x40;
  return copy;
}

const alice = generateAgeIdentity();
const bob = generateAgeIdentity();
const carol = generateAgeIdentity();

describe('age streams', () => {
  it.each([0, 1, K - 1, K, K + 1, 3 * K, 3 * 1024 * 1024 + 17])('round-trips %i bytes, written whole and in odd pieces', async (size) => {
    const plain = randomBytes(size);
    for (const pieces of [undefined, ODD_PIECES]) {
      const file = await encrypt(plain, [alice.recipient], pieces);
      expect(looksLikeAge(file)).toBe(true);
      expect(file.length).toBe(ageEncryptedSizeBound(size, 1));
      for (const readPieces of [undefined, ODD_PIECES, [SEALED_CHUNK_SIZE], [1, SEALED_CHUNK_SIZE - 1]]) {
        const { output, error } = await decrypt(file, [alice.identity], readPieces);
        expect(error).toBeUndefined();
        expect(output.equals(plain)).toBe(true);
      }
    }
  });

  it('ends a plaintext of whole chunks with a full flagged chunk, and an empty one with one empty chunk (age spec, "Payload")', async () => {
    const header = (await encrypt(Buffer.alloc(0), [alice.recipient])).length - PAYLOAD_NONCE_LENGTH - 16;
    expect((await encrypt(Buffer.alloc(2 * K), [alice.recipient])).length).toBe(header + PAYLOAD_NONCE_LENGTH + 2 * SEALED_CHUNK_SIZE);
  });

  it('encrypts to several recipients, each of whom decrypts alone', async () => {
    const plain = randomBytes(K + 100);
    const file = await encrypt(plain, [alice.recipient, bob.recipient, carol.recipient]);
    expect(file.length).toBe(ageEncryptedSizeBound(plain.length, 3));
    for (const { identity } of [alice, bob, carol]) {
      expect((await decrypt(file, [identity])).output.equals(plain)).toBe(true);
    }
    expect((await decrypt(file, [generateAgeIdentity().identity, bob.identity])).output.equals(plain)).toBe(true);
  });

  it('bounds the size of the file for any plaintext size and recipient count', async () => {
    for (const n of [1, 2, 5]) {
      const recipients = Array.from({ length: n }, () => generateAgeIdentity().recipient);
      for (const size of [0, 1, K - 1, K, K + 1, 2 * K, 5 * K + 3]) {
        expect(ageEncryptedSizeBound(size, n)).toBeGreaterThanOrEqual((await encrypt(randomBytes(size), recipients)).length);
      }
    }
  });

  it('lets the event loop turn while it works through one large write (a slice of 16 chunks at a time)', async () => {
    const plain = randomBytes(8 * SLICE_BYTES);
    const file = await encrypt(plain, [alice.recipient]);
    for (const [stream, input] of [
      [createAgeEncryptStream([alice.recipient]), plain],
      [createAgeDecryptStream([alice.identity]), file],
    ] as const) {
      stream.resume();
      let turns = 0;
      let written = false;
      const turn = (): void => {
        turns++;
        if (!written) setImmediate(turn);
      };
      setImmediate(turn);
      await new Promise<void>((resolve, reject) => stream.write(input, (error) => (error ? reject(error) : resolve())));
      written = true;
      expect(turns).toBeGreaterThanOrEqual(7);
      stream.destroy();
    }
  });

  it('stops working through a large write once the stream is destroyed', async () => {
    const plain = randomBytes(8 * SLICE_BYTES);
    const file = await encrypt(plain, [alice.recipient]);
    for (const [stream, input] of [
      [createAgeEncryptStream([alice.recipient]), plain],
      [createAgeDecryptStream([alice.identity]), file],
    ] as const) {
      // Every chunk sealed or opened is pushed at once (a destroyed stream drops it): the bytes pushed count the work done.
      const push = stream.push.bind(stream);
      let pushed = 0;
      stream.push = (chunk: unknown) => {
        if (chunk) pushed += (chunk as Buffer).length;
        return push(chunk);
      };
      stream.on('error', () => undefined);
      stream.once('data', () => stream.destroy());
      stream.write(input);
      await new Promise((resolve) => setTimeout(resolve, 500));
      // The first slice (16 chunks, their tags and the header) at most, not the 128 chunks of the write.
      expect(pushed).toBeGreaterThan(0);
      expect(pushed).toBeLessThanOrEqual(SLICE_BYTES + 4096);
    }
  });

  it('refuses a bad recipient or identity at once, without quoting the identity', () => {
    expect(() => createAgeEncryptStream([])).toThrow(AgeError);
    expect(() => createAgeEncryptStream(['age1nope'])).toThrow(/age1nope/);
    const typo = alice.identity.slice(0, 30) + (alice.identity[30] === 'Q' ? 'P' : 'Q') + alice.identity.slice(31);
    let message = '';
    try {
      createAgeDecryptStream([typo]);
    } catch (error) {
      expect((error as AgeError).reason).toBe('key-invalid');
      message = (error as Error).message;
    }
    expect(message).toMatch(/checksum/);
    expect(message).not.toContain(typo.slice(16, 40));
  });

  it('skips stanzas of other types, with bodies of any length', async () => {
    const plain = randomBytes(1000);
    const fileKey = randomBytes(16);
    const other = (bodyLength: number): AgeStanza => ({ type: 'ssh-ed25519', args: ['Ab12Cd', 'xyz'], body: randomBytes(bodyLength) });
    const stanzas = [
      other(48),
      other(0),
      wrapFileKey(fileKey, ageRecipientKey(alice.recipient)),
      other(100),
      { type: 'x-grease', args: [], body: randomBytes(7) },
    ];
    const nonce = randomBytes(PAYLOAD_NONCE_LENGTH);
    const file = Buffer.concat([writeAgeHeader(stanzas, fileKey), nonce, ...sealChunk(payloadKey(fileKey, nonce), 0, true, plain)]);
    expect(file.toString('latin1')).toContain('\n\n'); // the 48-byte body: one full line, then an empty one
    expect((await decrypt(file, [alice.identity])).output.equals(plain)).toBe(true);
  });

  describe('refuses, with its reason', () => {
    let plain: Buffer;
    let file: Buffer;
    let headerLength: number;
    beforeAll(async () => {
      plain = randomBytes(2 * K + 1000);
      file = await encrypt(plain, [alice.recipient]);
      headerLength = file.indexOf('\n', file.indexOf('\n---') + 1) + 1;
    });
    const payloadStart = (): number => headerLength + PAYLOAD_NONCE_LENGTH;

    it('not-age: a gzip file, another text, an empty file', async () => {
      expect((await refusal(gzipSync(plain), [alice.identity], 'not-age')).error.message).toMatch(/gzip/);
      await refusal(Buffer.from('hello world, this is not age at all'), [alice.identity], 'not-age');
      await refusal(Buffer.alloc(0), [alice.identity], 'not-age');
    });

    it('header-invalid: a malformed line, a CRLF header, a stanza body not canonical, an endless header', async () => {
      const text = file.subarray(0, headerLength).toString('latin1');
      const rest = file.subarray(headerLength);
      const cases = [
        text.replace('-> X25519', '->  X25519'),
        text.replace('-> X25519', 'X25519'),
        AGE_HEADER_LINE + text.slice(AGE_HEADER_LINE.length).replaceAll('\n', '\r\n'),
        text.replace(/\n([A-Za-z0-9+/]{42})([A-Za-z0-9+/])\n/, (_, a: string) => `\n${a}=\n`),
        // The last of 43 characters carries 4 bits of the key and 2 zero bits: setting one is a non-canonical encoding.
        text.replace(/\n([A-Za-z0-9+/]{42})([A-Za-z0-9+/])\n/, (_, a: string, c: string) => `\n${a}${B64[B64.indexOf(c) + 1]}\n`),
        text.replace(/\n([A-Za-z0-9+/]{43})\n/, (_, a: string) => `\n${a}AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n`),
        text.replace(/\n--- ([A-Za-z0-9+/]{40})[A-Za-z0-9+/]{3}\n/, (_, a: string) => `\n--- ${a}\n`), // a 30-byte MAC
      ];
      for (const header of cases) await refusal(Buffer.concat([Buffer.from(header, 'latin1'), rest]), [alice.identity], 'header-invalid');
      const crowded = `${AGE_HEADER_LINE}${'-> X25519 abc\nAAAA\n'.repeat(33)}--- ${'A'.repeat(43)}\n`;
      expect((await refusal(Buffer.from(crowded), [alice.identity], 'header-invalid')).error.message).toMatch(/more than 32 recipient stanzas/);
      const endless = Buffer.concat([Buffer.from(`${AGE_HEADER_LINE}-> X25519 abc\n`), Buffer.alloc(100_000, 'A')]);
      expect((await refusal(endless, [alice.identity], 'header-invalid')).error.message).toMatch(/65536 bytes/);
    });

    it('header-invalid: an X25519 stanza with a low-order share aborts, as the spec says and age -d does, even when another stanza is ours', async () => {
      const fileKey = randomBytes(16);
      const nonce = randomBytes(PAYLOAD_NONCE_LENGTH);
      const payload = sealChunk(payloadKey(fileKey, nonce), 0, true, Buffer.from('secret payload'));
      for (const point of [Buffer.alloc(32), Buffer.from([1, ...Buffer.alloc(31)])]) {
        const lowOrder: AgeStanza = { type: 'X25519', args: [point.toString('base64').replace(/=+$/, '')], body: randomBytes(32) };
        const header = writeAgeHeader([lowOrder, wrapFileKey(fileKey, ageRecipientKey(alice.recipient))], fileKey);
        const { output, error } = await refusal(Buffer.concat([header, nonce, ...payload]), [alice.identity], 'header-invalid');
        expect(error.message).toMatch(/low-order share/);
        expect(output.length).toBe(0);
      }
    });

    it('no-matching-identity: keys of other people, or none', async () => {
      await refusal(file, [bob.identity, carol.identity], 'no-matching-identity');
      await refusal(file, [], 'no-matching-identity');
    });

    it('header-mac: a stanza added to the header, a changed MAC', async () => {
      const added = Buffer.concat([Buffer.from(`${AGE_HEADER_LINE}-> grease x\nAAAA\n`), file.subarray(AGE_HEADER_LINE.length)]);
      await refusal(added, [alice.identity], 'header-mac');
      const macChar = file[headerLength - 10] === 0x41 ? 'B' : 'A';
      await refusal(
        Buffer.concat([file.subarray(0, headerLength - 10), Buffer.from(macChar), file.subarray(headerLength - 9)]),
        [alice.identity],
        'header-mac',
      );
    });

    it('damaged: a byte changed in a middle chunk, never outputting that chunk', async () => {
      const { output, error } = await refusal(flipped(file, payloadStart() + SEALED_CHUNK_SIZE + 500), [alice.identity], 'damaged');
      expect(error.chunk).toBe(1);
      expect(output.equals(plain.subarray(0, K))).toBe(true);
      expect((await refusal(flipped(file, payloadStart() + 3), [alice.identity], 'damaged')).output.length).toBe(0);
      expect((await refusal(flipped(file, payloadStart() + SEALED_CHUNK_SIZE - 1), [alice.identity], 'damaged')).error.chunk).toBe(0); // a tag byte
    });

    it('damaged: a byte changed in the last chunk, never outputting it', async () => {
      const { output, error } = await refusal(flipped(file, file.length - 20), [alice.identity], 'damaged');
      expect(error.chunk).toBe(2);
      expect(output.equals(plain.subarray(0, 2 * K))).toBe(true);
    });

    it('truncated: cut exactly at a chunk boundary, inside the header or nonce; data appended after the last chunk', async () => {
      const atBoundary = await refusal(file.subarray(0, payloadStart() + 2 * SEALED_CHUNK_SIZE), [alice.identity], 'truncated');
      expect(atBoundary.output.equals(plain.subarray(0, K))).toBe(true); // the held-back chunk is authentic, but the file is refused
      await refusal(file.subarray(0, payloadStart() + SEALED_CHUNK_SIZE), [alice.identity], 'truncated');
      await refusal(file.subarray(0, headerLength - 5), [alice.identity], 'truncated');
      await refusal(file.subarray(0, headerLength + 3), [alice.identity], 'truncated');
      await refusal(file.subarray(0, payloadStart()), [alice.identity], 'truncated');
      await refusal(Buffer.from(AGE_HEADER_LINE.slice(0, 10)), [alice.identity], 'truncated');
      // Data after a full last chunk is provably appended (the chunk opens as the last); after a short one it is not
      // told apart from a changed byte, and is refused as 'damaged'.
      const whole = await encrypt(randomBytes(K), [alice.recipient]);
      expect((await refusal(Buffer.concat([whole, randomBytes(SEALED_CHUNK_SIZE)]), [alice.identity], 'truncated')).error.message).toMatch(
        /after its last chunk/,
      );
    });

    it('a cut in the middle of a chunk: refused at that chunk, its message saying the file was changed or cut short', async () => {
      const { output, error } = await refusal(file.subarray(0, payloadStart() + SEALED_CHUNK_SIZE + 3000), [alice.identity], 'damaged');
      expect(error.chunk).toBe(1);
      expect(error.message).toMatch(/cut short/);
      expect(output.equals(plain.subarray(0, K))).toBe(true);
    });

    it('an empty last chunk after a full one (age never writes it)', async () => {
      const fileKey = randomBytes(16);
      const nonce = randomBytes(PAYLOAD_NONCE_LENGTH);
      const key = payloadKey(fileKey, nonce);
      const header = writeAgeHeader([wrapFileKey(fileKey, ageRecipientKey(alice.recipient))], fileKey);
      const odd = Buffer.concat([header, nonce, ...sealChunk(key, 0, false, randomBytes(K)), ...sealChunk(key, 1, true, Buffer.alloc(0))]);
      await refusal(odd, [alice.identity], 'damaged');
    });

    it('never puts an identity or a file key in a message', async () => {
      const { error } = await refusal(file, [bob.identity], 'no-matching-identity');
      expect(error.message).not.toMatch(/AGE-SECRET-KEY/i);
    });
  });
});
