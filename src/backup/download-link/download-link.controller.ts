import { Controller, Get, Param, Post, Query, Req, Res, StreamableFile } from '@nestjs/common';
import { ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { assertBackupName } from '../../archive-format/backup-name.js';
import { Public } from '../../common/auth/public.decorator.js';
import type { BackupTarget } from '../../common/backup-target.js';
import { Endpoint } from '../../common/decorators/endpoint.decorator.js';
import { DomainError } from '../../common/errors/domain-error.js';
import { ErrorCode } from '../../common/errors/error-code.js';
import { BackupTargetPipe } from '../../common/pipes/backup-target.pipe.js';
import { archiveDownload } from '../archive-download.js';
import { FILENAME_PARAM, TARGET_PARAM } from '../backup.controller.js';
import { BackupCatalogService } from '../backup-catalog.service.js';
import { DOWNLOAD_TICKET_TTL_MS, DownloadTickets } from './download-tickets.js';
import { DownloadLinkDto } from '../dto/download-link.dto.js';

const TTL_SECONDS = DOWNLOAD_TICKET_TTL_MS / 1000;

/**
 * Download links: a browser download that streams to disk while an API token is set (see DownloadTickets).
 * GET /api/backups/{target}/{filename}/download stays as it is for API clients, which can send the token.
 */
@ApiTags('backups')
@Controller('api/backups/:target/:filename/download-link')
export class DownloadLinkController {
  constructor(
    private readonly catalog: BackupCatalogService,
    private readonly tickets: DownloadTickets,
  ) {}

  @Post()
  @TARGET_PARAM
  @FILENAME_PARAM
  @Endpoint({
    summary: `Make a single-use link that downloads this backup without the API token, valid for ${TTL_SECONDS} s`,
    description:
      'For a browser, which cannot send the Authorization header with a download: the admin page asks for a link with the token, then lets the browser ' +
      'save GET {url} to disk as it arrives (streamed, never held in the page). The link carries a random ticket (no token) bound to this target and file; ' +
      `it downloads once, within ${TTL_SECONDS} s, and nothing else. Guarded like every change: the API token, and refused (403 CROSS_SITE_REQUEST) from another site's page. ` +
      'API clients can keep using GET …/download with the token.',
    status: 201,
    response: DownloadLinkDto,
    errors: [400, 403, 404, 409, 502, 504],
  })
  async create(@Param('target', BackupTargetPipe) target: BackupTarget, @Param('filename') filename: string): Promise<DownloadLinkDto> {
    // A link to nothing would fail in the browser's download list, where the page cannot tell why: refused here instead.
    const size = await this.catalog.sizeOf(target, filename);
    const { ticket, expiresAt } = this.tickets.issue({ target, filename });
    return {
      url: `/api/backups/${target}/${encodeURIComponent(filename)}/download-link?ticket=${ticket}`,
      filename,
      size_bytes: size,
      expires_at: expiresAt.toISOString(),
    };
  }

  @Get()
  @Public()
  @TARGET_PARAM
  @FILENAME_PARAM
  @ApiQuery({
    name: 'ticket',
    required: true,
    type: String,
    description: 'The ticket of a link made by POST …/download-link (used up by any GET with it, even one that then fails: ask for a new link)',
  })
  @ApiProduces('application/gzip', 'application/octet-stream')
  @Endpoint({
    summary: 'Download a backup archive (streamed) through a link made by POST …/download-link; needs no API token',
    description:
      'Streams the archive as stored, like GET …/download, with Content-Disposition: attachment. The ticket is used up by this request: ' +
      'a second use, an expired ticket, or one made for another file answers 403 DOWNLOAD_LINK_INVALID saying which. HEAD does not use it up and is refused.',
    responseDescription: 'The .tar.gz archive (application/gzip), or the age-encrypted .tar.gz.age one (application/octet-stream) as stored',
    public: true,
    errors: [400, 403, 404, 409, 502, 504],
  })
  async download(
    @Param('target', BackupTargetPipe) target: BackupTarget,
    @Param('filename') filename: string,
    @Query('ticket') ticket: string | undefined,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<StreamableFile> {
    assertBackupName(filename);
    if (!ticket) {
      throw new DomainError(
        ErrorCode.InvalidInput,
        `This download link has no ticket: use the whole url that POST /api/backups/${target}/${filename}/download-link answered, or GET …/download with the API token`,
      );
    }
    // Express answers HEAD with the GET route: a link checker or preview must not use the ticket up.
    if (request.method === 'HEAD') {
      throw new DomainError(
        ErrorCode.InvalidInput,
        'A download link is used with GET only: HEAD would use up its single use, so it is refused and the link stays valid',
      );
    }
    this.tickets.redeem(ticket, { target, filename });
    return archiveDownload(this.catalog, target, filename, response);
  }
}
