// Module hooks for a worker thread started from the TypeScript sources (the tests import src/ directly, and
// Node 20 cannot load TypeScript): a `.js` import of this code base that has no `.js` file resolves to the
// `.ts` beside it, which is transpiled on load (types removed, nothing checked: tsc and ts-jest check).
// The built service never uses them: its worker modules are compiled `.js` files (module-worker.ts).
//
// Transpiled files are cached by content under the system's temp folder, so TypeScript itself (a few
// seconds of CPU to load on a busy machine) is loaded only by the first worker that meets a changed file.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const CACHE_DIR = path.join(os.tmpdir(), `sentinel-worker-ts-${os.userInfo().uid}`);
/** Bumped when the options below change, so the cache cannot serve output of the old ones. */
const CACHE_VERSION = '1';

let typescript;

export async function resolve(specifier, context, nextResolve) {
  if (specifier.endsWith('.js') && context.parentURL?.startsWith('file:') && (specifier.startsWith('.') || specifier.startsWith('file:'))) {
    const url = new URL(specifier, context.parentURL);
    const ts = new URL(url.href.replace(/\.js$/, '.ts'));
    if (!fs.existsSync(fileURLToPath(url)) && fs.existsSync(fileURLToPath(ts))) return { url: ts.href, format: 'module', shortCircuit: true };
  }
  return nextResolve(specifier, context);
}

export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return nextLoad(url, context);
  const file = fileURLToPath(url);
  const source = fs.readFileSync(file, 'utf8');
  const key = createHash('sha256').update(`${CACHE_VERSION}\0${file}\0${source}`).digest('hex');
  const cached = path.join(CACHE_DIR, `${key}.js`);
  try {
    return { format: 'module', source: fs.readFileSync(cached, 'utf8'), shortCircuit: true };
  } catch {
    // not transpiled yet
  }
  typescript ??= (await import('typescript')).default;
  const output = typescript.transpileModule(source, {
    fileName: file,
    compilerOptions: {
      module: typescript.ModuleKind.ESNext,
      target: typescript.ScriptTarget.ES2022,
      experimentalDecorators: true,
      useDefineForClassFields: false,
      inlineSourceMap: true,
      inlineSources: true,
    },
  }).outputText;
  fs.mkdirSync(CACHE_DIR, { recursive: true, mode: 0o700 });
  // Written under a unique name and renamed: two workers transpiling at once never read half a file.
  const partial = `${cached}.${process.pid}.${Math.random().toString(36).slice(2)}.partial`;
  fs.writeFileSync(partial, output);
  fs.renameSync(partial, cached);
  return { format: 'module', source: output, shortCircuit: true };
}
