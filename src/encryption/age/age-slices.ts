/**
 * Runs `step` over `data` in slices of at most SLICE_BYTES, yielding to the event loop between slices, then
 * calls `done` (with the error `step` threw, if any). A caller may write several megabytes at once, and
 * sealing or opening them in one go would hold the event loop for all of it; a slice is 16 chunks.
 * `stopped`: checked before each slice; once true (the stream was destroyed) the rest is not worked through.
 */
export const SLICE_BYTES = 16 * 64 * 1024;

export function inSlices(data: Buffer, step: (slice: Buffer) => void, done: (error?: Error) => void, stopped: () => boolean = () => false): void {
  let offset = 0;
  const next = (): void => {
    if (stopped()) return done();
    try {
      const end = Math.min(offset + SLICE_BYTES, data.length);
      step(data.subarray(offset, end));
      offset = end;
    } catch (error) {
      done(error as Error);
      return;
    }
    if (offset < data.length) setImmediate(next);
    else done();
  };
  next();
}
