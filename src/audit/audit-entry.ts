/** How a recorded request ended: done, refused at the door (401/403/415/421/429), or failed. */
export type AuditOutcome = 'ok' | 'refused' | 'error';

/** The client of actions the service takes on its own (a staged restore applied at start with no staging request on record). */
export const SERVICE_CLIENT = 'service';

/** One entry of the audit log, named as the API and the table name it. Never a setting's value, a token or a body: only what identifies the action. */
export interface AuditEntry {
  id: number;
  /** ISO 8601, UTC. */
  at: string;
  /** setting.change, settings.change (several saved at once: subject their keys), backup.start, backup.cancel (subject: the job id), backup.delete, backup.rotate, backup.rotate-dry-run, backup.verify, connection.test, restore.stage, restore.cancel, restore.apply-now, restore.apply, or `METHOD /path`. */
  action: string;
  target: string | null;
  /** The backup file name, the setting key, or the keys (joined by ', ') of several settings saved at once. */
  subject: string | null;
  outcome: AuditOutcome;
  /** The HTTP status, or null for the service's own actions. */
  status_code: number | null;
  /** The error code of a refused or failed request, or the outcome of a restore apply. */
  error: string | null;
  /** The TCP peer address, or `service`. */
  client: string;
  user_agent: string | null;
  method: string | null;
  path: string | null;
}

export type NewAuditEntry = Omit<AuditEntry, 'id' | 'at'> & { at?: string };
