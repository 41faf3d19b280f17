// The archive's byte pipeline, in a worker thread of its own (ArchiveWriter starts one per archive):
//
//   tar packer (the entries in order; progress in uncompressed bytes)
//     → parallel gzip (all cores, on the threadpool; ARCHIVE_GZIP_LEVEL)
//     → each write step of the archive, in order (built from its plan: the module it names)
//     → SHA-256 and size of the bytes as stored
//     → TransferSink (the bytes, in chunks transferred to the service's thread, which hands them to the target)
//
// Every buffer of the archive's making is allocated here, on this thread's small heap: on the service's
// heap their external memory drove back-to-back full collections of everything the service holds
// (bench/results-notes.md, "archive pipeline in a worker thread").
import { pipeline } from 'node:stream/promises';
import type { Transform } from 'node:stream';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { ARCHIVE_GZIP_LEVEL, type ArchivePipelineJob, type ArchivePipelineMessage, PROGRESS_EVERY_BYTES } from './archive-pipeline-protocol.js';
import type { ArchiveStepTransformModule } from './archive-write-step.js';
import { threadBufferChurn } from '../../common/memory/buffer-churn.js';
import { ParallelGzip } from './parallel-gzip.js';
import { storedDigest } from './stored-digest.js';
import { packTar } from './tar-packer.js';
import { TransferSink } from './transfer-sink.js';

async function run(job: ArchivePipelineJob, port: MessagePort): Promise<void> {
  const post = (message: ArchivePipelineMessage): void => port.postMessage(message);
  /** The step whose stream failed first: the others fail after it, destroyed by the pipeline with its error. */
  let failedStep: string | undefined;
  let firstError = false;
  const steps: { name: string; stream: Transform }[] = [];
  try {
    for (const plan of job.steps) {
      failedStep = plan.name;
      const module = (await import(plan.module)) as ArchiveStepTransformModule;
      steps.push({ name: plan.name, stream: module.createStepTransform(plan.options) });
    }
    failedStep = undefined;
    const gzip = new ParallelGzip({ level: ARCHIVE_GZIP_LEVEL });
    const digest = storedDigest();
    const sink = new TransferSink(port);
    for (const stream of [gzip, digest, sink]) stream.once('error', () => (firstError = true));
    for (const step of steps) {
      step.stream.once('error', () => {
        if (!firstError) failedStep = step.name;
        firstError = true;
      });
    }
    let packed = 0;
    let reported = 0;
    const packing = packTar(gzip, {
      dir: job.dir,
      entries: job.entries,
      mtime: new Date(job.mtimeMs),
      onBytes: (bytes) => {
        packed = bytes;
        if (bytes - reported < PROGRESS_EVERY_BYTES) return;
        reported = bytes;
        post({ type: 'progress', tarBytes: bytes });
      },
    }).then(
      () => undefined,
      // A packing error destroys gzip with it, which fails the pipeline and so the archive.
      (error: Error) => {
        if (!gzip.destroyed) gzip.destroy(error);
      },
    );
    await pipeline([gzip, ...steps.map((s) => s.stream), digest, sink]);
    await packing;
    if (packed !== reported) post({ type: 'progress', tarBytes: packed });
    post({ type: 'end', digest: digest.digest!, collections: threadBufferChurn.counts });
  } catch (error) {
    for (const step of steps) step.stream.destroy();
    post({ type: 'failed', message: (error as Error)?.message ?? String(error), step: failedStep });
  } finally {
    // The thread ends once the pipeline has let go of everything (file handles closed, zlib jobs done).
    port.unref();
  }
}

void run(workerData as ArchivePipelineJob, parentPort!);
