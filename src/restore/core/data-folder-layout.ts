import path from 'node:path';
import type { Environment } from '../../config/environment.js';
import { type ManagedDatabase, managedDatabases } from '../../database/managed-database.js';

/**
 * Where the databases live: the data folder and the managed databases' names and files in it. All the
 * restore core needs to know about them: it works on files, with no connection open, so it asks this
 * rather than the DatabaseRegistry (which also opens connections and needs the running service), and
 * a program without the service (a command line working on a stopped service's folder) can build one.
 * The registry derives its list with the same function (managedDatabases) from the same environment.
 */
export class DataFolderLayout {
  readonly databases: readonly ManagedDatabase[];

  constructor(
    readonly dataDir: string,
    names: readonly string[],
  ) {
    this.databases = managedDatabases(dataDir, names);
  }

  /** DATA_DIR and SENTINEL_DATABASES, as the service reads them. */
  static fromEnvironment(env: Pick<Environment, 'dataDir' | 'databases'>): DataFolderLayout {
    return new DataFolderLayout(env.dataDir, env.databases);
  }

  /** The managed databases' names, in configuration order. */
  get names(): string[] {
    return this.databases.map((db) => db.name);
  }

  /** A file or folder directly in the data folder. */
  file(name: string): string {
    return path.join(this.dataDir, name);
  }
}
