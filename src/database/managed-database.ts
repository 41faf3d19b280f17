import path from 'node:path';

/** One of the databases this service owns and backs up: `<name>.db` in DATA_DIR. */
export interface ManagedDatabase {
  /** The database's name, as in the archive's metadata (`universe`). */
  readonly name: string;
  /** Its file name, in DATA_DIR and in the archive (`universe.db`). */
  readonly filename: string;
  /** Its absolute path. */
  readonly path: string;
}

/**
 * The managed databases of a data folder, in configuration order: the one derivation of a database's
 * file and path from its name, used by DatabaseRegistry (which opens them) and by the restore core's
 * DataFolderLayout (which works on them as files), so the two cannot disagree.
 */
export function managedDatabases(dataDir: string, names: readonly string[]): readonly ManagedDatabase[] {
  return Object.freeze(names.map((name) => Object.freeze({ name, filename: `${name}.db`, path: path.join(dataDir, `${name}.db`) })));
}
