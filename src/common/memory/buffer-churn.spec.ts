import { BufferChurn, defaultCollector, v8Collector } from './buffer-churn.js';

describe('BufferChurn', () => {
  it('collects on its schedule of bytes, counting what passed since the last collection', () => {
    const calls: string[] = [];
    const churn = new BufferChurn({ collectEveryBytes: 10 }, (options) => calls.push(options?.type ?? 'full'));
    churn.passed(4);
    churn.passed(5);
    expect(calls).toEqual([]);
    churn.passed(1);
    expect(calls).toEqual(['full']);
    // One large chunk is one collection, and the count starts again from nothing.
    churn.passed(35);
    expect(calls).toEqual(['full', 'full']);
    churn.passed(9);
    expect(calls).toHaveLength(2);
    churn.passed(1);
    expect(calls).toEqual(['full', 'full', 'full']);
  });

  it('scavenges between its full collections, and a full collection starts the scavenge count again', () => {
    const calls: string[] = [];
    const churn = new BufferChurn({ scavengeEveryBytes: 2, collectEveryBytes: 7 }, (options) => calls.push(options?.type ?? 'full'));
    for (let i = 0; i < 8; i++) churn.passed(1);
    // 2, 4, 6: scavenges; 7: the full collection (no scavenge beside it); 8: one byte since then.
    expect(calls).toEqual(['minor', 'minor', 'minor', 'full']);
    churn.passed(1);
    expect(calls).toEqual(['minor', 'minor', 'minor', 'full', 'minor']);
    expect(churn.counts).toEqual({ scavenges: 4, collections: 1 });
    const scavenges: string[] = [];
    const onlyYoung = new BufferChurn({ scavengeEveryBytes: 3 }, (options) => scavenges.push(options?.type ?? 'full'));
    onlyYoung.passed(10);
    onlyYoung.passed(3);
    expect(scavenges).toEqual(['minor', 'minor']);
  });

  it('does nothing where no collector could be had', () => {
    const churn = new BufferChurn({ scavengeEveryBytes: 1, collectEveryBytes: 1 }, null);
    expect(() => churn.passed(100)).not.toThrow();
    expect(churn.counts).toEqual({ scavenges: 0, collections: 0 });
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

  it("frees dead buffers with V8's collector (on Node 20 and 24 alike)", async () => {
    const churn = new BufferChurn({ collectEveryBytes: 1 }, v8Collector());
    // Buffers that are dead once this returns (as a pipeline's chunks are once the next step has taken them): only
    // a collection frees them, and a few megabytes are too little for V8 to start one of its own.
    const dead = (): Array<WeakRef<ArrayBuffer>> => Array.from({ length: 4 }, () => new WeakRef(Buffer.alloc(1024 * 1024, 1).buffer));
    const buffers = dead();
    // A WeakRef holds its target until the current job ends: the collection comes in a later one.
    await new Promise((resolve) => setTimeout(resolve, 10));
    churn.passed(1);
    // V8 may clear them from a task right after the collection: waited for, but for less than a second, as V8's own
    // memory reducer would collect them a few seconds later anyway.
    const deadline = Date.now() + 1000;
    const alive = () => buffers.filter((buffer) => buffer.deref() !== undefined).length;
    while (alive() > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(alive()).toBe(0);
  });

  it("frees dead young buffers with V8's scavenge alone (on Node 20 and 24 alike)", async () => {
    const churn = new BufferChurn({ scavengeEveryBytes: 1 }, v8Collector());
    const arrayBuffers = () => process.memoryUsage().arrayBuffers;
    const settled = async (): Promise<number> => {
      // V8 returns dead buffers' memory in a task after a collection: read once two readings 20 ms apart agree.
      for (let last = -1, deadline = Date.now() + 5000; Date.now() < deadline;) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        const now = arrayBuffers();
        if (now === last) return now;
        last = now;
      }
      return arrayBuffers();
    };
    // A clean start: the process's earlier garbage (other tests') collected, so that it cannot be freed meanwhile.
    v8Collector()!();
    const before = await settled();
    // 16 MiB of buffers dead as soon as they are made, as the archive's chunks are once written: too little for V8
    // to collect on its own (it starts a collection for off-heap memory after about 64 MB).
    for (let i = 0; i < 16; i++) Buffer.alloc(1024 * 1024, i);
    expect(arrayBuffers() - before).toBeGreaterThanOrEqual(12 * 1024 * 1024);
    churn.passed(1);
    // Freed in a task right after the scavenge: waited for (up to 5 s on a busy machine).
    const deadline = Date.now() + 5000;
    while (arrayBuffers() - before > 4 * 1024 * 1024 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(arrayBuffers() - before).toBeLessThanOrEqual(4 * 1024 * 1024);
  });
});
