import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

const TYPESCRIPT_HOOKS = new URL('./typescript-hooks.mjs', import.meta.url);

/**
 * Starts a worker thread on a module of this code base, named as its compiled file next to the caller:
 * `startModuleWorker(new URL('./x.worker.js', import.meta.url), options)`. The built service runs that
 * file. Run from the TypeScript sources (the unit and end-to-end tests import src/), the `.js` does not
 * exist: the worker runs the `.ts` beside it, with module hooks that transpile it and what it imports
 * (typescript-hooks.mjs), since Node 20 cannot load TypeScript.
 */
export function startModuleWorker(entry: URL, options: WorkerOptions = {}): Worker {
  if (fs.existsSync(fileURLToPath(entry))) return new Worker(entry, options);
  const source = new URL(entry.href.replace(/\.js$/, '.ts'));
  if (source.href === entry.href || !fs.existsSync(fileURLToPath(source))) {
    throw new Error(`Cannot start a worker thread: ${fileURLToPath(entry)} does not exist (was the service built?)`);
  }
  const register = `import { register } from 'node:module'; register(${JSON.stringify(TYPESCRIPT_HOOKS.href)});`;
  return new Worker(source, {
    ...options,
    execArgv: [...(options.execArgv ?? process.execArgv), '--import', `data:text/javascript,${encodeURIComponent(register)}`],
  });
}
