import fs from 'node:fs';

/** How `npm start` runs the built service, read from package.json: `npm run build && VAR=value ... node --option ... dist/main.js`. */
export interface NpmStartSettings {
  /** The environment assignments, in order (`MALLOC_ARENA_MAX=2`, ...). */
  assignments: string[];
  /** The same, as name → value. */
  variables: Record<string, string>;
  /** The node options, in order. */
  nodeOptions: string[];
}

/** package.json's start script, parsed; throws naming the script when it does not have that shape. */
export function npmStartSettings(): NpmStartSettings {
  const start = (JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: { start: string } }).scripts.start;
  const run = /^npm run build && ((?:[A-Z_]+=\S+ )*)node ((?:--\S+ )*)dist\/main\.js$/.exec(start);
  if (!run) throw new Error(`package.json's start script is not 'npm run build && VAR=value ... node --option ... dist/main.js': ${start}`);
  const assignments = run[1].split(' ').filter(Boolean);
  const variables = Object.fromEntries(
    assignments.map((assignment) => [assignment.slice(0, assignment.indexOf('=')), assignment.slice(assignment.indexOf('=') + 1)]),
  );
  return { assignments, variables, nodeOptions: run[2].split(' ').filter(Boolean) };
}
