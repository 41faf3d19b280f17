import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AppLogger } from './app-logger.js';

describe('AppLogger', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'logger-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes a message with line breaks and other control characters as one line, escaped, to LOG_FILE and stdout', async () => {
    const file = path.join(dir, 'logs', 'sentinel.log');
    const logger = new AppLogger(file);
    const printed: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((chunk: string | Uint8Array) => printed.push(String(chunk)) > 0) as typeof process.stdout.write;
    try {
      logger.log('Local folder /srv/b\n2026-12-01T00:00:00.000Z LOG [Backup] Local backup completed\r\u001b[31m', 'Settings');
      logger.warn('tab\there');
    } finally {
      process.stdout.write = write;
    }
    await logger.closeFile();
    const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\S+ LOG \[Settings\] Local folder \/srv\/b\\n2026-12-01T00:00:00\.000Z LOG \[Backup\] Local backup completed\\r\\u001b\[31m$/);
    expect(lines[1]).toMatch(/WARN \[Sentinel\] tab\\there$/);
    const out = printed.join('');
    expect(out).toContain('/srv/b\\n2026-12-01T00:00:00.000Z LOG [Backup]');
    expect(out.split('\n').filter((line) => line.includes('Local backup completed'))).toHaveLength(1);
  });

  it('keeps a stack one frame per line, with no line that can pass for a log line', async () => {
    const file = path.join(dir, 'sentinel.log');
    const logger = new AppLogger(file, { quiet: true });
    logger.error('Failed', 'Error: bad name\n2026-12-01T00:00:00.000Z LOG [Main] forged\n    at frame (file.js:1:1)', 'HTTP');
    await logger.closeFile();
    const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
    expect(lines.filter((line) => /^\d{4}-/.test(line))).toHaveLength(1);
    expect(lines).toContain('    2026-12-01T00:00:00.000Z LOG [Main] forged');
  });
});
