#!/usr/bin/env node
// The `sentinel-backup` command (package.json `bin`). A launcher kept in git with its executable bit: `nest build`
// rewrites dist/ without that bit, and npx runs a bin as a program, so a bin pointing into dist/ failed with
// "Permission denied" after every build. The command itself is dist/cli.js (`node dist/cli.js` works as well).
import fs from 'node:fs';
import process from 'node:process';
import { URL } from 'node:url';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!fs.existsSync(cli)) {
  process.stderr.write('sentinel-backup: dist/cli.js is missing: build the project first (npm run build, or npx nest build)\n');
  process.exit(1);
}
await import(cli.href);
