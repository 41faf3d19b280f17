/**
 * Jest's order of the test files, longest first, also where jest has no timings of its own.
 *
 * Jest runs the files it has timed before longest first, so that the run does not end with one worker on a long
 * file while the others are idle; files it has no time for go first and are ordered by size. Its timings live
 * in its cache folder, keyed by the project's root folder: a new clone in a new folder (the Node 24 half of
 * .ci/run runs in a fresh temporary copy every time) has none, and ordered by size the e2e tier's longest files
 * came late (backup-shutdown, 161 s, was 78th of 94; restore-crash, 130 s, 93rd), which on the three
 * workers' timeline of the last CI run ends the tier about a minute after it could have ended.
 *
 * Here a file's time is jest's own when it has one, and otherwise the time recorded in e2e-durations.json
 * (from a CI log; only the order depends on it, so it need not be current: a file not in it is new and, as
 * jest does with such files, runs first). To refresh it from a run:
 *   npm run test:e2e -- --json --outputFile=/tmp/e2e.json
 * and write each file's (endTime - startTime) / 1000 into e2e-durations.json's "seconds", by path from the root.
 */
import sequencer from '@jest/test-sequencer';
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const TestSequencer = sequencer.default ?? sequencer;
const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
/** Recorded seconds by path from the repository root ("test/web.e2e-spec.ts"). */
const RECORDED = JSON.parse(readFileSync(join(HERE, 'e2e-durations.json'), 'utf8')).seconds;

export default class LongestFirstSequencer extends TestSequencer {
  /** Milliseconds, as jest's cache holds them; undefined for a file neither jest nor the record has a time for. */
  time(test) {
    const cached = super.time(test);
    if (cached !== undefined) return cached;
    const seconds = RECORDED[relative(ROOT, test.path).split('\\').join('/')];
    return seconds === undefined ? undefined : seconds * 1000;
  }
}
