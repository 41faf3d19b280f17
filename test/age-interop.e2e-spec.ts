import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ageRecipientOf, generateAgeIdentity, parseAgeIdentities } from '../src/encryption/age/age-keys.js';

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
