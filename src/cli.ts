#!/usr/bin/env node
import 'reflect-metadata';
import { runCli } from './cli/run-cli.js';

/**
 * `sentinel-backup`, the disaster-recovery command line (package.json `bin`): list, verify and restore
 * backups without the service, on the service's own restore core and storage adapters. See
 * `sentinel-backup --help` and docs/disaster-recovery.md.
 */
// The AWS SDK warns on every start under Node 20 that its 2027 releases need Node 22 (its own switch turns
// that off): the supported Node versions are the README's business, and stderr is kept for what the command says.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

process.exitCode = await runCli(process.argv.slice(2), process.env);
