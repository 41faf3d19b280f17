import v8 from 'node:v8';
import vm from 'node:vm';
import { isMainThread } from 'node:worker_threads';

/**
 * V8's collector as its `gc` extension exposes it (V8's --expose-gc), called without options: a full collection at
 * once. (Node 20's V8 takes `gc({ type: 'major' })` and collects nothing: the dead buffers stay; Node 24's collects.)
 */
export type Collector = (options?: { type: 'minor' | 'major' }) => unknown;

/**
 * How many bytes a pipeline's thread passes between two collections: a few of its chunks' worth (the archive's
 * chunks are 1 MiB, zlib's blocks 1 MiB in and about half out), so dead buffers stay within a few tens of
 * megabytes, and about one collection per second of a backup.
 */
export const COLLECT_EVERY_BYTES = 16 * 1024 * 1024;

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
 * Frees the large buffers a worker thread's stream of bytes leaves behind, every `intervalBytes` of it: a full
 * collection of the thread's JS heap, which is what frees them.
 *
 * Why: an ArrayBuffer's memory (every Buffer over 4 KiB: zlib's output blocks, age's chunks, the archive's chunks
 * before they are transferred) is returned only when V8 collects its object, and a thread whose JS heap barely grows,
 * as the archive's worker thread, collects only once its off-heap memory has grown by about 64 MB since the last
 * collection. A worker's heap is a few megabytes, so a full collection there costs a millisecond or two.
 *
 * Full collections are for worker threads only. On the service's thread, full collections asked for as the archive's
 * chunks or a restore's gunzip output passed lowered some peaks by 20-30 MB but made every later restore staging
 * 30-40 % slower (forced full collections of its 50-70 MB heap, and V8 then sizing that heap tighter):
 * bench/results-notes.md, "Dead buffers, the service's thread". There, only scavenges are asked for
 * (`serviceThreadChunkChurn`). Each worker thread has one (`threadBufferChurn`), so that its pipelines share the count.
 */
export class BufferChurn {
  private since = 0;

  constructor(
    private readonly intervalBytes: number,
    private readonly collect: Collector | null = defaultCollector(),
  ) {}

  /** Counts `bytes` more through the stream; collects once `intervalBytes` have passed since the last time. */
  passed(bytes: number): void {
    this.since += bytes;
    if (this.since < this.intervalBytes || !this.collect) return;
    this.since = 0;
    this.collect();
  }
}

/**
 * V8's collector of the young generation only (a scavenge): `gc({ type: 'minor' })`, which Node 20 and 24 both honour.
 * A scavenge visits only the young objects that are alive (cheap, as the young generation is small), and frees
 * the memory of every young ArrayBuffer that died, but it does not touch the old generation and so does not make V8
 * size the heap tighter (what made forced full collections on the service's thread cost: see BufferChurn).
 */
export function v8YoungCollector(): Collector | null {
  const gc = v8Collector();
  return gc ? () => gc({ type: 'minor' }) : null;
}

/** The collector BufferChurn uses unless given one: V8's, or none with SENTINEL_BUFFER_COLLECTIONS=off. */
export function defaultCollector(): Collector | null {
  return process.env.SENTINEL_BUFFER_COLLECTIONS === 'off' ? null : v8Collector();
}

/**
 * This thread's BufferChurn (a module is loaded once per thread): every pipeline step of the thread counts into it.
 * On the service's own thread it never collects (serviceThreadChunkChurn scavenges there instead).
 */
export const threadBufferChurn = new BufferChurn(COLLECT_EVERY_BYTES, isMainThread ? null : defaultCollector());

/**
 * How many archive bytes the service's thread receives between two scavenges: a few of the archive's 1 MiB chunks.
 * Each chunk comes from the archive's worker as a transferred ArrayBuffer (no copy) and is dead once its destination
 * has taken it; its object is young, and tiny, so nothing else makes V8 scavenge soon, and the dead chunks' memory
 * waited for a collection V8 starts only once off-heap memory has grown by tens of megabytes (bench/results-notes.md,
 * stops 34 and 35). Chunks still held (an S3 part of the default 5 MiB being filled holds up to five) survive one
 * scavenge at most at this interval, so they are not promoted to the old generation, where only a full collection
 * frees them.
 */
export const SCAVENGE_EVERY_BYTES = 8 * 1024 * 1024;

/**
 * The service's thread's churn of archive chunks: a scavenge every SCAVENGE_EVERY_BYTES; none in a worker thread
 * (their pipelines count into threadBufferChurn) or with SENTINEL_BUFFER_COLLECTIONS=off.
 */
export const serviceThreadChunkChurn = new BufferChurn(
  SCAVENGE_EVERY_BYTES,
  isMainThread && process.env.SENTINEL_BUFFER_COLLECTIONS !== 'off' ? v8YoungCollector() : null,
);
