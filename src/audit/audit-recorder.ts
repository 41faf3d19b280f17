import { Injectable } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { ERROR_CODE_LOCAL } from '../common/errors/domain-error.filter.js';
import { escapeControl } from '../common/logging/app-logger.js';
import { nameAction, STATE_CHANGING_METHODS } from './audit-actions.js';
import type { AuditOutcome, NewAuditEntry } from './audit-entry.js';
import { AuditLog } from './audit-log.js';

/** Statuses of a request stopped at the door: token, origin or host, content type, rate limit. */
const REFUSED = new Set([401, 403, 415, 421, 429]);
/** Request-controlled strings (user agent, path, file name) are cut to this length. */
export const AUDIT_TEXT_MAX = 256;
/** res.locals flag: the request was recorded before its answer (recordBeforeAnswer), so not again when it ends. */
const RECORDED_BEFORE_ANSWER = 'auditRecordedBeforeAnswer';

/**
 * Express middleware installed before every other (app.factory.ts), so it sees every request,
 * those refused by a guard or by the body parser included. When the answer has gone it records
 * state-changing API requests and refused ones; reads that succeed or fail are not recorded.
 */
@Injectable()
export class AuditRecorder {
  constructor(private readonly log: AuditLog) {}

  middleware(): (req: Request, res: Response, next: NextFunction) => void {
    return (req, res, next) => {
      // originalUrl: Nest and Express may rewrite req.url on the way; the query string is never kept.
      const path = (req.originalUrl ?? req.url).split('?')[0];
      // Any case: a request refused for its spelling of /api is recorded like any other refusal.
      if (/^\/api\//i.test(path)) {
        // 'close' also fires for a client that went away before the answer: recorded with its status so far.
        res.once('close', () => this.record(req, res, path));
      }
      next();
    };
  }

  /**
   * Records `req` as done (outcome ok, 200) before its answer is sent, for an action whose answer must never go out
   * unrecorded (a key export): throws when the entry cannot be written, and the caller then refuses the request.
   * `subject` names what was handed out (a key's public recipient). The entry at the end of the request is skipped.
   */
  recordBeforeAnswer(req: Request, res: Response, subject: string | null): void {
    const path = (req.originalUrl ?? req.url).split('?')[0];
    const named = nameAction(req.method, path, req.body);
    this.log.recordOrThrow(this.entryOf(req, path, named.action, named.target, subject ?? named.subject, 'ok', 200, null));
    res.locals[RECORDED_BEFORE_ANSWER] = true;
  }

  private record(req: Request, res: Response, path: string): void {
    if (res.locals?.[RECORDED_BEFORE_ANSWER] === true) return;
    const status = res.statusCode;
    const refused = REFUSED.has(status);
    if (!refused && !STATE_CHANGING_METHODS.has(req.method)) return;
    const named = nameAction(req.method, path, req.body);
    const { target, subject } = named;
    // Deleting another installation's backup is told apart: the query string itself is never kept.
    const action =
      named.action === 'backup.delete' && req.query?.confirm_foreign === 'true'
        ? 'backup.delete-foreign'
        : // A dry run deletes nothing: told apart, so the log never shows a rotation that did not happen.
          named.action === 'backup.rotate' && req.query?.dry_run === 'true'
          ? 'backup.rotate-dry-run'
          : named.action;
    const outcome: AuditOutcome = refused ? 'refused' : status < 400 && res.writableFinished ? 'ok' : 'error';
    const code = res.locals?.[ERROR_CODE_LOCAL];
    const error = typeof code === 'string' ? code : res.writableFinished ? null : 'CLIENT_GONE';
    this.log.record(this.entryOf(req, path, action, target, subject, outcome, status, error));
  }

  private entryOf(
    req: Request,
    path: string,
    action: string,
    target: string | null,
    subject: string | null,
    outcome: AuditOutcome,
    status: number,
    error: string | null,
  ): NewAuditEntry {
    return {
      action: bounded(action),
      target: target === null ? null : bounded(target),
      subject: subject === null ? null : bounded(subject),
      outcome,
      status_code: status,
      error,
      client: req.socket.remoteAddress ?? 'unknown',
      user_agent: typeof req.headers['user-agent'] === 'string' ? bounded(req.headers['user-agent']) : null,
      method: req.method,
      path: bounded(path),
    };
  }
}

/** Printable and short: whatever a client sends cannot forge lines or fill the disk. */
export function bounded(text: string): string {
  const printable = escapeControl(text);
  return printable.length > AUDIT_TEXT_MAX ? `${printable.slice(0, AUDIT_TEXT_MAX - 3)}...` : printable;
}
