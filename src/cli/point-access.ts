import fs from 'node:fs';
import path from 'node:path';
import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import type { ArchiveToUnpack } from '../restore/core/archive-unpacker.js';
import { isIncrementName, type PointToUnpack } from '../restore/core/point-unpacker.js';
import { type ArchiveAccess, openArchiveAccess } from './archive-access.js';
import { ArchiveFileSource, type BackupSource } from './backup-source.js';
import type { ParsedCommand } from './cli-arguments.js';
import { CliError } from './cli-error.js';
import { meteredArchive } from './metered-archive.js';

/** A restorable point of a source, ready for the restore core: a full archive, or an increment with its chain's links. */
export interface PointAccess extends ArchiveAccess {
  archive: PointToUnpack;
}

type AccessOptions = Parameters<typeof openArchiveAccess>[4];

/**
 * The backup `backup` names (a name, `latest` or an archive file) with the keys and checks openArchiveAccess gives
 * it; for an increment (`sentinel-incremental-…`), the links of its chain too, from the same source (a file's
 * links from the file's folder), each opened with the same keys and, for a restore, the same check of its origin.
 * The restore core (PointUnpacker) walks the chain from the increment's metadata: a link that is not there is
 * named in its refusal.
 */
export async function openPointAccess(
  backup: string,
  source: BackupSource,
  command: ParsedCommand,
  raw: Record<string, string | undefined>,
  options: AccessOptions,
): Promise<PointAccess> {
  const access = await openArchiveAccess(await source.find(backup), source, command, raw, options);
  if (!isIncrementName(access.archive.name)) return access;
  const link = (name: string): ArchiveToUnpack => ({
    name,
    open: async (signal) => {
      const found = await findLink(source, name);
      return (await openArchiveAccess(found, source, command, raw, options)).archive.open(signal);
    },
  });
  return { ...access, archive: { ...access.archive, link } };
}

/** A link of a chain in `source`; one that is not there is BACKUP_NOT_FOUND, which the core words as the chain's missing link. */
async function findLink(source: BackupSource, name: string): Promise<ArchiveToUnpack> {
  if (source instanceof ArchiveFileSource) {
    const file = path.join(path.dirname(source.where), name);
    if (!fs.existsSync(file)) throw new DomainError(ErrorCode.BackupNotFound, `There is no ${name} beside ${source.where}`, { filename: name });
    return new ArchiveFileSource(file).find();
  }
  try {
    return await source.find(name);
  } catch (error) {
    if (error instanceof CliError && error.missingBackup) {
      throw new DomainError(ErrorCode.BackupNotFound, error.message, { filename: name });
    }
    throw error;
  }
}

/** The point with each archive it reads metered (meteredArchive): an increment's links each show their own progress. */
export function meteredPoint(point: PointToUnpack, label: string, json: boolean): PointToUnpack {
  const metered = meteredArchive(point, label, json);
  if (!('link' in point)) return metered;
  return { ...metered, link: (name) => meteredArchive(point.link(name), label, json) };
}
