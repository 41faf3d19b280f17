// Throughput of our age streams (src/encryption/age, built) against the `age` command, on the same bytes in
// one run, alternating, and how long one chunk holds the event loop. Not part of `npm test` or `npm run bench`.
//
//   npx nest build && node bench/age-throughput.mjs            # 200 MB, 3 rounds
//   node bench/age-throughput.mjs --mb 100 --rounds 5 --dist dist
//
// Since stop 39 the encrypt stream passes on each chunk's ciphertext and 16-byte tag as two buffers (the archive's
// worker gathers them into 1 MiB chunks); here it writes straight to a file stream, so its figure includes one file
// write per buffer, which the service does not make.
// Per round, in turn: our encryption (file → createAgeEncryptStream → file), `age -r R -o file plain`, our
// decryption (file → createAgeDecryptStream → /dev/null), `age -d -i key -o /dev/null file`. All files live
// on tmpfs (/dev/shm), so the disk is not measured. The plaintext is random bytes, like the gzip output the
// service encrypts. For each: wall time, MB/s of plaintext, and CPU time (ours: process.cpuUsage; age: the
// child's user+sys from /usr/bin/time), since on a shared machine CPU time moves less than wall time.
// Then event-loop blocking: the time of one seal/open of a 64 KiB chunk (what one stream write of 64 KiB
// costs synchronously), and the longest event-loop delay seen while a stream of the size runs.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { PassThrough, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const MB = Number(option('mb', '200'));
const ROUNDS = Number(option('rounds', '3'));
const DIST = path.resolve(option('dist', 'dist'));

const load = (file) => import(pathToFileURL(path.join(DIST, 'encryption/age', file)).href);
const { createAgeEncryptStream } = await load('age-encrypt-stream.js');
const { createAgeDecryptStream } = await load('age-decrypt-stream.js');
const { generateAgeIdentity } = await load('age-keys.js');
const { sealChunk, openChunk, payloadKey } = await load('age-payload.js');

const scratch = fs.mkdtempSync('/dev/shm/age-bench-');
process.on('exit', () => fs.rmSync(scratch, { recursive: true, force: true }));
const file = (name) => path.join(scratch, name);

// The plaintext, written in 1 MiB pieces of random bytes.
const bytes = MB * 1024 * 1024;
{
  const fd = fs.openSync(file('plain'), 'w');
  for (let written = 0; written < bytes; written += 1 << 20) fs.writeSync(fd, randomBytes(Math.min(1 << 20, bytes - written)));
  fs.closeSync(fd);
}
const { identity, recipient } = generateAgeIdentity();
fs.writeFileSync(file('key.txt'), `${identity}\n`, { mode: 0o600 });

/** Runs `fn` and returns wall seconds and CPU seconds of this process. */
async function timedHere(fn) {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await fn();
  const used = process.cpuUsage(cpu);
  return { wall: (performance.now() - start) / 1000, cpu: (used.user + used.system) / 1e6 };
}

/** Runs a command under /usr/bin/time; returns wall seconds and the child's CPU seconds. */
function timedCommand(command, commandArgs) {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn('/usr/bin/time', ['-f', '%U %S', command, ...commandArgs], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b) => (stderr += b));
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${command} failed: ${stderr}`));
      const [user, sys] = stderr.trim().split('\n').pop().split(' ').map(Number);
      resolve({ wall: (performance.now() - start) / 1000, cpu: user + sys });
    });
  });
}

const streamFile = (transform, from, to) => pipeline(fs.createReadStream(from), transform, fs.createWriteStream(to));

/** `fn` run with a fresh event-loop delay histogram (1 ms resolution); its longest delay in ms is added to the result. */
async function withLoopDelay(fn) {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  const result = await fn();
  histogram.disable();
  return { ...result, maxDelay: histogram.max / 1e6 };
}

/** 8 MiB of random bytes, yielded as 64 KiB pieces until `total` bytes: a source that costs no I/O. */
function* memorySource(total, block) {
  for (let at = 0; at < total; at += 65536) yield block.subarray(at % block.length, (at % block.length) + Math.min(65536, total - at));
}
const nullSink = () =>
  new Writable({
    write: (_chunk, _encoding, callback) => callback(),
    writev: (_chunks, callback) => callback(),
  });

const block = randomBytes(8 * 1024 * 1024);
const NAMES = ['ours encrypt', 'node copy', 'age -r', 'ours decrypt', 'node read', 'age -d', 'ours encrypt, memory', 'ours decrypt, memory'];
const runs = Object.fromEntries(NAMES.map((name) => [name, []]));
let encryptedInMemory;
// A warm-up pass, not timed: the service is a long-lived process, so what matters is the streams once node has
// compiled their code and the allocator has its heap, not the first seconds of a fresh process.
await pipeline(Readable.from(memorySource(32 * 1024 * 1024, block)), createAgeEncryptStream([recipient]), fs.createWriteStream(file('warm.age')));
await streamFile(createAgeDecryptStream([identity]), file('warm.age'), '/dev/null');
fs.rmSync(file('warm.age'));
for (let round = 1; round <= ROUNDS; round++) {
  // Through files on tmpfs, as the commands run; "node copy" and "node read" are the same file streams without
  // crypto, so ours minus them is what the encryption itself costs.
  runs['ours encrypt'].push(await withLoopDelay(() => timedHere(() => streamFile(createAgeEncryptStream([recipient]), file('plain'), file('ours.age')))));
  runs['node copy'].push(await timedHere(() => streamFile(new PassThrough(), file('plain'), file('copy'))));
  runs['age -r'].push(await timedCommand('age', ['-r', recipient, '-o', file('theirs.age'), file('plain')]));
  runs['ours decrypt'].push(await withLoopDelay(() => timedHere(() => streamFile(createAgeDecryptStream([identity]), file('ours.age'), '/dev/null'))));
  runs['node read'].push(await timedHere(() => streamFile(new PassThrough(), file('ours.age'), '/dev/null')));
  runs['age -d'].push(await timedCommand('age', ['-d', '-i', file('key.txt'), '-o', '/dev/null', file('theirs.age')]));
  // In memory, no I/O at all: the streams' own speed (output dropped, so no fresh memory is touched for it).
  runs['ours encrypt, memory'].push(
    await timedHere(() => pipeline(Readable.from(memorySource(bytes, block)), createAgeEncryptStream([recipient]), nullSink())),
  );
  encryptedInMemory ??= fs.readFileSync(file('ours.age'));
  const pieces = function* () {
    for (let at = 0; at < encryptedInMemory.length; at += 65536) yield encryptedInMemory.subarray(at, at + 65536);
  };
  runs['ours decrypt, memory'].push(await timedHere(() => pipeline(Readable.from(pieces()), createAgeDecryptStream([identity]), nullSink())));
  console.log(
    `round ${round}: ${NAMES.map((name) => `${name} ${(MB / runs[name][round - 1].wall).toFixed(0)} MB/s (${runs[name][round - 1].cpu.toFixed(2)} s CPU)`).join(', ')}`,
  );
}
encryptedInMemory = undefined;

// Our decryption must read what age wrote, and age what we wrote (a sanity check of the figures).
execFileSync('age', ['-d', '-i', file('key.txt'), '-o', '/dev/null', file('ours.age')]);
await streamFile(createAgeDecryptStream([identity]), file('theirs.age'), '/dev/null');

// One chunk, sealed and opened directly: the synchronous stretch one 64 KiB write costs the event loop.
const key = payloadKey(randomBytes(16), randomBytes(16));
const chunk = randomBytes(64 * 1024);
const sealTimes = [];
const openTimes = [];
for (let i = 0; i < 2000; i++) {
  let t = performance.now();
  const [ciphertext, tag] = sealChunk(key, i, false, chunk);
  sealTimes.push(performance.now() - t);
  const sealed = Buffer.concat([ciphertext, tag]);
  t = performance.now();
  openChunk(key, i, false, sealed);
  openTimes.push(performance.now() - t);
}
const pct = (list, p) => [...list].sort((a, b) => a - b)[Math.min(list.length - 1, Math.floor((list.length * p) / 100))];

const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
const summary = (name) => ({ wall: median(runs[name].map((r) => r.wall)), cpu: median(runs[name].map((r) => r.cpu)) });
const m = Object.fromEntries(NAMES.map((name) => [name, summary(name)]));
const speed = (name) => `${(MB / m[name].wall).toFixed(0)} MB/s (${m[name].cpu.toFixed(2)} s CPU)`;
const crypto = (ours, plain) => `${(MB / Math.max(0.001, m[ours].cpu - m[plain].cpu)).toFixed(0)} MB per CPU-second`;
console.log(
  `\n${MB} MB of random plaintext, ${ROUNDS} rounds alternating, medians; node ${process.version}, age ${execFileSync('age', ['--version']).toString().trim()}; load average ${fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
);
console.log(
  `encrypt, file to file: ours ${speed('ours encrypt')}, age -r ${speed('age -r')}; ours ÷ age: ${(m['age -r'].wall / m['ours encrypt'].wall).toFixed(2)} × the speed, ${(m['ours encrypt'].cpu / m['age -r'].cpu).toFixed(2)} × the CPU`,
);
console.log(`  the same node file streams without crypto: ${speed('node copy')}; so the encryption itself: ${crypto('ours encrypt', 'node copy')}`);
console.log(`  in memory (no I/O): ours ${speed('ours encrypt, memory')}`);
console.log(
  `decrypt, file to /dev/null: ours ${speed('ours decrypt')}, age -d ${speed('age -d')}; ours ÷ age: ${(m['age -d'].wall / m['ours decrypt'].wall).toFixed(2)} × the speed, ${(m['ours decrypt'].cpu / m['age -d'].cpu).toFixed(2)} × the CPU`,
);
console.log(`  the same node file streams without crypto: ${speed('node read')}; so the decryption itself: ${crypto('ours decrypt', 'node read')}`);
console.log(`  in memory (no I/O): ours ${speed('ours decrypt, memory')}`);
console.log(
  `event loop: one 64 KiB chunk sealed in median ${pct(sealTimes, 50).toFixed(3)} ms (p99 ${pct(sealTimes, 99).toFixed(3)}, max ${Math.max(...sealTimes).toFixed(3)}), ` +
    `opened in median ${pct(openTimes, 50).toFixed(3)} ms (p99 ${pct(openTimes, 99).toFixed(3)}, max ${Math.max(...openTimes).toFixed(3)}); the p99 and max include the machine's other load`,
);
console.log(
  `  longest event-loop delay while a file streamed (1 ms resolution, includes the fs streams and other load), per round: ` +
    `encrypt ${runs['ours encrypt'].map((r) => r.maxDelay.toFixed(1)).join(' / ')} ms, decrypt ${runs['ours decrypt'].map((r) => r.maxDelay.toFixed(1)).join(' / ')} ms`,
);
