import { ProgressMeter, type ProgressSink } from './progress-meter.js';

const MIB = 1024 * 1024;

/** A sink that records what the meter wrote, and a clock the test moves. */
function setup(isTTY: boolean, startAt = 0, columns = 120): { meter: ProgressMeter; written: string[]; tick: (ms: number) => void } {
  let now = 1_000_000;
  const written: string[] = [];
  const sink: ProgressSink = { isTTY, columns, write: (text) => void written.push(text) };
  const meter = new ProgressMeter('Downloading', 100 * MIB, sink, startAt, () => now);
  return { meter, written, tick: (ms) => (now += ms) };
}

describe('ProgressMeter', () => {
  it('on a terminal: one bar redrawn in place with bytes, rate and time left, at most every 100 ms, ended by a summary line', () => {
    const { meter, written, tick } = setup(true);
    for (let i = 1; i <= 50; i++) {
      tick(20);
      meter.update(i * MIB);
    }
    // 50 updates over 1 s: about ten redraws, not fifty.
    expect(written.length).toBeGreaterThanOrEqual(9);
    expect(written.length).toBeLessThanOrEqual(11);
    for (const text of written) expect(text).toMatch(/^\rDownloading \[[#.]+\] .*\x1b\[K$/);
    // Drawn at 46 MiB, 1 MiB every 20 ms: 50 MiB/s, and 54 MiB left: 2 s.
    expect(written[written.length - 1]).toMatch(/\] 46\.0 MiB of 100\.0 MiB \(46%\), 50\.0 MiB\/s, 2 s left\x1b\[K$/);
    meter.finish();
    expect(written[written.length - 1]).toMatch(/^\rDownloading: 50\.0 MiB done in 1 s \(50\.0 MiB\/s\)\x1b\[K\n$/);
    meter.update(60 * MIB);
    meter.stop();
    expect(written[written.length - 1]).toMatch(/done in/);
  });

  it('not on a terminal: a plain line every tenth of the way, or after 5 s without one, and a last one; no control characters', () => {
    const { meter, written, tick } = setup(false);
    for (let i = 1; i <= 100; i++) {
      tick(10);
      meter.update(i * MIB);
    }
    expect(written.length).toBe(9); // 10 %, 20 %, ... 90 %; 100 % is the summary's
    expect(written[0]).toMatch(/^Downloading: 10\.0 MiB of 100.0 MiB \(10%\), 100.0 MiB\/s, 1 s left\n$/);
    meter.finish();
    expect(written).toHaveLength(10);
    expect(written.join('')).not.toMatch(/[\r\x1b]/);

    const slow = setup(false);
    slow.tick(6000);
    slow.meter.update(MIB);
    expect(slow.written).toEqual([expect.stringMatching(/^Downloading: 1\.00 MiB of 100.0 MiB \(1%\), 170\.7 KiB\/s, 9 min 54 s left\n$/)]);
  });

  it('a resumed transfer starts from what was there: counted as done, not in the rate', () => {
    const { meter, written, tick } = setup(false, 40 * MIB);
    tick(1000);
    meter.update(10 * MIB);
    expect(written).toEqual([expect.stringMatching(/^Downloading: 50\.0 MiB of 100.0 MiB \(50%\), 10\.0 MiB\/s, 5 s left\n$/)]);
  });

  it('a bar stopped short ends its line; a narrow terminal gets a line that does not wrap', () => {
    const { meter, written, tick } = setup(true, 0, 40);
    tick(500);
    meter.update(MIB);
    expect(written[0].replace(/^\r|\x1b\[K$/g, '').length).toBeLessThan(40);
    meter.stop();
    expect(written[written.length - 1]).toBe('\n');
  });
});
