import { BufferChurn, type Collector, defaultCollector, v8Collector } from './buffer-churn.js';

describe('BufferChurn', () => {
  function recording(): { collect: Collector; calls: Array<Parameters<Collector>[0]> } {
    const calls: Array<Parameters<Collector>[0]> = [];
    return { collect: (options) => calls.push(options), calls };
  }

  it('collects once every interval of bytes, counting what passed since the last collection', () => {
    const { collect, calls } = recording();
    const churn = new BufferChurn(10, collect, false);
    churn.passed(4);
    churn.passed(5);
    expect(calls).toHaveLength(0);
    churn.passed(1);
    expect(calls).toHaveLength(1);
    // One large chunk is one collection, and the count starts again from nothing.
    churn.passed(35);
    expect(calls).toHaveLength(2);
    churn.passed(9);
    expect(calls).toHaveLength(2);
    churn.passed(1);
    expect(calls).toHaveLength(3);
  });

  it("collects the whole heap on a worker thread, and the young generation only on the service's thread", () => {
    const worker = recording();
    new BufferChurn(1, worker.collect, false).passed(1);
    expect(worker.calls).toEqual([{ type: 'major' }]);
    const service = recording();
    new BufferChurn(1, service.collect, true).passed(1);
    expect(service.calls).toEqual([{ type: 'minor' }]);
  });

  it('does nothing where no collector could be had', () => {
    expect(() => new BufferChurn(1, null).passed(100)).not.toThrow();
  });

  it("takes V8's own collector by default, none with SENTINEL_BUFFER_COLLECTIONS=off", () => {
    const before = process.env.SENTINEL_BUFFER_COLLECTIONS;
    try {
      process.env.SENTINEL_BUFFER_COLLECTIONS = 'off';
      expect(defaultCollector()).toBeNull();
      delete process.env.SENTINEL_BUFFER_COLLECTIONS;
      expect(defaultCollector()).toBe(v8Collector());
      expect(typeof v8Collector()).toBe('function');
    } finally {
      if (before === undefined) delete process.env.SENTINEL_BUFFER_COLLECTIONS;
      else process.env.SENTINEL_BUFFER_COLLECTIONS = before;
    }
  });

  it.each([
    ['a worker thread (a full collection)', false],
    ["the service's thread (the young generation)", true],
  ])("V8's collector frees the dead buffers' memory on %s", async (_thread, onServiceThread) => {
    const churn = new BufferChurn(1, v8Collector(), onServiceThread);
    const external = () => process.memoryUsage().arrayBuffers;
    // 32 MiB of buffers, dead once this returns (as a pipeline's chunks are once the next step has taken them).
    const allocate = (): number => {
      const buffers = Array.from({ length: 32 }, () => Buffer.alloc(1024 * 1024, 1));
      expect(buffers).toHaveLength(32);
      return external();
    };
    const held = allocate();
    churn.passed(1);
    // V8 may return the buffers' memory from a background task right after the collection: a few turns, not timers.
    for (let i = 0; i < 20 && external() >= held - 16 * 1024 * 1024; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(external()).toBeLessThan(held - 16 * 1024 * 1024);
  });
});
