/** One of the databases this service owns and backs up: `<name>.db` in DATA_DIR. */
export interface ManagedDatabase {
  /** The database's name, as in the archive's metadata (`universe`). */
  readonly name: string;
  /** Its file name, in DATA_DIR and in the archive (`universe.db`). */
  readonly filename: string;
  /** Its absolute path. */
  readonly path: string;
}
