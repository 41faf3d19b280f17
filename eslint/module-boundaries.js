// Module boundaries of src/, as lint rules (docs/module-boundaries.md explains them).
//
// Each folder src/<module> is a module. Two rules, both checked on every import of src/ code:
//   1. Layers: a module imports only the modules listed in its `uses` (so `common` imports no feature module,
//      `archive-format` nothing but common and config, backup and restore not each other).
//   2. Public surface: from outside a module, only its public files may be imported: every `*.module` (Nest
//      modules are how modules compose), its events (`<module>.events`, `*.event`), its DTOs (`dto/`), and
//      the files named in its `public` list. Everything else, in particular every other subfolder
//      (restore/apply, restore/archive-reader, backup/archive-writer, ...), is internal to the module.
//
// They are written with ESLint's own no-restricted-imports (no plugin, no import resolver): every import in
// src/ is relative with a `.js` suffix, so the specifier itself says which folder it reaches, and a module
// folder is reached as `./<module>/` (from src/*.ts) or `../<module>/`, `../../<module>/`, ... (from inside
// src/<other>/). ESLint does not merge a rule's options across config blocks, so this file builds one block
// per module with every pattern that applies to it; another use of no-restricted-imports in src/ belongs here.
// Tests (test/, bench/) may reach into any module: they are not checked.

/**
 * Dependencies a module may have (`uses`: module folders; '*' for any) and the files other modules may
 * import besides its `*.module`, events and DTOs (`public`: paths inside the module folder, without `.js`).
 * A module without `public` has no restriction on which of its files are imported.
 */
export const MODULES = {
  config: { uses: [] },
  common: { uses: ['config'] },
  'archive-format': { uses: ['common', 'config'] },
  database: { uses: ['common', 'config'], public: ['database-registry', 'database-damage', 'managed-database', 'sqlite-snapshot', 'database-change-watch'] },
  settings: { uses: ['common', 'config', 'database'], public: ['settings.service', 'setting-definitions', 'setting-value.parser', 'secret-cipher'] },
  audit: { uses: ['common', 'config', 'database'], public: ['audit-log', 'audit-entry', 'audit-recorder'] },
  targets: {
    uses: ['common', 'config', 'database', 'settings', 'archive-format'],
    public: ['target-definition', 'target-directory', 'target-roster', 'existing-target.pipe'],
  },
  storage: { uses: ['common', 'config', 'database', 'settings', 'targets'], public: ['object-storage', 'object-exists.error', 'storage-targets'] },
  encryption: {
    uses: ['common', 'config', 'database', 'settings', 'targets', 'audit', 'storage', 'archive-format'],
    public: [
      'archive-encryption.service',
      'archive-provenance.store',
      'age/age-keys',
      'age/age-error',
      'age/age-format',
      'age/age-encrypt-stream',
      'age/age-decrypt-stream',
    ],
  },
  backup: {
    uses: ['common', 'config', 'database', 'settings', 'targets', 'audit', 'storage', 'encryption', 'archive-format'],
    public: ['backup.service', 'backup-jobs', 'backup-job.mapper', 'backup-catalog.service', 'rotation.service', 'backup-run.store', 'backup-run.entity'],
  },
  restore: {
    uses: ['common', 'config', 'database', 'settings', 'targets', 'audit', 'storage', 'encryption', 'archive-format'],
    public: ['backup-verifier.service', 'archive-chain-reader'],
  },
  replication: {
    uses: ['common', 'config', 'database', 'settings', 'targets', 'audit', 'storage', 'encryption', 'archive-format', 'backup'],
    public: ['replication-jobs'],
  },
  scheduling: { uses: '*', public: ['verification.store', 'scheduled-jobs', 'schedule-slots'] },
  monitoring: { uses: '*', public: ['target-health', 'target-health.service'] },
  notifications: { uses: '*', public: ['notification-publisher', 'notification-events', 'notification'] },
  // The run history (GET /api/runs): reads the backup jobs, records the other runs from their events; a leaf.
  history: { uses: '*', public: [] },
  health: { uses: '*' },
  web: { uses: '*' },
  openapi: { uses: '*' },
  // The disaster-recovery command line (src/cli.ts, issue 17): a second composition root without the HTTP
  // app, built on the restore core (restore/core/restore-core.module.ts says it is meant for such a program),
  // the archive checks and the storage adapters for a bucket or folder named on its line. `reaches`: the
  // internal files it alone may import; for every other module they stay internal.
  cli: {
    uses: '*',
    reaches: {
      restore: [
        'core/archive-unpacker',
        'core/restore-stager',
        'core/data-dir-lock-holder',
        'core/data-folder-layout',
        'apply/restore-applier',
        'restore-journal.store',
        'last-apply.store',
        'archive-reader/archive-problem',
        'archive-reader/database-checks',
        'archive-reader/archive-extractor',
        // Encrypted backups (issue 14 in the command line): the shared verification, the keys and made-here check of a read.
        'core/archive-verification',
        'archive-reader/archive-read-pipeline',
        'archive-reader/describe-recipients',
        'stored-archive-access',
        // Increments (issue 19): verify, restore and materialize of a point rebuilt from its chain.
        'core/point-unpacker',
      ],
      // materialize writes the rebuilt point as a full archive with the service's own writer.
      backup: ['archive-writer/archive-writer'],
      storage: ['folder-storage', 's3-target-storage', 's3-upload-journal', 's3-connection', 'storage-options'],
      settings: ['settings.repository', 'master-key'],
      // The keyring of a DATA_DIR (key show, key export, restore with its stored keys), read with the service's own classes.
      encryption: ['encryption-keys.service', 'encryption-status', 'identity-vault', 'store/encryption-database'],
    },
  },
};

/** The app's composition root (src/*.ts: main, app.module, app.factory) imports any module's public surface. */
const ROOT = { uses: '*' };

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Matches a relative specifier that reaches into one of the module folders `names`, from src/*.ts or src/<other>/. */
const into = (...names) => `^(\\./|(\\.\\./)+)(${names.map(escape).join('|')})/`;

function layerPattern(importer, allowed, forbidden) {
  return {
    regex: into(...forbidden),
    message:
      `${importer} imports no module but ${allowed.length ? allowed.join(', ') : 'itself'} (the layers in ` +
      'eslint/module-boundaries.js, docs/module-boundaries.md): depend on a lower module, or move the shared piece down.',
  };
}

function surfacePattern(name, spec, reaches = []) {
  const publicFiles = ['(.*/)?[^/]+\\.module', `${escape(name)}\\.events`, '(.*/)?[^/]+\\.event', 'dto/.*', ...[...spec.public, ...reaches].map(escape)];
  return {
    regex: `${into(name)}(?!(${publicFiles.join('|')})(\\.js)?$)`,
    message:
      `That file is internal to src/${name}. From outside, import its *.module, events, dto/ or ` +
      `${spec.public.length ? spec.public.join(', ') : 'nothing else'} (docs/module-boundaries.md); ` +
      'to widen the surface, add the file to its public list in eslint/module-boundaries.js.',
  };
}

function patternsFor(importer, spec) {
  const names = Object.keys(MODULES).filter((name) => name !== importer);
  const allowed = spec.uses === '*' ? names : names.filter((name) => spec.uses.includes(name));
  const forbidden = names.filter((name) => !allowed.includes(name));
  const patterns = forbidden.length ? [layerPattern(`src/${importer}`, allowed, forbidden)] : [];
  for (const name of allowed) {
    if (MODULES[name].public) patterns.push(surfacePattern(name, MODULES[name], spec.reaches?.[name]));
  }
  return patterns;
}

const rule = (patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });

export const moduleBoundaries = [
  { name: 'module-boundaries/app-root', files: ['src/*.ts'], rules: rule(patternsFor('', ROOT)) },
  ...Object.entries(MODULES).map(([name, spec]) => ({
    name: `module-boundaries/${name}`,
    files: [`src/${name}/**/*.ts`],
    rules: rule(patternsFor(name, spec)),
  })),
];
