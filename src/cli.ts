#!/usr/bin/env node
import 'reflect-metadata';
import { runCli } from './cli/run-cli.js';

/**
 * `sentinel-backup`, the disaster-recovery command line (package.json `bin`): list, verify and restore
 * backups without the service, on the service's own restore core and storage adapters. See
 * `sentinel-backup --help` and docs/disaster-recovery.md.
 */
process.exitCode = await runCli(process.argv.slice(2), process.env);
