import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { TestApp } from './test-app.js';

/** A key pair made by the real `age-keygen`, its identity in a key file as age-keygen writes it. */
export interface AgeKeygenKey {
  keyFile: string;
  identity: string;
  recipient: string;
}

/** Runs `age-keygen -o <dir>/<name>.txt` and reads the pair back. */
export function ageKeygen(dir: string, name: string): AgeKeygenKey {
  const keyFile = path.join(dir, `${name}.txt`);
  execFileSync('age-keygen', ['-o', keyFile], { stdio: 'ignore' });
  const text = fs.readFileSync(keyFile, 'utf8');
  const identity = /^AGE-SECRET-KEY-1[0-9A-Z]+$/m.exec(text)?.[0];
  const recipient = /^# public key: (age1[0-9a-z]+)$/m.exec(text)?.[1];
  if (!identity || !recipient) throw new Error(`age-keygen wrote no key pair to ${keyFile}`);
  return { keyFile, identity, recipient };
}

/**
 * Turns encryption on for `target` through the API, as the page does: PUT (which shows the recovery key
 * once), then confirm. Returns the recovery key, written to `<dir>/recovery-key.txt` like a user saves it.
 */
export async function enableEncryption(t: TestApp, target: 'local' | 'r2', dir: string, recipients: string[] = []): Promise<AgeKeygenKey> {
  const put = await t.http.put(`/api/encryption/${target}`).send({ enabled: true, write_only: false, recipients }).expect(200);
  expect(put.body.state).toBe('awaiting_confirmation');
  const identity = put.body.recovery_key as string;
  expect(identity).toMatch(/^AGE-SECRET-KEY-1[0-9A-Z]+$/);
  const confirmed = await t.http
    .post(`/api/encryption/${target}/confirm`)
    .send({})
    .expect((res) => expect([200, 201]).toContain(res.status));
  expect(confirmed.body.state).toBe('active');
  const keyFile = path.join(dir, `recovery-key-${target}.txt`);
  fs.writeFileSync(keyFile, `${identity}\n`, { mode: 0o600 });
  const recipient = execFileSync('age-keygen', ['-y', keyFile], { encoding: 'utf8' }).trim();
  return { keyFile, identity, recipient };
}

/** Turns encryption off for `target` (future backups are plain). */
export async function disableEncryption(t: TestApp, target: 'local' | 'r2'): Promise<void> {
  await t.http.put(`/api/encryption/${target}`).send({ enabled: false }).expect(200);
}

/** GET …/download as bytes, with the response headers. */
export async function downloadBackup(t: TestApp, target: 'local' | 'r2', filename: string): Promise<{ body: Buffer; headers: Record<string, string> }> {
  const res = await t.http
    .get(`/api/backups/${target}/${filename}/download`)
    .buffer(true)
    .parse((response, callback) => {
      const chunks: Buffer[] = [];
      response.on('data', (c: Buffer) => chunks.push(c));
      response.on('end', () => callback(null, Buffer.concat(chunks)));
    })
    .expect(200);
  return { body: res.body as Buffer, headers: res.headers as Record<string, string> };
}

/**
 * What a user does by hand with an encrypted backup, with the standard tools only:
 * `age -d -i <key file> <archive> | tar xz` into `out`, `sha256sum -c` against backup-metadata.json's
 * checksums, and `sqlite3 <db> 'PRAGMA integrity_check'` on each database. Returns the metadata.
 */
export function decryptByHand(archive: string, keyFile: string, out: string): { databases: Array<{ name: string; filename: string; checksum: string }> } {
  fs.mkdirSync(out, { recursive: true });
  execFileSync('sh', ['-c', 'age -d -i "$1" "$2" | tar xz -C "$3"', 'sh', keyFile, archive, out]);
  const metadata = JSON.parse(fs.readFileSync(path.join(out, 'backup-metadata.json'), 'utf8'));
  fs.writeFileSync(
    path.join(out, 'SUMS'),
    metadata.databases.map((d: { checksum: string; filename: string }) => `${d.checksum.slice('sha256:'.length)}  ${d.filename}\n`).join(''),
  );
  execFileSync('sha256sum', ['--strict', '-c', 'SUMS'], { cwd: out, stdio: 'ignore' });
  for (const db of metadata.databases as Array<{ filename: string }>) {
    expect(execFileSync('sqlite3', [path.join(out, db.filename), 'PRAGMA integrity_check'], { encoding: 'utf8' }).trim()).toBe('ok');
  }
  return metadata;
}

/** The plain tar inside an encrypted archive (`age -d | gunzip`), to search it. */
export function decryptedTar(archive: string, keyFile: string): Buffer {
  return execFileSync('sh', ['-c', 'age -d -i "$1" "$2" | gunzip', 'sh', keyFile, archive], { maxBuffer: 1024 * 1024 * 1024 });
}
