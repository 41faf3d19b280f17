// Deterministic generator of Sentinel's seven databases for the benchmark: realistic tables (prices,
// ledger entries, cached API answers, securities, trades, agent runs, configuration), moderately
// compressible (gzip -6 makes them about 40 % of their size), in WAL mode, split over the seven
// databases in fixed shares of the requested total. Same size = same bytes, on any machine.
//
// The set is cached in bench/data/<size>mb/ (gitignored); manifest.json is written last and marks it complete.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

/** Bump when the generator changes: a cached set of another version is regenerated. */
export const GENERATOR_VERSION = 2;

/** Share of the total size per database (sums to 1), in the service's order. */
export const SHARES = {
  universe: 0.1,
  config: 0.02,
  ledger: 0.2,
  portfolio: 0.1,
  agents: 0.06,
  history: 0.38,
  cache: 0.14,
};
export const DATABASES = Object.keys(SHARES);

/** mulberry32: small, fast, deterministic. */
function prng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function seedOf(name, salt) {
  let h = 2166136261 ^ salt;
  for (const c of name) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  return h >>> 0;
}

/** Helpers bound to one PRNG: words from a skewed vocabulary, hex ids, picks. */
function toolkit(rnd) {
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  const vocabulary = Array.from({ length: 6000 }, () => Array.from({ length: 2 + Math.floor(rnd() * 9) }, () => letters[Math.floor(rnd() * 26)]).join(''));
  const int = (n) => Math.floor(rnd() * n);
  const pick = (list) => list[int(list.length)];
  // rnd()^2 skews toward the start of the vocabulary, like word frequencies in real text.
  const word = () => vocabulary[Math.floor(rnd() ** 2 * vocabulary.length)];
  const words = (min, max) => {
    const n = min + int(max - min + 1);
    const out = new Array(n);
    for (let i = 0; i < n; i++) out[i] = word();
    return out.join(' ');
  };
  const hex = (n) => {
    let s = '';
    while (s.length < n) s += ((rnd() * 0x100000000) >>> 0).toString(16).padStart(8, '0');
    return s.slice(0, n);
  };
  const money = (max) => Math.round(rnd() * max * 100) / 100;
  return { int, pick, word, words, hex, money };
}

const EXCHANGES = ['XNAS', 'XNYS', 'XLON', 'XETR', 'XPAR', 'XTKS', 'XHKG', 'XSWX', 'XAMS', 'XTSE'];
const SECTORS = [
  'Technology',
  'Financials',
  'Health Care',
  'Industrials',
  'Energy',
  'Utilities',
  'Materials',
  'Consumer Staples',
  'Consumer Discretionary',
  'Real Estate',
  'Communication Services',
];
const COUNTRIES = ['US', 'GB', 'DE', 'FR', 'JP', 'HK', 'CH', 'NL', 'CA', 'SE', 'IT', 'ES'];
const CURRENCIES = ['USD', 'EUR', 'GBP', 'JPY', 'CHF', 'HKD', 'CAD', 'SEK'];
const ACTIONS = [
  'order.created',
  'order.filled',
  'order.cancelled',
  'position.opened',
  'position.closed',
  'dividend.received',
  'fee.charged',
  'transfer.in',
  'transfer.out',
  'rebalance.planned',
  'rebalance.executed',
];
const ACTORS = ['system', 'scheduler', 'agent:momentum', 'agent:value', 'agent:income', 'user:owner', 'user:advisor', 'broker:ibkr', 'broker:degiro'];
const STATUSES = ['succeeded', 'succeeded', 'succeeded', 'succeeded', 'failed', 'skipped'];
const LEVELS = ['DEBUG', 'INFO', 'INFO', 'INFO', 'WARN', 'ERROR'];

const DAY = 86_400_000;
const START = Date.UTC(2015, 0, 1);

/**
 * Table definitions per database: schema, then a row factory called with the row number.
 * Rows are inserted in batches until the file reaches its share of the total.
 */
function plans(t) {
  const { int, pick, words, hex, money } = t;
  const iso = (ms) => new Date(ms).toISOString();
  return {
    universe: {
      schema: `CREATE TABLE securities (id INTEGER PRIMARY KEY, symbol TEXT NOT NULL, isin TEXT NOT NULL, name TEXT NOT NULL,
          exchange TEXT, sector TEXT, industry TEXT, country TEXT, currency TEXT, market_cap INTEGER, listed_at TEXT,
          description TEXT, tags TEXT);
        CREATE INDEX securities_symbol ON securities(symbol); CREATE INDEX securities_isin ON securities(isin);`,
      insert:
        'INSERT INTO securities (symbol, isin, name, exchange, sector, industry, country, currency, market_cap, listed_at, description, tags) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)',
      row: (i) => {
        const country = pick(COUNTRIES);
        return [
          `${hex(3).toUpperCase()}${i % 97}`,
          `${country}${hex(9).toUpperCase()}${i % 10}`,
          `${words(2, 4)} ${pick(['Inc', 'Corp', 'AG', 'SA', 'plc', 'Holdings', 'Group'])}`,
          pick(EXCHANGES),
          pick(SECTORS),
          words(1, 3),
          country,
          pick(CURRENCIES),
          Math.floor(1e6 + int(2e9) * (1 + int(100))),
          iso(START - int(20 * 365) * DAY),
          words(30, 90),
          JSON.stringify([words(1, 1), words(1, 1), words(1, 1)]),
        ];
      },
    },
    config: {
      schema: `CREATE TABLE app_config (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at TEXT NOT NULL);
        CREATE TABLE user_preferences (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, scope TEXT NOT NULL, json TEXT NOT NULL, updated_at TEXT NOT NULL);
        CREATE INDEX user_preferences_user ON user_preferences(user_id, scope);`,
      insert: 'INSERT INTO user_preferences (user_id, scope, json, updated_at) VALUES (?,?,?,?)',
      row: (i) => [
        int(5000),
        pick(['dashboard', 'alerts', 'watchlist', 'reports', 'layout', 'agents']),
        JSON.stringify({
          theme: pick(['dark', 'light', 'auto']),
          columns: words(4, 10).split(' '),
          refreshSeconds: 5 * (1 + int(60)),
          note: words(10, 40),
          token: hex(24),
        }),
        iso(START + i * 37_000),
      ],
      extra: (db) => {
        const stmt = db.prepare('INSERT INTO app_config (key, value, updated_at) VALUES (?,?,?)');
        for (let i = 0; i < 500; i++)
          stmt.run(
            `feature.${words(1, 1)}.${i}`,
            JSON.stringify({ enabled: int(2) === 1, rollout: int(101), description: words(5, 20) }),
            iso(START + i * DAY),
          );
      },
    },
    ledger: {
      schema: `CREATE TABLE entries (id INTEGER PRIMARY KEY, ts TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
          entity TEXT NOT NULL, entity_id INTEGER NOT NULL, amount REAL, currency TEXT, note TEXT, payload TEXT NOT NULL, prev_hash TEXT NOT NULL);
        CREATE INDEX entries_ts ON entries(ts); CREATE INDEX entries_entity ON entries(entity, entity_id);`,
      insert: 'INSERT INTO entries (ts, actor, action, entity, entity_id, amount, currency, note, payload, prev_hash) VALUES (?,?,?,?,?,?,?,?,?,?)',
      row: (i) => [
        iso(START + i * 9_000 + int(9_000)),
        pick(ACTORS),
        pick(ACTIONS),
        pick(['order', 'position', 'account', 'transfer', 'agent']),
        int(2_000_000),
        money(50_000),
        pick(CURRENCIES),
        words(3, 15),
        JSON.stringify({ orderId: hex(16), qty: int(5000), price: money(900), venue: pick(EXCHANGES), status: pick(STATUSES), reason: words(2, 8) }),
        hex(64),
      ],
    },
    portfolio: {
      schema: `CREATE TABLE trades (id INTEGER PRIMARY KEY, portfolio_id INTEGER NOT NULL, security_id INTEGER NOT NULL, ts TEXT NOT NULL,
          side TEXT NOT NULL, quantity REAL NOT NULL, price REAL NOT NULL, fees REAL NOT NULL, currency TEXT NOT NULL, broker_ref TEXT NOT NULL, note TEXT);
        CREATE TABLE positions (id INTEGER PRIMARY KEY, portfolio_id INTEGER NOT NULL, security_id INTEGER NOT NULL, quantity REAL NOT NULL,
          cost_basis REAL NOT NULL, opened_at TEXT NOT NULL, attributes TEXT);
        CREATE INDEX trades_portfolio_ts ON trades(portfolio_id, ts); CREATE INDEX trades_security ON trades(security_id);`,
      insert: 'INSERT INTO trades (portfolio_id, security_id, ts, side, quantity, price, fees, currency, broker_ref, note) VALUES (?,?,?,?,?,?,?,?,?,?)',
      row: (i) => [
        1 + int(40),
        1 + int(250_000),
        iso(START + i * 20_000),
        pick(['buy', 'sell', 'buy']),
        int(1000) + 1,
        money(900),
        money(15),
        pick(CURRENCIES),
        `${pick(['IB', 'DG', 'TR'])}-${hex(20)}`,
        int(4) === 0 ? words(4, 20) : null,
      ],
      extra: (db) => {
        const stmt = db.prepare('INSERT INTO positions (portfolio_id, security_id, quantity, cost_basis, opened_at, attributes) VALUES (?,?,?,?,?,?)');
        for (let i = 0; i < 20_000; i++)
          stmt.run(1 + int(40), 1 + int(250_000), int(10_000), money(1e6), iso(START + i * 600_000), JSON.stringify({ lots: int(20), strategy: words(1, 2) }));
      },
    },
    agents: {
      schema: `CREATE TABLE agents (id INTEGER PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL, config TEXT NOT NULL, created_at TEXT NOT NULL);
        CREATE TABLE agent_runs (id INTEGER PRIMARY KEY, agent_id INTEGER NOT NULL, started_at TEXT NOT NULL, finished_at TEXT, status TEXT NOT NULL,
          decisions INTEGER NOT NULL, log TEXT NOT NULL);
        CREATE INDEX agent_runs_agent ON agent_runs(agent_id, started_at);`,
      insert: 'INSERT INTO agent_runs (agent_id, started_at, finished_at, status, decisions, log) VALUES (?,?,?,?,?,?)',
      row: (i) => {
        const start = START + i * 60_000;
        const lines = [];
        for (let n = 2 + int(8); n > 0; n--) lines.push(`${iso(start + n * 1000)} ${pick(LEVELS)} ${words(4, 16)} score=${money(10)}`);
        return [1 + int(60), iso(start), iso(start + int(600_000)), pick(STATUSES), int(40), lines.join('\n')];
      },
      extra: (db) => {
        const stmt = db.prepare('INSERT INTO agents (name, kind, config, created_at) VALUES (?,?,?,?)');
        for (let i = 0; i < 60; i++)
          stmt.run(
            `${words(1, 2)}-${i}`,
            pick(['momentum', 'value', 'income', 'hedge']),
            JSON.stringify({ universe: words(3, 6), riskBudget: money(1), params: words(10, 30) }),
            iso(START + i * DAY),
          );
      },
    },
    history: {
      schema: `CREATE TABLE prices (security_id INTEGER NOT NULL, date TEXT NOT NULL, open REAL NOT NULL, high REAL NOT NULL, low REAL NOT NULL,
          close REAL NOT NULL, adj_close REAL NOT NULL, volume INTEGER NOT NULL, source TEXT NOT NULL, PRIMARY KEY (security_id, date)) WITHOUT ROWID;
        CREATE TABLE fx_rates (id INTEGER PRIMARY KEY, pair TEXT NOT NULL, ts TEXT NOT NULL, rate REAL NOT NULL);`,
      insert: 'INSERT INTO prices (security_id, date, open, high, low, close, adj_close, volume, source) VALUES (?,?,?,?,?,?,?,?,?)',
      // Price series: each security gets 2,500 trading days of a random walk, in key order.
      row: (() => {
        let price = 100;
        return (i) => {
          const security = Math.floor(i / 2500);
          const day = i % 2500;
          if (day === 0) price = 5 + int(500);
          const open = price;
          price = Math.max(0.5, price * (1 + (int(2001) - 1000) / 40_000));
          const r2 = (x) => Math.round(x * 100) / 100;
          const high = Math.max(open, price) * (1 + int(100) / 10_000);
          const low = Math.min(open, price) * (1 - int(100) / 10_000);
          return [
            security + 1,
            new Date(START + day * DAY).toISOString().slice(0, 10),
            r2(open),
            r2(high),
            r2(low),
            r2(price),
            r2(price * 0.98),
            1000 * int(50_000),
            pick(['eod', 'eod', 'eod', 'vendor-b']),
          ];
        };
      })(),
    },
    cache: {
      schema: `CREATE TABLE cache_entries (key TEXT PRIMARY KEY, value TEXT NOT NULL, content_type TEXT NOT NULL, etag TEXT, expires_at INTEGER NOT NULL);
        CREATE INDEX cache_entries_expires ON cache_entries(expires_at);`,
      insert: 'INSERT INTO cache_entries (key, value, content_type, etag, expires_at) VALUES (?,?,?,?,?)',
      row: (i) => {
        const quotes = [];
        for (let n = 3 + int(12); n > 0; n--) quotes.push({ s: `${hex(3).toUpperCase()}`, p: money(900), c: money(5), v: int(1e7), t: START + int(1e10) });
        return [
          `${pick(['quote', 'fundamentals', 'news', 'fx', 'search'])}:${hex(12)}:${i}`,
          JSON.stringify({
            fetchedAt: START + i * 1000,
            provider: pick(['alpha', 'polygon', 'yahoo', 'ecb']),
            quotes,
            summary: words(10, 60),
            signature: hex(48),
          }),
          'application/json',
          `"${hex(32)}"`,
          START + i * 1000 + int(DAY),
        ];
      },
    },
  };
}

function fileBytes(db) {
  return db.pragma('page_count', { simple: true }) * db.pragma('page_size', { simple: true });
}

/** Creates `name`.db in `dir` of about `bytes` bytes. */
function generateOne(dir, name, bytes, salt) {
  const file = path.join(dir, `${name}.db`);
  fs.rmSync(file, { force: true });
  fs.rmSync(`${file}-wal`, { force: true });
  fs.rmSync(`${file}-shm`, { force: true });
  const rnd = prng(seedOf(name, salt));
  const plan = plans(toolkit(rnd))[name];
  const db = new Database(file);
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -65536');
  db.exec(plan.schema);
  if (plan.extra) db.transaction(() => plan.extra(db))();
  const insert = db.prepare(plan.insert);
  let i = 0;
  const batch = db.transaction((n) => {
    for (let k = 0; k < n; k++) insert.run(plan.row(i++));
  });
  while (fileBytes(db) < bytes) batch(2000);
  db.pragma('journal_mode = WAL');
  db.close();
  return { name, rows: i, bytes: fs.statSync(file).size };
}

/**
 * The data set of `sizeMb` MB (10^6 bytes) in `root`/<size>mb: reused when complete and of this
 * generator version, else (re)generated. Returns { dir, manifest }.
 */
export function ensureDataset(root, sizeMb, log = console.log) {
  const dir = path.join(root, `${sizeMb}mb`);
  const manifestFile = path.join(dir, 'manifest.json');
  if (fs.existsSync(manifestFile)) {
    const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
    const intact =
      manifest.version === GENERATOR_VERSION &&
      manifest.databases.every((d) => fs.existsSync(path.join(dir, `${d.name}.db`)) && fs.statSync(path.join(dir, `${d.name}.db`)).size === d.bytes);
    if (intact) return { dir, manifest, cached: true };
  }
  fs.mkdirSync(dir, { recursive: true });
  fs.rmSync(manifestFile, { force: true });
  const total = sizeMb * 1e6;
  const started = Date.now();
  const databases = [];
  for (const name of DATABASES) {
    const t0 = Date.now();
    const result = generateOne(dir, name, Math.round(total * SHARES[name]), sizeMb);
    databases.push(result);
    log(`  generated ${name}.db: ${(result.bytes / 1e6).toFixed(1)} MB, ${result.rows} rows (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  }
  const manifest = {
    version: GENERATOR_VERSION,
    sizeMb,
    totalBytes: databases.reduce((s, d) => s + d.bytes, 0),
    databases,
    generatedInMs: Date.now() - started,
  };
  fs.writeFileSync(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
  return { dir, manifest, cached: false };
}
