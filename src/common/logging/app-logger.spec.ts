import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AppLogger } from './app-logger.js';
import { RECENT_LOG_LINE_MAX, RecentLogLines } from './recent-log-lines.js';

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

describe('AppLogger: secrets and the ring of recent lines', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'logger-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const SECRETS = [
    'AGE-SECRET-KEY-1QYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSKZUGQP',
    'hunter2-password',
    'T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX',
    '1234567890/abcdefTOKENghijk',
    'tok_abcdef123456',
    'AKIDEXAMPLE%2F20261201',
    'qL3v9ZrT0xWc8mKpE2aYbN5uHdG7sJfR1tVi4oCeXyA',
  ];

  it('masks what has the shape of a secret in LOG_FILE, the console and the ring, and keeps the rest of the line', async () => {
    const file = path.join(dir, 'sentinel.log');
    const recent = new RecentLogLines(10);
    const logger = new AppLogger(file, { quiet: true, recent });
    const printed: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((chunk: string | Uint8Array) => printed.push(String(chunk)) > 0) as typeof process.stderr.write;
    try {
      logger.error('With a stack', `Error: at https://ntfy.sh/alerts?auth=${SECRETS[4]}`, 'Notify');
    } finally {
      process.stderr.write = write;
    }
    expect(printed.join('')).toContain('?auth=[redacted]');
    expect(printed.join('')).not.toContain(SECRETS[4]);
    logger.log(`Loaded identity ${SECRETS[0]} for the verification`, 'Keys');
    logger.warn(`Cannot reach https://sentinel:${SECRETS[1]}@smtp.example.net:465/ (ECONNREFUSED)`, 'Email');
    logger.error(`Slack answered 404 for https://hooks.slack.com/services/${SECRETS[2]}`, undefined, 'Notify');
    logger.error(`Discord: https://discord.com/api/webhooks/${SECRETS[3]} answered 401`, `Error: at https://ntfy.sh/alerts?auth=${SECRETS[4]}`, 'Notify');
    logger.log(`GET https://r2.example.com/bucket/x?X-Amz-Credential=${SECRETS[5]}&X-Amz-Date=20261201 failed`, 'S3');
    logger.warn(`GET /api/backups/local/x.tar.gz/download-link?ticket=${SECRETS[6]} cut off`, 'HTTP');
    await logger.closeFile();
    const written = fs.readFileSync(file, 'utf8');
    const kept = recent.all().join('\n');
    for (const secret of SECRETS) {
      expect(written).not.toContain(secret);
      expect(kept).not.toContain(secret);
    }
    expect(kept).toContain('Cannot reach https://[redacted]@smtp.example.net:465/ (ECONNREFUSED)');
    expect(kept).toContain('Slack answered 404 for https://hooks.slack.com/services/[redacted]');
    expect(kept).toContain('X-Amz-Credential=[redacted]&X-Amz-Date=20261201 failed');
    expect(kept).toContain('/download-link?ticket=[redacted] cut off');
    expect(written).toContain('?auth=[redacted]');
  });

  it('keeps the last lines up to its capacity, oldest first, each as LOG_FILE has it', async () => {
    const file = path.join(dir, 'sentinel.log');
    const recent = new RecentLogLines(3);
    const logger = new AppLogger(file, { quiet: true, recent });
    for (let i = 1; i <= 5; i++) logger.log(`line ${i}\nforged`, 'Test');
    await logger.closeFile();
    expect(recent.all()).toEqual(fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).slice(-3));
    expect(recent.all().map((line) => line.replace(/^\S+ /, ''))).toEqual([
      'LOG [Test] line 3\\nforged',
      'LOG [Test] line 4\\nforged',
      'LOG [Test] line 5\\nforged',
    ]);
  });

  it('tail: the lines from the last one naming the job, at most `limit`; the last lines when none names it', () => {
    const recent = new RecentLogLines(10);
    for (const line of ['a', 'R2 backup started (job 7)', 'b', 'R2 backup started (job 8)', 'c', 'R2 backup failed: x']) recent.push(line);
    expect(recent.tail(20, 'job 8')).toEqual(['R2 backup started (job 8)', 'c', 'R2 backup failed: x']);
    expect(recent.tail(2, 'job 8')).toEqual(['c', 'R2 backup failed: x']);
    expect(recent.tail(2, 'job 9')).toEqual(['c', 'R2 backup failed: x']);
    expect(recent.tail(2)).toEqual(['c', 'R2 backup failed: x']);
    expect(new RecentLogLines(2).tail(5)).toEqual([]);
  });

  it('cuts a very long line', () => {
    const recent = new RecentLogLines(2);
    recent.push('x'.repeat(RECENT_LOG_LINE_MAX + 50));
    expect(recent.all()[0]).toHaveLength(RECENT_LOG_LINE_MAX + 1);
  });
});
