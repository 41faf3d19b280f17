import v8 from 'node:v8';
import vm from 'node:vm';
import { isMainThread } from 'node:worker_threads';

/**
 * V8's collector as its `gc` extension exposes it (V8's --expose-gc): without options a full collection at once,
 * with `{ type: 'minor' }` a scavenge. `{ type: 'major' }` is left out of the type on purpose: Node 20's V8 takes it
 * and collects nothing (the dead buffers stay); Node 24's collects.
 */
export type Collector = (options?: { type: 'minor' }) => unknown;

/**
 * How many bytes a worker thread's pipeline passes between two full collections of the thread's heap: a few of the
 * archive's 1 MiB chunks. A full collection frees the dead buffers that survived the scavenges between (below) and
 * were promoted to the old generation; about one per second of a backup.
 */
export const WORKER_COLLECT_EVERY_BYTES = 16 * 1024 * 1024;

/**
 * How many bytes a worker thread's pipeline passes between two scavenges. Most of its dead buffers die young (zlib's
 * output blocks, age's ciphertexts, once copied into an archive chunk), so a scavenge frees them at the cost of a
 * fraction of a millisecond, long before the next full collection. Much more often, and buffers still in use (a block
 * waiting for an earlier one) live through two scavenges and are promoted, to wait for a full collection: the
 * interval and the full collections' were chosen together (bench/results-notes.md, stop 39).
 */
export const WORKER_SCAVENGE_EVERY_BYTES = 2 * 1024 * 1024;

let exposed: Collector | null | undefined;

/**
 * V8's collector, taken once from a fresh context where --expose-gc installs it (set here, at run time, so that the
 * way the service is started does not matter); null where that fails, and then nothing is collected early.
 */
export function v8Collector(): Collector | null {
  if (exposed !== undefined) return exposed;
  try {
    const existing = (globalThis as { gc?: Collector }).gc;
    if (typeof existing === 'function') return (exposed = existing);
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as unknown;
    exposed = typeof gc === 'function' ? (gc as Collector) : null;
  } catch {
    exposed = null;
  }
  return exposed;
}

/**
 * When a BufferChurn asks V8 to collect: a scavenge (the young generation only) every `scavengeEveryBytes`, a full
 * collection every `collectEveryBytes`; either may be left out.
 */
export interface ChurnSchedule {
  scavengeEveryBytes?: number;
  collectEveryBytes?: number;
}

/** How many times a BufferChurn has asked V8 to collect (the archive's worker reports its thread's at the end). */
export interface ChurnCounts {
  scavenges: number;
  collections: number;
}

/**
 * Frees the large buffers a thread's stream of bytes leaves behind, on a schedule of the bytes that passed: scavenges
 * and full collections of the thread's JS heap, which is what frees them.
 *
 * Why: an ArrayBuffer's memory (every Buffer over 4 KiB: zlib's output blocks, age's chunks, the archive's chunks
 * before they are transferred) is returned only when V8 collects its object, and a thread whose JS heap barely grows,
 * as the archive's worker thread, collects only once its off-heap memory has grown by about 64 MB since the last
 * collection. A worker's heap is a few megabytes, so a full collection there costs a millisecond or two, a scavenge
 * less.
 *
 * Full collections are for worker threads only. On the service's thread, full collections asked for as the archive's
 * chunks or a restore's gunzip output passed lowered some peaks by 20-30 MB but made every later restore staging
 * 30-40 % slower (forced full collections of its 50-70 MB heap, and V8 then sizing that heap tighter):
 * bench/results-notes.md, "Dead buffers, the service's thread". There, only scavenges are asked for
 * (`serviceThreadChunkChurn`). Each worker thread has one (`threadBufferChurn`), so that its pipelines share the count.
 */
export class BufferChurn {
  private sinceScavenge = 0;
  private sinceCollection = 0;
  private readonly made: ChurnCounts = { scavenges: 0, collections: 0 };

  /** `collector`: V8's `gc` (a full collection without options, a scavenge with `{ type: 'minor' }`), or none. */
  constructor(
    private readonly schedule: ChurnSchedule,
    private readonly collector: Collector | null = defaultCollector(),
  ) {}

  /** Counts `bytes` more through the stream; collects when the schedule says (a full collection includes a scavenge). */
  passed(bytes: number): void {
    if (!this.collector) return;
    this.sinceScavenge += bytes;
    this.sinceCollection += bytes;
    const { scavengeEveryBytes, collectEveryBytes } = this.schedule;
    if (collectEveryBytes !== undefined && this.sinceCollection >= collectEveryBytes) {
      this.sinceCollection = 0;
      this.sinceScavenge = 0;
      this.collector();
      this.made.collections++;
    } else if (scavengeEveryBytes !== undefined && this.sinceScavenge >= scavengeEveryBytes) {
      this.sinceScavenge = 0;
      // `gc({ type: 'minor' })`, which Node 20 and 24 both honour: it visits only the young objects that are alive
      // (cheap, as the young generation is small) and frees every young ArrayBuffer that died, but does not touch
      // the old generation and so does not make V8 size the heap tighter.
      this.collector({ type: 'minor' });
      this.made.scavenges++;
    }
  }

  /** The collections asked for so far. */
  get counts(): ChurnCounts {
    return { ...this.made };
  }
}

/** The collector BufferChurn uses unless given one: V8's, or none with SENTINEL_BUFFER_COLLECTIONS=off. */
export function defaultCollector(): Collector | null {
  return process.env.SENTINEL_BUFFER_COLLECTIONS === 'off' ? null : v8Collector();
}

/**
 * This thread's BufferChurn (a module is loaded once per thread): every pipeline step of the thread counts into it.
 * On the service's own thread it never collects (serviceThreadChunkChurn scavenges there instead).
 */
export const threadBufferChurn = new BufferChurn(
  { scavengeEveryBytes: WORKER_SCAVENGE_EVERY_BYTES, collectEveryBytes: WORKER_COLLECT_EVERY_BYTES },
  isMainThread ? null : defaultCollector(),
);

/**
 * How many archive bytes the service's thread receives between two scavenges: a few of the archive's 1 MiB chunks.
 * Each chunk comes from the archive's worker as a transferred ArrayBuffer (no copy) and is dead once its destination
 * has taken it; its object is young, and tiny, so nothing else makes V8 scavenge soon, and the dead chunks' memory
 * waited for a collection V8 starts only once off-heap memory has grown by tens of megabytes (bench/results-notes.md,
 * stops 34 and 35). Chunks still held (an S3 part of the default 5 MiB being filled holds up to five) survive two
 * scavenges at most at this interval; one promoted to the old generation waits for a full collection, which the
 * tight heap growing factor held during backups (HeapGrowth) makes come soon. At twice this interval, the dead
 * chunks' memory, counted against the heap's limit, had V8 mark and compact the service's whole heap several times a
 * second through a backup, costing more CPU (on the service's thread and V8's helper threads) than the scavenges
 * that free the chunks sooner (bench/results-notes.md, stop 39).
 */
export const SERVICE_THREAD_SCAVENGE_EVERY_BYTES = 4 * 1024 * 1024;

/**
 * The service's thread's churn of archive chunks: a scavenge every SERVICE_THREAD_SCAVENGE_EVERY_BYTES; none in a
 * worker thread (their pipelines count into threadBufferChurn) or with SENTINEL_BUFFER_COLLECTIONS=off.
 */
export const serviceThreadChunkChurn = new BufferChurn(
  { scavengeEveryBytes: SERVICE_THREAD_SCAVENGE_EVERY_BYTES },
  isMainThread && process.env.SENTINEL_BUFFER_COLLECTIONS !== 'off' ? v8Collector() : null,
);
