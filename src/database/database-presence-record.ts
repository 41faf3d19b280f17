import type { Logger } from '@nestjs/common';
import path from 'node:path';
import { DurableJsonFile } from '../common/fs/durable-json-file.js';

/** The record's file in DATA_DIR. */
export const DATABASES_PRESENT_FILE = '.databases-present.json';

/**
 * Which managed databases had a file in DATA_DIR when the service last opened them. A file that was there
 * then and is gone now was deleted or moved by someone, or lost with its disk: creating it again empty, as a
 * first start does, would hide that, and the next backups would hold an empty database where the user's data
 * was, until rotation deleted the last good ones. So the registry creates only what this record does not name
 * (a new installation, or a database added to the configuration), and reports the rest as missing.
 *
 * No file (an installation from before this record, or the record lost with DATA_DIR's dot files) means
 * nothing is known: every missing database is created, as before, and the record is written after that open.
 * The record only grows: a name stays in it for as long as the file exists, and a missing one stays expected.
 */
export class DatabasePresenceRecord {
  private readonly file: DurableJsonFile<RecordedDatabases | undefined>;

  constructor(dataDir: string, logger: Logger) {
    this.file = new DurableJsonFile(path.join(dataDir, DATABASES_PRESENT_FILE), 'the record of which databases exist', logger, (json) => {
      const names = (json as { databases?: unknown } | undefined)?.databases;
      // A damaged record (not JSON, no list) counts as none: DurableJsonFile logs it, and the databases that exist are recorded again.
      if (!Array.isArray(names)) return undefined;
      return { databases: names.filter((name): name is string => typeof name === 'string') };
    });
  }

  /** At the start of an open, before anything writes the record: the temp file of a write a crash interrupted. */
  removeLeftovers(): Promise<void> {
    return this.file.removeLeftovers();
  }

  /**
   * The names whose files existed at the last open, or undefined when there is no record. Read once per
   * registry: one service (or command line) per DATA_DIR at a time, and each start makes a new registry.
   */
  expected(): ReadonlySet<string> | undefined {
    const recorded = this.file.get();
    return recorded && new Set(recorded.databases);
  }

  /** Adds `present` to the record (the names already in it stay), durably; writes nothing when none is new. */
  async record(present: Iterable<string>): Promise<void> {
    const before = this.expected();
    const names = new Set([...(before ?? []), ...present]);
    if (before && names.size === before.size) return;
    await this.file.set({ databases: [...names] });
  }

  /** Resolves when the last write has ended (before an in-process restart's clean-up of temp files). */
  flush(): Promise<void> {
    return this.file.flush();
  }
}

/** The file's content. */
interface RecordedDatabases {
  readonly databases: readonly string[];
}
