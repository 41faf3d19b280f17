import fs from 'node:fs';
import path from 'node:path';
import { AgeError } from '../encryption/age/age-error.js';
import { parseAgeIdentities } from '../encryption/age/age-keys.js';
import { CliError } from './cli-error.js';

/** A key file is a few lines; anything much larger is not one (and is not read whole into memory). */
const KEY_FILE_MAX_BYTES = 64 * 1024;

/**
 * The age identities of `--identity` files, as `age -i` reads them (`AGE-SECRET-KEY-1...` lines, comments
 * starting with '#'), parsed by the service's own parser. A file that cannot be read or holds no key is a
 * usage error naming the file and what is wrong, never its content (it may hold a mistyped secret).
 */
export function readIdentityFiles(files: readonly string[]): string[] {
  const identities: string[] = [];
  for (const file of files) {
    const where = path.resolve(file);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(where);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw CliError.usage(`--identity ${where}: ${code === 'ENOENT' ? 'no such file' : `cannot be read (${code ?? 'error'})`}; give the recovery key's file`);
    }
    if (!stat.isFile()) throw CliError.usage(`--identity ${where} is not a file: give the recovery key's file`);
    if (stat.size > KEY_FILE_MAX_BYTES) throw CliError.usage(`--identity ${where} is not an age key file (${stat.size} bytes; a key file is a few lines)`);
    let text: string;
    try {
      text = fs.readFileSync(where, 'utf8');
    } catch (error) {
      throw CliError.usage(`--identity ${where} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}); check its permissions`);
    }
    try {
      identities.push(...parseAgeIdentities(text));
    } catch (error) {
      if (!(error instanceof AgeError)) throw error;
      throw CliError.usage(
        `--identity ${where} is not an age recovery key file: ${error.message}. Give the file saved when encryption was turned on ` +
          '(or written by sentinel-backup key export, or by age-keygen)',
      );
    }
  }
  return [...new Set(identities)];
}
