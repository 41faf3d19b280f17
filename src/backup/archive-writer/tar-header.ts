/** The largest size a ustar header's 12-byte octal field holds (8 GiB - 1). Larger sizes use GNU's base-256 form. */
const MAX_OCTAL_SIZE = 0o77777777777;

/** Longest name a ustar header holds without the prefix field (ours are short, so no prefix is ever written). */
export const MAX_TAR_NAME_BYTES = 100;

export interface TarHeaderFields {
  name: string;
  size: number;
  /** Permission bits, written as is. */
  mode: number;
  /** Seconds since the epoch. */
  mtime: number;
}

/**
 * Writes the 512-byte POSIX ustar header of a regular file into `block` (which must be zero-filled), in
 * exactly the form node-tar's portable mode wrote it before the packer replaced it on the write path:
 * octal numbers zero-padded to the field's width minus one and NUL-terminated (a space before the NUL
 * when shorter), uid, gid, user and group names empty, magic `ustar\0` version `00`.
 */
export function writeTarHeader(block: Buffer, fields: TarHeaderFields): void {
  const nameBytes = Buffer.byteLength(fields.name);
  if (nameBytes === 0 || nameBytes > MAX_TAR_NAME_BYTES || fields.name.includes('\0')) {
    throw new Error(`Cannot archive '${fields.name}': a tar entry name must be 1 to ${MAX_TAR_NAME_BYTES} bytes without NUL`);
  }
  if (!Number.isSafeInteger(fields.size) || fields.size < 0) throw new Error(`Cannot archive '${fields.name}': invalid size ${fields.size}`);
  block.write(fields.name, 0, 100, 'utf8');
  writeOctal(block, 100, 8, fields.mode & 0o7777);
  // uid (108) and gid (116) stay empty, as node-tar's portable mode leaves them.
  if (fields.size > MAX_OCTAL_SIZE) writeBase256(block, 124, 12, fields.size);
  else writeOctal(block, 124, 12, fields.size);
  writeOctal(block, 136, 12, Math.floor(fields.mtime));
  block[156] = 0x30; // typeflag '0': regular file
  block.write('ustar\u000000', 257, 8, 'ascii');
  // uname (265) and gname (297) empty; devmajor and devminor zero, as node-tar writes them.
  writeOctal(block, 329, 8, 0);
  writeOctal(block, 337, 8, 0);
  // The checksum is the byte sum of the header with its own field read as eight spaces.
  let sum = 8 * 0x20;
  for (let i = 0; i < 148; i++) sum += block[i];
  for (let i = 156; i < 512; i++) sum += block[i];
  writeOctal(block, 148, 8, sum);
}

function writeOctal(block: Buffer, offset: number, width: number, value: number): void {
  const digits = value.toString(8);
  const text = digits.length === width - 1 ? digits : `${digits.padStart(width - 2, '0')} `;
  block.write(`${text}\0`, offset, width, 'ascii');
}

/** GNU's base-256 number: the high bit of the first byte set, the value big-endian in the rest. */
function writeBase256(block: Buffer, offset: number, width: number, value: number): void {
  let rest = value;
  for (let i = offset + width - 1; i > offset; i--) {
    block[i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
  block[offset] = 0x80;
}
