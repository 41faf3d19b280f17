// The module boundaries (eslint/module-boundaries.js) are rules of the project's own ESLint config: these specs
// lint snippets as if they were files inside src/ and check that a crossing fails `npm run lint` and that the
// imports the modules rely on pass.
import { describe, expect, it } from '@jest/globals';
import { ESLint } from 'eslint';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const eslint = new ESLint({ cwd: root });

/** Lints `code` as the file `path` (relative to the repository) and returns what the boundary rule reports. */
async function boundaryProblems(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(root, path) });
  expect(result.messages.filter((m) => m.fatal)).toEqual([]);
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports' && m.severity === 2).map((m) => m.message);
}

describe('module boundaries (npm run lint)', () => {
  it('refuses common importing a feature module', async () => {
    const problems = await boundaryProblems(
      'src/common/x.ts',
      "import { RestoreApplier } from '../restore/apply/restore-applier.js';\nexport const x = RestoreApplier;\n",
    );
    expect(problems).toEqual([expect.stringContaining('src/common imports no module but config')]);
  });

  it('lets common import config', async () => {
    expect(await boundaryProblems('src/common/fs/x.ts', "import { AppConfig } from '../../config/app-config.js';\nexport const x = AppConfig;\n")).toEqual([]);
  });

  it('refuses archive-format importing backup or restore', async () => {
    const code =
      "import { BackupCatalogService } from '../backup/backup-catalog.service.js';\nimport { RESTORE_EVENTS } from '../restore/restore.events.js';\nexport const x = [BackupCatalogService, RESTORE_EVENTS];\n";
    expect(await boundaryProblems('src/archive-format/x.ts', code)).toHaveLength(2);
  });

  it("refuses another module reaching into restore's internals, from any depth and for type-only imports and re-exports", async () => {
    const cases: Array<[string, string]> = [
      ['src/scheduling/x.ts', "import { RestoreApplier } from '../restore/apply/restore-applier.js';\nexport const x = RestoreApplier;\n"],
      [
        'src/scheduling/sub/x.ts',
        "import type { ArchiveExtractor } from '../../restore/archive-reader/archive-extractor.js';\nexport type X = ArchiveExtractor;\n",
      ],
      ['src/scheduling/x.ts', "export { RestoreJournalStore } from '../restore/restore-journal.store.js';\n"],
      ['src/main.ts', "import { RestoreApplier } from './restore/apply/restore-applier.js';\nexport const x = RestoreApplier;\n"],
    ];
    for (const [path, code] of cases) {
      expect(await boundaryProblems(path, code)).toEqual([expect.stringContaining('That file is internal to src/restore')]);
    }
  });

  it("lets other modules import restore's module, events, DTOs and public classes", async () => {
    const code = [
      "import { RestoreModule } from '../restore/restore.module.js';",
      "import { RESTORE_EVENTS } from '../restore/restore.events.js';",
      "import { VerificationReportDto } from '../restore/dto/verification-report.dto.js';",
      "import { BackupVerifierService } from '../restore/backup-verifier.service.js';",
      'export const x = [RestoreModule, RESTORE_EVENTS, VerificationReportDto, BackupVerifierService];',
      '',
    ].join('\n');
    expect(await boundaryProblems('src/scheduling/x.ts', code)).toEqual([]);
  });

  it('lets a module import its own internals', async () => {
    const code =
      "import { RestoreApplier } from '../apply/restore-applier.js';\nimport { ArchiveExtractor } from '../archive-reader/archive-extractor.js';\nexport const x = [RestoreApplier, ArchiveExtractor];\n";
    expect(await boundaryProblems('src/restore/core/x.ts', code)).toEqual([]);
  });

  it("refuses backup reaching into storage's adapters and restore reaching into backup", async () => {
    expect(
      await boundaryProblems('src/backup/x.ts', "import { S3ObjectStorage } from '../storage/s3-object-storage.js';\nexport const x = S3ObjectStorage;\n"),
    ).toEqual([expect.stringContaining('That file is internal to src/storage')]);
    expect(
      await boundaryProblems(
        'src/restore/x.ts',
        "import { BackupCatalogService } from '../backup/backup-catalog.service.js';\nexport const x = BackupCatalogService;\n",
      ),
    ).toEqual([expect.stringContaining('src/restore imports no module but')]);
  });
  it('lets the command line (src/cli) alone reach the restore core and the storage adapters', async () => {
    const code =
      "import { RestoreApplier } from '../restore/apply/restore-applier.js';\nimport { FolderStorage } from '../storage/folder-storage.js';\nexport const x = [RestoreApplier, FolderStorage];\n";
    expect(await boundaryProblems('src/cli/x.ts', code)).toEqual([]);
    expect(await boundaryProblems('src/scheduling/x.ts', code)).toHaveLength(2);
    // Not every internal file: only those it names.
    expect(
      await boundaryProblems('src/cli/x.ts', "import { RestoreFaults } from '../restore/apply/restore-faults.js';\nexport const x = RestoreFaults;\n"),
    ).toEqual([expect.stringContaining('internal to src/restore')]);
  });
});
