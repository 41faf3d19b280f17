import { StreamableFile } from '@nestjs/common';
import type { Response } from 'express';
import { isEncryptedBackupName } from '../archive-format/backup-filename.js';
import type { BackupTarget } from '../common/backup-target.js';
import type { BackupCatalogService } from './backup-catalog.service.js';

/**
 * A backup as an HTTP download, streamed from the store as it is stored (never held in memory), with its
 * length and `Content-Disposition: attachment` under its own name. The API's download and the page's
 * download link answer with this one.
 */
export async function archiveDownload(catalog: BackupCatalogService, target: BackupTarget, filename: string, response: Response): Promise<StreamableFile> {
  const { body, size } = await catalog.download(target, filename);
  response.setHeader('Content-Length', String(size));
  // An encrypted archive is opaque bytes to a browser or proxy: octet-stream, so none tries to gunzip it.
  const type = isEncryptedBackupName(filename) ? 'application/octet-stream' : 'application/gzip';
  return new StreamableFile(body, { type, disposition: `attachment; filename="${filename}"` });
}
