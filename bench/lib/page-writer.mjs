// The writer of the incremental-backup measurement: changes a chosen share of each database's pages
// between two backups, through its own SQLite connection (WAL, as Sentinel writes), as an application
// would: UPDATEs of one unindexed column over blocks of consecutive rows of each database's main table,
// so the pages touched are that table's leaves (and the few interior pages above them), spread over the file.
import path from 'node:path';
import Database from 'better-sqlite3';

/**
 * Per database: the table the generator fills (bench/lib/dataset.mjs), an unindexed column whose new value
 * keeps the row in its page, and how a row's position maps to its key (rowid tables: rowid = position + 1;
 * history's prices, WITHOUT ROWID: 2,500 trading days per security in key order).
 */
const TARGETS = {
  universe: { table: 'securities', column: 'market_cap', numeric: true },
  config: { table: 'user_preferences', column: 'updated_at', numeric: false },
  ledger: { table: 'entries', column: 'amount', numeric: true },
  portfolio: { table: 'trades', column: 'fees', numeric: true },
  agents: { table: 'agent_runs', column: 'decisions', numeric: true },
  history: { table: 'prices', column: 'volume', numeric: true, daysPerSecurity: 2500 },
  cache: { table: 'cache_entries', column: 'content_type', numeric: false },
};

const DAY = 86_400_000;
const START = Date.UTC(2015, 0, 1);
/** At most this many blocks of consecutive rows (of 16 pages or more) per database and round: the changed pages are spread over the file, as a day's writes are. */
const BLOCKS = 64;

export class PageWriter {
  /**
   * `databases`: the manifest's entries ({ name, rows }), `dataDir`: where the live databases are. Reads
   * once (dbstat, untimed) how many pages each main table and each file has, to turn a share of the file's
   * pages into a number of rows.
   */
  constructor(dataDir, databases) {
    this.dataDir = dataDir;
    this.round = 0;
    this.databases = databases.map(({ name, rows }) => {
      const db = new Database(path.join(dataDir, `${name}.db`), { readonly: true });
      try {
        const pageCount = db.pragma('page_count', { simple: true });
        const tablePages = db.prepare('SELECT count(*) FROM dbstat WHERE name = ?').pluck().get(TARGETS[name].table);
        return { name, rows, pageCount, tablePages, ...TARGETS[name] };
      } finally {
        db.close();
      }
    });
  }

  /**
   * Changes about `share` (0–1) of all pages (of every database together, each database in proportion),
   * in blocks that move on each round so that successive rounds touch other pages. Returns the pages
   * it aimed at.
   */
  change(share) {
    this.round++;
    let aimed = 0;
    for (const d of this.databases) {
      const pages = Math.min(d.tablePages, Math.max(1, Math.round(share * d.pageCount)));
      aimed += pages;
      // A block's rows rarely start and end on a page boundary: each block touches about one page more than its rows fill.
      const blocks = Math.min(BLOCKS, Math.max(1, Math.floor(pages / 16)));
      const rows = Math.min(d.rows, Math.ceil((Math.max(1, pages - blocks) / d.tablePages) * d.rows));
      const perBlock = Math.ceil(rows / blocks);
      const stride = Math.floor(d.rows / blocks);
      // Each round starts its blocks further into their stride, so rounds touch other pages.
      const shift = (this.round * perBlock * 7) % Math.max(1, stride - perBlock);
      const value = d.numeric ? this.round : `r${this.round}`;
      const db = new Database(path.join(this.dataDir, `${d.name}.db`));
      try {
        db.pragma('busy_timeout = 10000');
        const update = d.daysPerSecurity
          ? db.prepare(`UPDATE ${d.table} SET ${d.column} = ? WHERE (security_id, date) >= (?, ?) AND (security_id, date) <= (?, ?)`)
          : db.prepare(`UPDATE ${d.table} SET ${d.column} = ? WHERE rowid BETWEEN ? AND ?`);
        db.transaction(() => {
          for (let b = 0; b < blocks; b++) {
            const first = Math.min(d.rows - 1, b * stride + shift);
            const last = Math.min(d.rows - 1, first + perBlock - 1);
            if (d.daysPerSecurity) update.run(value, ...this.keyOf(d, first), ...this.keyOf(d, last));
            else update.run(value, first + 1, last + 1);
          }
        })();
        // As SQLite's automatic checkpoint would soon: the snapshot then reads the changes from the file.
        db.pragma('wal_checkpoint(TRUNCATE)');
      } finally {
        db.close();
      }
    }
    return aimed;
  }

  /** The key of the row at `position` in prices (security_id, date), as the generator wrote it. */
  keyOf(d, position) {
    const security = Math.floor(position / d.daysPerSecurity) + 1;
    const day = position % d.daysPerSecurity;
    return [security, new Date(START + day * DAY).toISOString().slice(0, 10)];
  }

  /** Pages of all the databases together. */
  get totalPages() {
    return this.databases.reduce((sum, d) => sum + d.pageCount, 0);
  }
}
